"""The SQL index on SQLite: FTS5 for text, an R*Tree for coverage shapes.

- Text: ``search_fts`` indexes search_entry's name_text and body_text (external content), so a
  MATCH expression built from the query's tokens finds documents and ``bm25`` ranks them, the
  name counting ``NAME_WEIGHT`` times the body.
- Text within a radius: ``search_fts_region`` (contentless, migration 0009) holds each located
  entry's tokens prefixed with its region, as PostgreSQL's regional index does, and its fts5vocab
  table ``search_fts_region_instances`` lists where each occurs. A query reads the occurrences of
  its words in the circle's regions only (not every match in the country) and ranks them with
  FTS5's own bm25 formula computed in SQL from the country-wide statistics of ``search_fts``
  (rows, tokens, documents per word, each entry's size), so results, order and totals are those
  of ``search_fts``. See ``_match_in_regions``.
- Distance is portable (``app.search.sql_query.near``): grid cells and the unit-sphere point.
- Coverage shapes: ``search_shape_rtree`` finds the few shapes whose box holds the point and
  shapely tests containment (geometries cached once parsed); the query then names the entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import shapely  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search.backend import GeoPoint
from app.search.sql_postgresql import REGION, region_prefix, regions_of
from app.search.sql_query import OWN_WORDS_BONUS, Dialect, Plan, add_located, clear_located, own_words, remove_located
from app.search.sql_rows import Rows

NAME_WEIGHT = 4.0
# bm25 as FTS5 computes it (ext/fts5/fts5_aux.c, fts5Bm25Function), for the regional path.
BM25_K1 = 1.2
BM25_B = 0.75
MAX_KEPT_WORDS = 20_000  # document frequencies kept per connection
MAX_ALTERNATIVES = 62  # one bit each in an integer; a longer query is matched country-wide
SLOT_BITS = 31  # a word's frequency in an entry (< 2**31: SQLite rows are under 1e9 bytes), two per integer


def fts_query(groups: list[list[list[str]]]) -> str:
    """An FTS5 expression: AND of groups, OR of alternatives, AND of tokens, each token a quoted
    string (user-derived text never reaches the FTS5 syntax unquoted)."""
    def quoted(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    def alternative(tokens: list[str]) -> str:
        return "(" + " AND ".join(quoted(token) for token in tokens) + ")"

    return " AND ".join("(" + " OR ".join(alternative(tokens) for tokens in group) + ")" for group in groups)


@lru_cache(maxsize=256)
def _geometry(geojson: str) -> BaseGeometry:
    geometry = shapely.from_geojson(geojson)
    shapely.prepare(geometry)
    return geometry


def _plain(token: str) -> bool:
    """A token FTS5 indexes as it is: lower-case ASCII letters and digits."""
    return token.isascii() and token.isalnum() and token == token.lower()


_BOUNDARY = "[^a-z0-9]"  # around a token in lower-cased text: anything but an ASCII letter or digit


def _has_own_words(plan: Plan, groups: list[list[list[str]]]) -> str:
    """Whether the hit ``e`` has every group's first alternative (the user's own words).

    Tested on the hit's own text rather than by a second MATCH: a MATCH of the own words would
    list every such document in the country (milliseconds for a common word) to mark the few
    hundred hits near the point. Documents hold analysed tokens separated by spaces, so a token is
    present when the lower-cased text has it between non-alphanumeric characters, as FTS5 would
    split it; a token that is not plain ASCII letters and digits falls back to the MATCH."""
    own = own_words(groups)
    tokens = [token for group in own for alternative in group for token in alternative]
    if not all(_plain(token) for token in tokens):
        return f"e.entry IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {plan.bind(fts_query(own))})"
    text = "lower(' ' || e.name_text || ' ' || e.body_text || ' ')"
    return "(" + " AND ".join(f"{text} GLOB {plan.bind(f'*{_BOUNDARY}{token}{_BOUNDARY}*')}"
                              for token in dict.fromkeys(tokens)) + ")"


def regional_text(column: str) -> str:
    """``column`` of search_entry ``e`` as indexed by search_fts_region: each token (documents hold
    analysed tokens separated by single spaces) prefixed with the entry's region."""
    prefix = f"'r' || {REGION} || 'x'"  # region_prefix(region)
    return f"CASE WHEN e.{column} = '' THEN '' ELSE {prefix} || replace(e.{column}, ' ', ' ' || {prefix}) END"


