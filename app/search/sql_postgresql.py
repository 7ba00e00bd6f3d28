"""The SQL index on PostgreSQL: tsvector with GIN for text, PostGIS with GiST for coverage shapes.

- Text: search_entry.tsv is generated from name_text (weight A) and body_text (weight B) with
  the 'simple' configuration (tokens arrive already analysed); a query is one bound parameter in
  tsquery syntax, read by ``to_tsquery('simple', ...)``, which takes each quoted token through the
  parser as ``to_tsvector`` took the documents' tokens. Rank: ts_rank,
  which reads only the document and the query, so which index finds the matches cannot change it
  (ts_rank_cd, cover density, cost ~13 times as much per hit with the OR-heavy queries synonyms
  make: 3.5 of the 5.5 ms of a text search within 16 km). Within a radius the matches come
  from the regional index (``REGIONAL_TSV``): the same query with each token prefixed by each
  region the circle touches.
- Distance is portable (``app.search.sql_query.near``): grid cells and the unit-sphere point.
- Coverage shapes: ``search_shape_geom`` holds them as geometries with GiST; ``ST_Covers``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search.backend import GeoPoint
from app.search.sql_query import OWN_WORDS_BONUS, Dialect, Plan, add_located, clear_located, own_words, remove_located
from app.search.sql_rows import COLUMNS, Rows

# Text by region: regions are blocks of REGION_CELLS x REGION_CELLS grid cells (0.2 degrees square).
# Index ``ix_search_entry_region_tsv`` (migration 0007) holds each entry's tokens prefixed with its
# region ("r<region>x<token>"), so the words of a query within a radius are looked up in the few
# regions the circle touches instead of in the whole country. Same expression as the index.
REGION_CELLS = 20
REGION_COLUMNS = COLUMNS // REGION_CELLS
REGION = f"(e.cell / {COLUMNS} / {REGION_CELLS} * {REGION_COLUMNS} + e.cell % {COLUMNS} / {REGION_CELLS})"
REGIONAL_TSV = (f"to_tsvector('simple', regexp_replace(e.name_text || ' ' || e.body_text, '(\\S+)', "
                f"'r' || {REGION}::text || 'x\\1', 'g'))")
_NO_PARALLEL = "waymark_no_parallel_workers"  # Connection.info: set on this (autocommit) connection
MAX_REGIONS = 64  # more (a very wide radius): the country-wide index is no worse


def region_prefix(region: int) -> str:
    return f"r{region}x"


def regions_of(ranges: list[tuple[int, int]]) -> list[int] | None:
    """The regions holding the cells of ``ranges``, ascending; None when there are too many."""
    found: set[int] = set()
    for lo, hi in ranges:
        row = lo // COLUMNS
        first, last = lo % COLUMNS // REGION_CELLS, hi % COLUMNS // REGION_CELLS
        found.update(row // REGION_CELLS * REGION_COLUMNS + column for column in range(first, last + 1))
        if len(found) > MAX_REGIONS:
            return None
    return sorted(found)


def tsquery(groups: list[list[list[str]]], prefix: str = "") -> str:
    """``groups`` (AND of groups, each an OR of alternatives, each an AND of tokens) in tsquery
    syntax, each token quoted and prefixed with ``prefix``. ``to_tsquery('simple', ...)`` takes
    each quoted token through the parser as ``to_tsvector('simple', ...)`` took the documents'
    (tokens arrive analysed: letters and digits, one lexeme each)."""
    def lexeme(token: str) -> str:
        return "'" + (prefix + token).replace("\\", "\\\\").replace("'", "''") + "'"

    return " & ".join("(" + " | ".join("(" + " & ".join(lexeme(t) for t in alternative) + ")"
                                       for alternative in group) + ")" for group in groups)


class PostgresDialect(Dialect):
    cell_array = True
    fetch_with_ties = True

    def next_numbers(self, session: Session, table: str, column: str, count: int) -> list[int]:
        # The table's sequence hands out numbers to concurrent transactions without clashes.
        sequence = f"{table}_{column}_seq"
        found = session.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": sequence, "n": count})
        return [int(number) for number in found.scalars()]

    def write(self, session: Session, rows: Rows) -> None:
        add_located(session, rows.entries)
        if rows.shapes:
            session.execute(text("INSERT INTO search_shape_geom (shape, entry, geom) "
                                 "VALUES (:shape, :entry, ST_GeomFromWKB(:wkb, 4326))"), rows.shapes)

    def forget(self, session: Session, entries: list[int]) -> None:
        remove_located(session, entries)
        plan = Plan()
        session.execute(text(f"DELETE FROM search_shape_geom WHERE entry IN {plan.binds(entries)}"), plan.params)

    def clear(self, session: Session) -> None:
        session.execute(text("DELETE FROM search_shape_geom"))
        clear_located(session)

    def match_text(self, session: Session, plan: Plan, groups: list[list[list[str]]]) -> None:
        # Each query is one parameter in tsquery syntax: a statement of a few hundred characters
        # whatever the words, that psycopg converts from its cache (with one parameter per token,
        # a text search within a radius had up to 208 parameters and 10 KB of SQL, parsed in
        # Python on every request) and PostgreSQL parses quickly.
        query = f"to_tsquery('simple', {plan.bind(tsquery(groups))})"
        plan.custom_plan = True  # how many rows match depends on the words: planned with them
        regions = None if plan.cells is None else regions_of(plan.cells)
        if regions is None:
            plan.conditions.append(f"e.tsv @@ {query}")
        else:
            # The exact match still decides, tested on the rows the regional index found
            # (coalesce: not offered to the country-wide index, whose every match the planner
            # would otherwise intersect with the regional ones).
            plan.conditions.append(f"coalesce(e.tsv, ''::tsvector) @@ {query}")
            # The regional index finds the matches within the circle's regions (the exact match
            # above and the radius still decide); no longer the cell list, nor every match in the country.
            plan.list_cells = False
            either = " | ".join(f"({tsquery(groups, region_prefix(region))})" for region in regions)
            plan.conditions.append(f"{REGIONAL_TSV} @@ to_tsquery('simple', {plan.bind(either)})")
        # The user's own words (each group's first alternative) rank before synonyms.
        own = f"to_tsquery('simple', {plan.bind(tsquery(own_words(groups)))})"
        bonus = f"CASE WHEN e.tsv @@ {own} THEN {OWN_WORDS_BONUS} ELSE 0 END"
        plan.rank = f"-({bonus} + ts_rank(e.tsv, {query}))"

    def covered(self, session: Session, plan: Plan, point: GeoPoint) -> str | None:
        here = f"ST_SetSRID(ST_MakePoint({plan.bind(point.longitude)}, {plan.bind(point.latitude)}), 4326)"
        return f"SELECT g.entry FROM search_shape_geom g WHERE ST_Covers(g.geom, {here})"

    def name_order(self) -> str:
        return 'name COLLATE "C"'

    def prepare(self, session: Session) -> None:
        """No parallel workers for a search: starting them costs more than the few thousand rows a
        search reads (text within a radius: 9 ms instead of 16 at the median of the bench's
        queries on 200k entries), and on a busy server they take cores from other requests.

        In a transaction, until it ends (``SET LOCAL``). The API reads in autocommit, where
        ``SET LOCAL`` does nothing: there the connection keeps the setting (set once, remembered
        in its ``info``), so later statements on that pooled connection run without parallel
        workers too."""
        connection = session.connection()
        if not getattr(connection.connection.dbapi_connection, "autocommit", False):
            session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        elif not connection.info.get(_NO_PARALLEL):
            session.execute(text("SET max_parallel_workers_per_gather = 0"))
            connection.info[_NO_PARALLEL] = True