_REGIONAL = f"{regional_text('name_text')}, {regional_text('body_text')} FROM search_entry e"
_FUNCTIONS = "waymark_sqlite_functions"  # Connection.info: the SQL functions below are registered
_STATISTICS = "waymark_fts_statistics"  # Connection.info: a TextStatistics


def _token_count(sizes: bytes) -> int:
    """The tokens of an entry (``xColumnSize(-1)``): the sum of search_fts_docsize.sz's varints."""
    return sum(_varints(sizes))


@dataclass
class TextStatistics:
    """search_fts's statistics as bm25 reads them, for one state of the database."""

    state: tuple[int, int]  # PRAGMA data_version (others' commits) and total_changes (this connection's)
    rows: int
    average_size: float  # tokens per row
    documents: dict[str, int] = field(default_factory=dict)  # rows holding each token


def _varints(blob: bytes) -> list[int]:
    """SQLite varints (7 bits a byte, high bit set on all but the last), as FTS5 writes its records."""
    found, value = [], 0
    for byte in blob:
        value = value << 7 | byte & 0x7F
        if byte < 0x80:
            found.append(value)
            value = 0
    return found


def text_statistics(session: Session, tokens: list[str]) -> TextStatistics | None:
    """The country-wide statistics of search_fts with the document frequency of ``tokens``; None
    while this connection has uncommitted writes (FTS5 saves its row and token totals at commit).

    Kept on the connection while no one has written since: counting the rows that hold a common
    word reads its whole doclist, which is what the regional path avoids. The state is read before
    the search's statement runs: a commit by another connection in between (reads are not in one
    transaction) ranks that one search by the statistics just before it."""
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if raw is None or raw.in_transaction:
        return None
    state = (int(session.execute(text("PRAGMA data_version")).scalar_one()), int(raw.total_changes))
    statistics: TextStatistics | None = connection.info.get(_STATISTICS)
    if statistics is None or statistics.state != state:
        block = session.execute(text("SELECT block FROM search_fts_data WHERE id = 1")).scalar()
        totals = _varints(block) if block else []
        if not totals or totals[0] <= 0:
            return None
        statistics = connection.info[_STATISTICS] = TextStatistics(state, totals[0], sum(totals[1:]) / totals[0])
    if len(statistics.documents) > MAX_KEPT_WORDS:
        statistics.documents.clear()
    for token in tokens:
        if token not in statistics.documents:
            statistics.documents[token] = int(session.execute(
                text("SELECT count(*) FROM search_fts WHERE search_fts MATCH :q"), {"q": fts_query([[[token]]])},
            ).scalar_one())
    return statistics


def _idf(statistics: TextStatistics, token: str) -> float:
    hits = statistics.documents[token]
    idf = math.log((statistics.rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0.0 else 1e-6


def _match_in_regions(session: Session, plan: Plan, groups: list[list[list[str]]]) -> bool:
    """Text within a radius from the circle's regions; False (nothing done) where it does not apply.

    Entries come from the occurrences of the query's tokens in the regions the circle touches
    (search_fts_region_instances), summed per entry into each token's frequency ``F`` (an occurrence
    in the name counts ``NAME_WEIGHT``), two tokens per integer, and a bit per alternative whose
    tokens all occur. An entry matches as the MATCH expression would (every group has such an
    alternative). Its rank is FTS5's bm25, term by term in the query's order as fts5Bm25Function
    sums them: a token counts only where its alternative matched (FTS5 reports no occurrences of a
    phrase whose AND failed), with the country-wide IDF and average size and the entry's size from
    search_fts_docsize; the same double operations give the same value, so ties and order are
    those of ``search_fts``. What is per entry is computed once, in the grouping subquery."""
    tokens = list(dict.fromkeys(token for group in groups for alternative in group for token in alternative))
    alternatives = [alternative for group in groups for alternative in group]
    if (plan.within is None or plan.cells is None or len(alternatives) > MAX_ALTERNATIVES
            or not all(_plain(token) for token in tokens)):
        return False
    regions = regions_of(plan.cells)
    statistics = None if regions is None else text_statistics(session, tokens)
    if regions is None or statistics is None:
        return False
    number = {token: index for index, token in enumerate(tokens)}
    weight = int(NAME_WEIGHT)
    assert weight == NAME_WEIGHT

    def slot(index: int) -> str:  # two tokens' frequencies, 31 bits each (SQLite shares equal aggregates)
        return (f"coalesce(sum(CASE v.col WHEN 'name_text' THEN {weight} ELSE 1 END << k.column3) "
                f"FILTER (WHERE k.column2 = {index}), 0)")

    def frequency(token: str, within: bool = False) -> str:
        index = number[token]
        packed = slot(index // 2) if within else f"m.s{index // 2}"
        return f"(({packed} >> {SLOT_BITS * (index % 2)}) & {(1 << SLOT_BITS) - 1})"

    # Plain tokens and region numbers: safe as literals (fewer parameters to bind).
    terms = ", ".join(f"('{region_prefix(region)}{token}', {number[token] // 2}, {SLOT_BITS * (number[token] % 2)})"
                      for region in regions for token in tokens)  # word, its slot and its shift there
    slots = ", ".join(f"{slot(index)} AS s{index}" for index in range((len(tokens) + 1) // 2))
    matched = " | ".join(f"(({' AND '.join(f'{frequency(token, True)} > 0' for token in alternative)}) << {bit})"
                         for bit, alternative in enumerate(alternatives))
    firsts = [sum(len(group) for group in groups[:index]) for index in range(len(groups))]  # each group's first bit
    size = "waymark_token_count((SELECT d.sz FROM search_fts_docsize d WHERE d.id = v.doc))"
    having = " AND ".join(f"alternatives & {((1 << len(group)) - 1) << first}"
                          for group, first in zip(groups, firsts, strict=True))
    plan.conditions.remove(str(plan.driver))
    plan.source[0] = (f"(SELECT v.doc AS entry, {slots}, {matched} AS alternatives, {size} AS size "
                      f"FROM (VALUES {terms}) k CROSS JOIN search_fts_region_instances v ON v.term = k.column1 "
                      f"GROUP BY v.doc HAVING {having}) m CROSS JOIN search_entry e ON e.entry = m.entry")
    plan.within = plan.driver = None
    average = plan.bind(statistics.average_size)
    terms_of_score = []
    for bit, alternative in enumerate(alternatives):
        for token in alternative:
            f = frequency(token)
            terms_of_score.append(
                f"CASE WHEN m.alternatives & {1 << bit} THEN {plan.bind(_idf(statistics, token))} * (({f} * "
                f"({BM25_K1} + 1.0)) / ({f} + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * m.size / {average}))) "
                "ELSE 0.0 END")
    bm25 = f"-1.0 * (0.0 + {' + '.join(terms_of_score)})"
    own = sum(1 << first for first in firsts)  # each group's first alternative: the user's own words
    plan.rank = f"({bm25} - CASE WHEN m.alternatives & {own} = {own} THEN {OWN_WORDS_BONUS} ELSE 0 END)"
    return True


class SqliteDialect(Dialect):
    def next_numbers(self, session: Session, table: str, column: str, count: int) -> list[int]:
        # SQLite allows one writer at a time and the caller has already written (deleted) in this
        # transaction, so no one else can take these numbers before we insert them; they are
        # consecutive, which ``write`` relies on.
        first = int(session.execute(text(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")).scalar_one())
        return list(range(first, first + count))

    def write(self, session: Session, rows: Rows) -> None:
        add_located(session, rows.entries)
        if rows.entries:
            session.execute(text("INSERT INTO search_fts(rowid, name_text, body_text) SELECT entry, name_text, "
                                 "body_text FROM search_entry WHERE entry BETWEEN :low AND :high"),
                            {"low": rows.entries[0]["entry"], "high": rows.entries[-1]["entry"]})
            session.execute(text(f"INSERT INTO search_fts_region(rowid, name_text, body_text) SELECT e.entry, "
                                 f"{_REGIONAL} WHERE e.entry BETWEEN :low AND :high AND e.cell IS NOT NULL"),
                            {"low": rows.entries[0]["entry"], "high": rows.entries[-1]["entry"]})
        if rows.shapes:
            session.execute(text("INSERT INTO search_shape_rtree VALUES (:shape, :min_lat, :max_lat, :min_lon, "
                                 ":max_lon)"), rows.shapes)

    def forget(self, session: Session, entries: list[int]) -> None:
        remove_located(session, entries)
        plan = Plan()
        within = plan.binds(entries)
        # External content: FTS5 removes a row's tokens given the text it indexed, still in search_entry.
        session.execute(text("INSERT INTO search_fts(search_fts, rowid, name_text, body_text) SELECT 'delete', "
                             f"entry, name_text, body_text FROM search_entry WHERE entry IN {within}"), plan.params)
        session.execute(text("INSERT INTO search_fts_region(search_fts_region, rowid, name_text, body_text) "
                             f"SELECT 'delete', e.entry, {_REGIONAL} WHERE e.entry IN {within} AND e.cell IS NOT NULL"),
                        plan.params)
        session.execute(text("DELETE FROM search_shape_rtree WHERE shape IN "
                             f"(SELECT shape FROM search_shape WHERE entry IN {within})"), plan.params)

    def clear(self, session: Session) -> None:
        for table in ("search_fts", "search_fts_region"):
            session.execute(text(f"INSERT INTO {table}({table}) VALUES ('delete-all')"))
        clear_located(session)
        session.execute(text("DELETE FROM search_shape_rtree"))

    def optimize(self, session: Session) -> None:
        # One b-tree per FTS5 index instead of the dozen a rebuild in batches leaves: every word
        # of a query is looked up in each (regional text: 0.3 ms instead of 3.5 for 84 words).
        for table in ("search_fts", "search_fts_region"):
            session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))

    def prepare(self, session: Session) -> None:
        connection = session.connection()
        if not connection.info.get(_FUNCTIONS):
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.create_function("waymark_token_count", 1, _token_count, deterministic=True)
            connection.info[_FUNCTIONS] = True

    def match_text(self, session: Session, plan: Plan, groups: list[list[list[str]]]) -> None:
        if _match_in_regions(session, plan, groups):
            return
        # FTS5 drives: probing it once per entry (rowid = ?) restarts the whole MATCH each time.
        # A radius becomes a set of entries built once from the cell index and probed per match
        # (``+`` keeps it from being offered to FTS5 as rowid values). bm25 works only in the
        # SELECT that runs the MATCH; the service unit's window query wraps that SELECT.
        plan.source[0] = "search_fts CROSS JOIN search_entry e ON e.entry = search_fts.rowid"
        plan.conditions.insert(0, f"search_fts MATCH {plan.bind(fts_query(groups))}")
        if plan.within is not None:
            plan.conditions.remove(str(plan.driver))
            plan.conditions.insert(1, f"+search_fts.rowid IN ({plan.within})")
            plan.within = plan.driver = None
        # The user's own words (each group's first alternative) rank before synonyms: a bonus
        # far beyond any bm25 score (bm25 is negative; lower is better).
        plan.rank = f"(bm25(search_fts, {NAME_WEIGHT}, 1.0) - CASE WHEN {_has_own_words(plan, groups)} " \
                    f"THEN {OWN_WORDS_BONUS} ELSE 0 END)"

    def covered(self, session: Session, plan: Plan, point: GeoPoint) -> str | None:
        # The R*Tree narrows the shapes to the few whose box holds the point; shapely decides.
        boxes = session.execute(text(
            "SELECT s.shape, s.geojson FROM search_shape_rtree sr JOIN search_shape s ON s.shape = sr.shape "
            "WHERE sr.min_lat <= :lat AND sr.max_lat >= :lat AND sr.min_lon <= :lon AND sr.max_lon >= :lon"),
            {"lat": point.latitude, "lon": point.longitude})
        here = shapely.Point(point.longitude, point.latitude)
        shapes = sorted({shape for shape, geojson in boxes if _geometry(geojson).covers(here)})
        return f"SELECT s.entry FROM search_shape s WHERE s.shape IN {plan.binds(shapes)}" if shapes else None
