"""SearchQuery as SQL over the index tables, shared by both dialects.

A query becomes one ``Plan``: a FROM clause over ``search_entry e`` and a list of conditions.
The dialect (``app.search.sql_sqlite``, ``app.search.sql_postgresql``) contributes what is not
portable: text matching and its rank, shape containment, how a radius names its cells.
Everything else (tags, opening rules, ages, dates, paging, units, sort order) is written once
here so both dialects answer alike.

Points are portable: search_entry holds each point on the unit sphere (x, y, z) and its grid
cell, with a covering index over (cell, x, y, z, and the filters kept on the entry row). A
radius becomes the cells the circle touches (a join to cell ranges on SQLite, an array of cells
on PostgreSQL, whose planner can estimate it) and an exact squared-chord test on the
index entry: counting the entries within a radius never visits the wide rows.

Constants (the point, the radius, cells) are parameters, never literals: a kind of search keeps
one statement text from request to request, so the driver and the database can keep it prepared
(see ``Plan.run``).

A page and its exact count: when a selective filter (text, a term, opening times, coverage ...)
leaves few hits, or relevance must rank them all anyway, one statement gives the page and
``count(*) OVER ()``. Otherwise the count comes first (from the covering index), then the page;
nearest-first pages are tried within growing radii (``FIRST_STEP_M`` doubled): entries within
radius r come before every entry beyond it, so once a radius holds the whole page the rest of
the country need not be sorted.
"""

from __future__ import annotations

import datetime
import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, event, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import TypeEngine

from app.geo.distance import EARTH_RADIUS_M, haversine_m
from app.models.types import UTCDateTime
from app.search.backend import GeoPoint, OpenAt, SearchQuery, SearchResult, TextQuery
from app.search.opening import MINUTES_PER_DAY
from app.search.sql_rows import CELL_DEG, COLUMNS, ROWS, Rows, cell_row, day_number, unit_vector

FIRST_STEP_M = 500.0  # first radius tried for a nearest-first page; doubled until the page is full
STEP_WHEN_MORE_THAN = 500  # matches; fewer are simply sorted in one go
MAX_CELL_ROWS = 400  # grid rows (CELL_DEG each) beyond which a radius is tested without cell ranges
MAX_CELLS = 6000  # cells listed one by one at most (``Dialect.cell_array``)
HALF_EARTH_M = 3.1416 * EARTH_RADIUS_M


@dataclass
class Plan:
    """A statement under construction: FROM clause, AND-ed conditions and their parameters."""

    source: list[str] = field(default_factory=lambda: ["search_entry e"])
    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    types: dict[str, TypeEngine[Any]] = field(default_factory=dict)
    distance: str | None = None  # ascending, NULL for entries without coordinates
    rank: str | None = None  # ascending: best text match first
    # With a radius small enough for cell ranges: a SELECT of the entries within it, for a
    # dialect that would rather drive from another index (see ``near``).
    within: str | None = None
    driver: str | None = None  # the condition joining the first FROM item (cells) to e
    cells: list[tuple[int, int]] | None = None  # the radius's cell ranges, when it has any
    # The radius's cells are to be listed (PostgreSQL; see ``near``): the condition is added last,
    # by ``build``, unless another index has come to find the entries (text, tags) meanwhile.
    list_cells: bool = False
    # Planned with each request's values, never prepared (PostgreSQL): for statements whose
    # text is the same whatever the values but whose best plan depends on them (text search).
    custom_plan: bool = False

    def bind(self, value: Any, type_: TypeEngine[Any] | None = None) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        if type_ is not None:
            self.types[name] = type_
        return f":{name}"

    def binds(self, values: Any) -> str:
        """A parenthesised list of parameters, for IN."""
        return "(" + ", ".join(self.bind(value) for value in values) + ")"

    def where(self) -> str:
        return " AND ".join(self.conditions) if self.conditions else "1 = 1"

    def run(self, session: Session, sql: str) -> CursorResult[Any]:
        """Execute ``sql`` (written with this plan's ``:pN`` parameters) on the session's connection.

        Straight to the driver: SQLAlchemy would parse the text for its parameters and build a
        cache key from it on every call (~15% of a search request's Python time on PostgreSQL).
        Constants travel as parameters, so the text of a kind of search is the same from one
        request to the next: the driver's own caches hold, and psycopg keeps such statements
        prepared on the connection (PostgreSQL then parses them once)."""
        connection = session.connection()
        dialect = connection.dialect
        params = self.params
        if self.types:
            params = dict(params)
            for name, type_ in self.types.items():
                process = type_.bind_processor(dialect)
                if process is not None and params[name] is not None:
                    params[name] = process(params[name])
        statement = _native(sql, dialect.paramstyle)
        if not self.custom_plan or dialect.name != "postgresql":
            return connection.exec_driver_sql(statement, params)
        # psycopg prepares a statement it has seen five times; PostgreSQL may then settle on a
        # generic plan, blind to the values (a text search's words), that costs more than
        # planning each time (text within 16 km: 4.2 -> 5.7 ms of PostgreSQL CPU a request).
        driver = connection.connection.driver_connection
        assert driver is not None
        threshold, driver.prepare_threshold = driver.prepare_threshold, None
        try:
            return connection.exec_driver_sql(statement, params)
        finally:
            driver.prepare_threshold = threshold


_PARAMETER = re.compile(r"(?<![:\w]):(p\d+)\b")


@lru_cache(maxsize=512)
def _native(sql: str, paramstyle: str) -> str:
    """``sql`` with its ``:pN`` parameters in the driver's style: psycopg's ``%(pN)s`` (a literal
    ``%`` doubled), sqlite3 takes ``:pN`` as it is."""
    if paramstyle in ("pyformat", "format"):
        return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
    return sql


class Dialect(ABC):
    """What differs between SQLite and PostgreSQL: spatial and text structures."""

    cell_array = False  # a radius as a list of cells (``= ANY``) rather than a join to cell ranges
    fetch_with_ties = False  # ``FETCH FIRST n ROWS WITH TIES`` (see ``_select``)

    @abstractmethod
    def next_numbers(self, session: Session, table: str, column: str, count: int) -> list[int]:
        """``count`` unused numbers for ``table.column``, ascending."""

    @abstractmethod
    def write(self, session: Session, rows: Rows) -> None:
        """Fill the dialect's structures for rows just inserted into the portable tables."""

    @abstractmethod
    def forget(self, session: Session, entries: list[int]) -> None:
        """Remove ``entries`` from the dialect's structures (their portable rows still exist)."""

    @abstractmethod
    def clear(self, session: Session) -> None:
        """Empty the dialect's structures."""

    @abstractmethod
    def match_text(self, session: Session, plan: Plan, groups: list[list[list[str]]]) -> None:
        """Restrict to documents matching every group; set ``plan.rank``."""

    @abstractmethod
    def covered(self, session: Session, plan: Plan, point: GeoPoint) -> str | None:
        """A SELECT of the entries one of whose coverage shapes contains ``point``; None: no entry."""

    def name_order(self) -> str:
        """The name sort key (code point order, as every backend compares names)."""
        return "name"

    def prepare(self, session: Session) -> None:
        """Settings for the statements of one search (none by default)."""
        return None

    def optimize(self, session: Session) -> None:
        """Compact the dialect's structures after a rebuild (nothing by default)."""
        return None


def chord2(radius_m: float) -> float:
    """The squared chord on the unit sphere of a great-circle distance."""
    angle = min(radius_m / EARTH_RADIUS_M, math.pi)
    return (2 * math.sin(angle / 2)) ** 2


def cell_ranges(point: GeoPoint, radius_m: float) -> list[tuple[int, int]] | None:
    """Ranges of ``search_entry.cell`` holding every point within ``radius_m`` of ``point`` (and
    some beyond: the exact test follows), one or two per grid row the circle touches; None when
    the circle touches more than ``MAX_CELL_ROWS`` rows (a plain scan is then no worse)."""
    angle = radius_m / EARTH_RADIUS_M
    if angle >= math.pi / 2:
        return None
    lat0 = math.radians(point.latitude)
    low = point.latitude - math.degrees(angle)
    high = point.latitude + math.degrees(angle)
    first, last = cell_row(low) - 1, cell_row(high) + 1
    if last - first + 1 > MAX_CELL_ROWS:
        return None
    first, last = max(first, 0), min(last, ROWS - 1)
    # The circle's widest reach east and west is at this latitude (where its edge is due east).
    widest = math.asin(max(-1.0, min(1.0, math.sin(lat0) / math.cos(angle))))
    ranges: list[tuple[int, int]] = []
    for row in range(first, last + 1):
        south = max(math.radians(row * CELL_DEG - 90), math.radians(low))
        north = min(math.radians((row + 1) * CELL_DEG - 90), math.radians(high))
        if south > north:
            south = north = max(min(south, math.radians(high)), math.radians(low))
        reach = max(_reach(lat0, angle, latitude) for latitude in (south, north, min(max(widest, south), north)))
        if reach >= math.pi:
            west, east = 0, COLUMNS - 1
        else:
            degrees = math.degrees(reach)
            west = math.floor((point.longitude - degrees + 180) / CELL_DEG) - 1
            east = math.floor((point.longitude + degrees + 180) / CELL_DEG) + 1
        base = row * COLUMNS
        if east - west + 1 >= COLUMNS:
            ranges.append((base, base + COLUMNS - 1))
        elif west < 0:  # across the antimeridian
            ranges += [(base, base + east), (base + west + COLUMNS, base + COLUMNS - 1)]
        elif east >= COLUMNS:
            ranges += [(base, base + east - COLUMNS), (base + west, base + COLUMNS - 1)]
        else:
            ranges.append((base + west, base + east))
    return ranges


def _reach(lat0: float, angle: float, latitude: float) -> float:
    """The largest longitude difference from the centre of a point at ``latitude`` within
    ``angle`` (radians) of the centre at latitude ``lat0``; pi when the circle spans the row."""
    across = math.cos(latitude) * math.cos(lat0)
    if across < 1e-12:
        return math.pi
    cosine = (math.cos(angle) - math.sin(latitude) * math.sin(lat0)) / across
    if cosine <= -1:
        return math.pi
    return math.acos(min(cosine, 1.0))


def _cell_list(ranges: list[tuple[int, int]]) -> list[int]:
    """The cells of ``ranges``."""
    return [number for lo, hi in ranges for number in range(int(lo), int(hi) + 1)]


def _listed(dialect: Dialect, ranges: list[tuple[int, int]]) -> bool:
    return dialect.cell_array and sum(hi - lo + 1 for lo, hi in ranges) <= MAX_CELLS


def _integers(plan: Plan, values: list[int]) -> str:
    """``values`` as one PostgreSQL integer[] parameter, sent as its text form: psycopg dumps a
    list element by element in Python (~0.3 ms for the ~1,000 cells of a 16 km radius)."""
    return f"{plan.bind('{' + ','.join(map(str, values)) + '}')}::integer[]"


def _in_cells(plan: Plan, column: str, ranges: list[tuple[int, int]]) -> str:
    """``column`` is one of the cells of ``ranges``, as one array parameter: PostgreSQL plans with
    its value, estimating it from its statistics (it cannot estimate a join to a VALUES list of
    ranges), and scans the index once per cell."""
    return f"{column} = ANY({_integers(plan, _cell_list(ranges))})"


def _bounds(plan: Plan, dialect: Dialect, ranges: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """Each range's first and last cell as SQL. On PostgreSQL elements of two array parameters:
    two parameters instead of two per range, so that psycopg keeps the statement's conversion
    (it caches none with more than 50), and PostgreSQL, planning with their values, folds each
    element to a constant it estimates as before."""
    if not dialect.cell_array:
        return [(plan.bind(int(lo)), plan.bind(int(hi))) for lo, hi in ranges]
    first, last = _integers(plan, [lo for lo, _ in ranges]), _integers(plan, [hi for _, hi in ranges])
    return [(f"({first})[{number}]", f"({last})[{number}]") for number in range(1, len(ranges) + 1)]


def _cell_join(plan: Plan, dialect: Dialect, table: str, ranges: list[tuple[int, int]]) -> tuple[str, str]:
    """A FROM clause joining the cell ranges first to ``table`` and its join condition: each range
    is then one index range scan."""
    values = f"(VALUES {', '.join(f'({lo}, {hi})' for lo, hi in _bounds(plan, dialect, ranges))}) c"
    return f"{values} CROSS JOIN {table}", f"{table.split()[-1]}.cell BETWEEN c.column1 AND c.column2"


def near(plan: Plan, dialect: Dialect, point: GeoPoint, radius: float | None) -> None:
    """Set ``plan.distance`` (the squared chord, NULL without coordinates); with a radius,
    restrict to entries within it: cell ranges (joined first, so each is an index range scan)
    narrow it, the squared chord decides exactly."""
    plan.distance = _chord_to(plan, point)
    if radius is None:
        return
    ranges = plan.cells = cell_ranges(point, radius)
    inside = f"{plan.distance} <= {plan.bind(chord2(radius))}"
    if ranges is not None and _listed(dialect, ranges):
        plan.list_cells = True
    elif ranges is not None:
        # Cells first, each an index range scan of ix_search_entry_cell; the squared chord is
        # tested on the index entry (it covers x, y, z), before any visit to the row.
        source, plan.driver = _cell_join(plan, dialect, "search_entry e", ranges)
        plan.source[:] = [source, *plan.source[1:]]
        plan.conditions.append(plan.driver)
        plan.within = f"SELECT e.entry FROM {source} WHERE {plan.driver} AND {inside}"
    plan.conditions.append(inside)


def _chord_to(plan: Plan, point: GeoPoint) -> str:
    """The squared chord from ``point`` to the entry ``e`` (NULL without coordinates)."""
    x, y, z = (plan.bind(value) for value in unit_vector(point.latitude, point.longitude))
    return f"((e.x - {x}) * (e.x - {x}) + (e.y - {y}) * (e.y - {y}) + (e.z - {z}) * (e.z - {z}))"


# --- exact counts of wide radii from per-cell counts ------------------------------------------

EDGE_MARGIN_M = 1.0  # a cell counts as wholly inside only this far within the circle (rounding)


def split_cells(point: GeoPoint, radius_m: float) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """The cell ranges of ``cell_ranges`` split into cells wholly inside the circle (every point of
    them within ``radius_m``) and the rest, the cells its edge may cross; None where the circle
    reaches a pole or the antimeridian (rare enough to count row by row).

    On the sphere, the point of a latitude-longitude cell farthest from the centre is one of its
    corners (along a parallel the distance grows with the longitude difference; along a meridian
    it has a single minimum). A corner at latitude ``lat`` is inside when its longitude difference
    is at most ``_reach(lat)``, so a row's inside cells are one run of columns between the reach at
    its south and north edges."""
    ranges = cell_ranges(point, radius_m)
    if ranges is None or radius_m <= EDGE_MARGIN_M:
        return None
    angle = (radius_m - EDGE_MARGIN_M) / EARTH_RADIUS_M
    lat0 = math.radians(point.latitude)
    inside: list[tuple[int, int]] = []
    edge: list[tuple[int, int]] = []
    for lo, hi in ranges:
        row = lo // COLUMNS
        if hi // COLUMNS != row or hi - lo + 1 >= COLUMNS or row in (0, ROWS - 1):
            return None
        reach = min(_reach(lat0, angle, math.radians(row * CELL_DEG - 90)),
                    _reach(lat0, angle, math.radians((row + 1) * CELL_DEG - 90)))
        if reach >= math.pi / 2:
            return None
        degrees = math.degrees(reach)
        first = math.ceil((point.longitude - degrees + 180) / CELL_DEG)  # west edge inside
        last = math.floor((point.longitude + degrees + 180) / CELL_DEG) - 1  # east edge inside
        base = row * COLUMNS
        first, last = max(base + first, lo), min(base + last, hi)
        if first > last:
            edge.append((lo, hi))
            continue
        inside.append((first, last))
        edge += [(a, b) for a, b in ((lo, first - 1), (last + 1, hi)) if a <= b]
    return inside, edge


Split = tuple[list[tuple[int, int]], list[tuple[int, int]]]  # cells wholly inside, edge cells


def counted_by_cells(query: SearchQuery) -> Split | None:
    """The cells of a query that only asks for entries at a location within a radius (a
    nearest-first page with no other filter), split for ``cell_count``; None for any other query."""
    if not _radius_only(query) or query.point is None or query.proximity is None:
        return None
    return split_cells(query.point, query.proximity)


def cell_count(session: Session, query: SearchQuery, dialect: Dialect, split: Split) -> int:
    """The exact count of such a query (``counted_by_cells``), from ``search_cell`` for the cells
    wholly inside and the covering index for the edge cells."""
    plan = Plan()
    return int(plan.run(session, cell_count_sql(plan, query, dialect, split)).scalar_one())


def cell_count_sql(plan: Plan, query: SearchQuery, dialect: Dialect, split: Split) -> str:
    """The statement of ``cell_count``, its parameters bound in ``plan``."""
    assert query.point is not None and query.proximity is not None
    inside, edge = split
    parts = []
    if inside:  # one range scan of the primary key per row of cells (a list of every cell made
        # PostgreSQL scan the whole table)
        source, join = _cell_join(plan, dialect, "search_cell s", inside)
        parts.append(f"(SELECT coalesce(sum(s.located), 0) FROM {source} WHERE {join})")
    if edge:
        chord = f"{_chord_to(plan, query.point)} <= {plan.bind(chord2(query.proximity))}"
        if _listed(dialect, edge):
            parts.append(f"(SELECT count(*) FROM search_entry e WHERE {_in_cells(plan, 'e.cell', edge)} "
                         f"AND e.at_location AND {chord})")
        else:
            source, join = _cell_join(plan, dialect, "search_entry e", edge)
            parts.append(f"(SELECT count(*) FROM {source} WHERE {join} AND e.at_location AND {chord})")
    return "SELECT " + (" + ".join(parts) if parts else "0")


def _radius_only(query: SearchQuery) -> bool:
    """Whether the query filters by nothing but place (entries at a location within a radius)."""
    return (query.unit == "service_at_location" and not usable_text(query.text) and not query.term_ids
            and not query.taxonomy_id and not query.organization_id and query.modified_after is None
            and not query.free and query.age_range is None and not query.windows and query.open_at is None
            and not query.languages and not query.delivery and query.coverage is None)


# --- per-cell counts (search_cell), changed once per transaction --------------------------------

_CELL_CHANGES = "waymark_search_cell_changes"  # Session.info: cell -> change in located entries


def add_located(session: Session, entries: list[dict[str, Any]]) -> None:
    """Count entry rows just written into ``search_cell`` (see ``_change_located``)."""
    _change_located(session, Counter(row["cell"] for row in entries
                                     if row["at_location"] and row["cell"] is not None))


def remove_located(session: Session, entries: list[int]) -> None:
    """Take ``entries`` (still in search_entry, about to be deleted) out of ``search_cell``."""
    plan = Plan()
    found = session.execute(text("SELECT cell, count(*) FROM search_entry WHERE entry IN "
                                 f"{plan.binds(entries)} AND at_location AND cell IS NOT NULL GROUP BY cell"),
                            plan.params)
    _change_located(session, Counter({int(cell): -int(n) for cell, n in found}))


def _change_located(session: Session, changes: Counter[int]) -> None:
    """Note per-cell changes; they reach ``search_cell`` in one go (``apply_located``) before the
    transaction commits or the session next searches.

    Why not at once: a transaction re-indexing services removes entries from some cells and adds
    entries to others, in several statements (``SqlBackend.replace`` works in chunks, a harvest
    replaces once per publish). Updating the rows as they come, two PostgreSQL transactions could
    each lock a cell the other then wants: a deadlock. Applied once, in ascending cell order, every
    transaction locks search_cell rows in the same order, and a cell whose entries only moved
    within it is not locked at all. Inside a savepoint the changes are applied at once, so a
    rolled-back savepoint takes its own changes with it."""
    if session.in_nested_transaction():
        _apply(session, changes)
        return
    pending: Counter[int] = session.info.setdefault(_CELL_CHANGES, Counter())
    pending.update(changes)


def apply_located(session: Session) -> None:
    """Write the per-cell changes noted in this transaction to ``search_cell``."""
    pending: Counter[int] | None = session.info.pop(_CELL_CHANGES, None)
    if pending:
        _apply(session, pending)


def clear_located(session: Session) -> None:
    """Empty ``search_cell`` (a rebuild), dropping the changes noted before."""
    session.info.pop(_CELL_CHANGES, None)
    session.execute(text("DELETE FROM search_cell"))


def _apply(session: Session, changes: Counter[int]) -> None:
    rows = [{"cell": cell, "n": n} for cell, n in sorted(changes.items()) if n]
    if not rows:
        return
    session.execute(text("INSERT INTO search_cell (cell, located) VALUES (:cell, :n) ON CONFLICT (cell) "
                         "DO UPDATE SET located = search_cell.located + excluded.located"), rows)
    if any(row["n"] < 0 for row in rows):  # only rows this transaction has just locked
        emptied = Plan()
        session.execute(text("DELETE FROM search_cell WHERE located <= 0 AND cell IN "
                             f"{emptied.binds(row['cell'] for row in rows if row['n'] < 0)}"), emptied.params)


@event.listens_for(Session, "before_commit")
def _apply_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        apply_located(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without commit (rollback, close) takes its noted changes with it."""
    if transaction.parent is None:
        session.info.pop(_CELL_CHANGES, None)


OWN_WORDS_BONUS = 10_000  # beyond any bm25 / ts_rank_cd score: see "relevance" in app.search.backend


def own_words(groups: list[list[list[str]]]) -> list[list[list[str]]]:
    """The text query with only each group's first alternative: the words the user typed."""
    return [[group[0]] for group in groups]


def usable_text(query: TextQuery) -> list[list[list[str]]]:
    """Groups of alternatives of tokens, without tokens no index can hold (no letter or digit).
    An alternative left empty matches anything, and so does its group: such groups are dropped."""
    groups = []
    for group in query:
        alternatives = [[token for token in alternative if any(c.isalnum() for c in token)] for alternative in group]
        if alternatives and all(alternatives):
            groups.append(alternatives)
    return groups


def build(session: Session, query: SearchQuery, dialect: Dialect, radius: float | None) -> Plan:
    """The plan of ``query``, restricted to ``radius`` metres of its point when not None."""
    plan = Plan()
    if query.unit == "service_at_location":  # a service with no location is no service at a location
        plan.conditions.append("e.at_location")
    if query.point is not None:
        near(plan, dialect, query.point, radius)
    groups = usable_text(query.text)
    if groups:
        dialect.match_text(session, plan, groups)
    tag_filters = [
        [f"term:{term}" for term in sorted(query.term_ids)],
        [f"taxonomy:{query.taxonomy_id}"] if query.taxonomy_id else [],
        [f"lang:{language.lower()}" for language in sorted(query.languages)],
        [f"delivery:{mode}" for mode in sorted(query.delivery)],
    ]
    tag_filters = [values for values in tag_filters if values]
    tags_drive = bool(tag_filters) and plan.cells is not None and not groups
    # Opening times concern the entry number alone: where tags drive, they are tested on the tag
    # index's entries, before any entry row is read (taxonomy + open_at within 16 km: ~900 rows
    # read for ~80 hits before; PostgreSQL execution 1.5 -> 0.8 ms at the median of the bench's).
    entry = "t.entry" if tags_drive else "e.entry"
    opening = ([_open_in_windows(plan, query.windows, entry)] if query.windows else []) + (
        [_open_at(plan, query.open_at, entry)] if query.open_at is not None else [])
    if tags_drive:
        _tagged_near(plan, dialect, tag_filters, opening)
    else:
        for values in tag_filters:
            plan.conditions.append(_tagged(plan, values))
        plan.conditions += opening
    if query.organization_id:
        plan.conditions.append(f"e.organization_id = {plan.bind(query.organization_id)}")
    if query.modified_after is not None:
        plan.conditions.append(f"e.last_modified >= {plan.bind(query.modified_after, UTCDateTime())}")
    if query.free:
        plan.conditions.append("e.free = " + plan.bind(True))
    if query.age_range is not None:
        _ages(plan, *query.age_range)
    if query.coverage is not None:
        # One set of entries (codes, then shapes), so the planner can drive from it.
        codes = [f"area:{code}" for code in sorted(query.coverage)]
        # One row per service at a location: only the tags of such entries (partial index).
        either = [_tag_select(plan, codes, located=query.unit == "service_at_location")] if codes else []
        if query.point is not None and (shapes := dialect.covered(session, plan, query.point)) is not None:
            either.append(shapes)
        plan.conditions.append(member(plan, " UNION ALL ".join(either)) if either else "1 = 0")
    if plan.list_cells and plan.cells is not None:
        plan.conditions.append(_in_cells(plan, "e.cell", plan.cells))
    return plan


def _tag_select(plan: Plan, values: list[str], located: bool = False) -> str:
    """The entries with any of the tags ``values``; with ``located``, only entries at a location."""
    return f"SELECT t.entry FROM search_tag t WHERE t.tag IN {plan.binds(values)}" + (
        " AND t.at_location" if located else "")


def _tagged_near(plan: Plan, dialect: Dialect, tag_filters: list[list[str]], opening: list[str]) -> None:
    """Tag filters within a radius: the tagged entries of the circle's cells, read from the
    (tag, cell) index, drive (each then tested by the squared chord), instead of every entry
    within the radius being tested against every tagged entry in the country. ``opening``:
    conditions on ``t.entry`` (opening times) tested on the driving entries."""
    ranges = plan.cells
    assert ranges is not None
    if plan.driver is not None:  # entries are found from the tags now, not from the cell ranges
        plan.conditions.remove(plan.driver)
        plan.source[0] = "search_entry e"
        plan.driver = plan.within = None
    plan.list_cells = False  # nor from the cell list (PostgreSQL would rather bitmap-scan it)
    for number, values in enumerate(tag_filters):
        # One index range scan per tag and row of cells. PostgreSQL is given the ranges as an OR
        # it estimates from its statistics (with a list of every cell it read every entry of the
        # tag and filtered them; with a join to the ranges it drove from the cells instead).
        if dialect.cell_array:
            between = " OR ".join(f"t.cell BETWEEN {lo} AND {hi}" for lo, hi in _bounds(plan, dialect, ranges))
            entries = f"SELECT t.entry FROM search_tag t WHERE t.tag IN {plan.binds(values)} AND ({between})"
        else:
            source, join = _cell_join(plan, dialect, "search_tag t", ranges)
            entries = f"SELECT t.entry FROM {source} WHERE t.tag IN {plan.binds(values)} AND {join}"
        if number == 0 and opening:  # the first drives: opening times are tested on its entries
            entries += " AND " + " AND ".join(opening)
        # The first drives; ``+`` keeps the others as sets probed per entry.
        plan.conditions.append(f"{'+' if number else ''}e.entry IN ({entries})")


def member(plan: Plan, entries: str) -> str:
    """``e.entry IN (entries)``. When cell ranges drive, ``+e.entry`` keeps SQLite from driving
    from the set instead (once per cell range): the set is built once and probed per entry."""
    return f"{'+' if plan.driver else ''}e.entry IN ({entries})"


def _tagged(plan: Plan, values: list[str]) -> str:
    return member(plan, _tag_select(plan, values))


def _ages(plan: Plan, low: int | None, high: int | None) -> None:
    """Overlap of [low, high] with the entry's [minimum_age, maximum_age]; NULL is unbounded."""
    if high is not None:
        plan.conditions.append(f"(e.minimum_age IS NULL OR e.minimum_age <= {plan.bind(high)})")
    if low is not None:
        plan.conditions.append(f"(e.maximum_age IS NULL OR e.maximum_age >= {plan.bind(low)})")


def _open_in_windows(plan: Plan, windows: tuple[tuple[int, int], ...], entry: str) -> str:
    overlaps = " OR ".join(f'(o.start < {plan.bind(end)} AND o."end" > {plan.bind(start)})' for start, end in windows)
    return f"EXISTS (SELECT 1 FROM search_open o WHERE o.entry = {entry} AND ({overlaps}))"


def _open_at(plan: Plan, moment: OpenAt, entry: str) -> str:
    """``OpenInterval.occurs_on`` in SQL. An interval covering the minute started that day when it
    starts on the minute's weekday, else the day before; each case checks its own date."""
    minute = plan.bind(moment.minute)
    midnight = plan.bind(moment.minute // MINUTES_PER_DAY * MINUTES_PER_DAY)
    today = _occurs_on(plan, moment.day)
    yesterday = _occurs_on(plan, moment.day - datetime.timedelta(days=1))
    return (f'EXISTS (SELECT 1 FROM search_open o WHERE o.entry = {entry} AND o.start <= {minute} '
            f'AND o."end" > {minute} AND ((o.start >= {midnight} AND {today}) '
            f'OR (o.start < {midnight} AND {yesterday})))')


def _occurs_on(plan: Plan, day: datetime.date) -> str:
    number = day_number(day)
    nth = (day.day - 1) // 7 + 1
    last = (day + datetime.timedelta(days=7)).month != day.month
    on = plan.bind(number)
    monthly = f"o.nth = {plan.bind(nth)}" + (" OR o.nth = -1" if last else "")
    every = (f"(o.every <= 1 OR o.anchor IS NULL OR ({on} >= o.anchor "
             f"AND (({on} - o.anchor) / 7) % o.every = 0))")
    return (f"((o.valid_from IS NULL OR o.valid_from <= {on}) AND (o.valid_to IS NULL OR o.valid_to >= {on}) "
            f"AND ((o.nth IS NOT NULL AND ({monthly})) OR (o.nth IS NULL AND {every})))")


def _order(query: SearchQuery, plan: Plan) -> list[str]:
    nearest = ["distance NULLS LAST"] if plan.distance else []
    if query.sort == "distance":
        return [*nearest, "name", "key"]
    if query.sort == "relevance":
        return [*(["rank"] if plan.rank else []), *nearest, "name", "key"]
    return ["name", "key"]


def _select(query: SearchQuery, plan: Plan, dialect: Dialect, limit: int, offset: int, total: bool = False,
            carried: str | None = None) -> str:
    """The page; with ``total``, each row also carries the number of hits (``count(*) OVER ()``);
    with ``carried`` (a one-value SELECT, service at location unit only), that value as ``total``,
    on a row of its own with a NULL key when the page is empty."""
    extra = "".join([f", {plan.distance} AS distance" if plan.distance else "",
                     f", {plan.rank} AS rank" if plan.rank else ""])
    counted = ", count(*) OVER () AS total" if total else ""
    order = ", ".join(dialect.name_order() if key == "name" else key for key in _order(query, plan))
    paging = f"LIMIT {plan.bind(limit)} OFFSET {plan.bind(offset)}"
    where = plan.where()
    source = " ".join(plan.source)
    if query.unit == "service_at_location":
        if not total and dialect.fetch_with_ties and plan.distance and query.sort == "distance":
            # The nearest entries from the covering cell index alone (with every entry as near as
            # the last, for the name order to pick from), then only their rows: in central London
            # the rows of all ~2,000 entries within 500 m were read to sort them (PostgreSQL
            # execution 8.0 -> 4.3 ms, mean of 30 of the bench's nearest_london queries).
            nearest = (f"SELECT e.entry FROM {source} WHERE {where} ORDER BY {plan.distance} "
                       f"FETCH FIRST {int(limit) + int(offset)} ROWS WITH TIES")
            source, where = "search_entry e", f"e.entry IN ({nearest})"
        hits = (f"SELECT e.id AS key, e.latitude AS latitude, e.longitude AS longitude, e.name AS name{extra} "
                f"FROM {source} WHERE {where}")
        if carried:  # the count whether or not the page has rows (a sparse place's first radius)
            return (f"SELECT p.key, p.latitude, p.longitude, c.total FROM (SELECT ({carried}) AS total) c "
                    f"LEFT JOIN ({hits} ORDER BY {order} {paging}) p ON 1 = 1 ORDER BY {order}")
        if not total:
            return f"{hits} ORDER BY {order} {paging}"
        # The window over a SELECT of its own, for the same reason as below.
        return f"SELECT key, latitude, longitude{counted} FROM ({hits}) h ORDER BY {order} {paging}"
    # Hits first (a SELECT of its own: SQLite's bm25 works only in the SELECT running the MATCH,
    # and a query with window functions is never flattened into), then each service's nearest.
    representative = "distance NULLS LAST, id" if plan.distance else "id"
    columns = "".join([", distance" if plan.distance else "", ", rank" if plan.rank else ""])
    hits = (f"SELECT e.id AS id, e.service_id AS key, e.latitude AS latitude, e.longitude AS longitude, "
            f"e.name AS name{extra} FROM {source} WHERE {where}")
    return (f"SELECT key, latitude, longitude{counted} FROM (SELECT key, latitude, longitude, name{columns}, "
            f"row_number() OVER (PARTITION BY key ORDER BY {representative}) AS n FROM ({hits}) b) h "
            f"WHERE n = 1 ORDER BY {order} {paging}")


def count(session: Session, query: SearchQuery, dialect: Dialect) -> int:
    apply_located(session)
    dialect.prepare(session)
    split = counted_by_cells(query)
    if split is not None:
        return cell_count(session, query, dialect, split)
    plan = build(session, query, dialect, query.proximity)
    what = "count(*)" if query.unit == "service_at_location" else "count(DISTINCT e.service_id)"
    return int(plan.run(session, f"SELECT {what} FROM {' '.join(plan.source)} WHERE {plan.where()}").scalar_one())


def _steps(proximity: float | None) -> Iterator[float]:
    radius = FIRST_STEP_M
    limit = HALF_EARTH_M if proximity is None else proximity
    while radius < limit:
        yield radius
        radius *= 2


def _selective(query: SearchQuery) -> bool:
    """Whether a filter is likely to leave few hits (a term, opening times, text, coverage ...)."""
    return bool(query.term_ids or query.open_at or query.windows or query.organization_id
                or usable_text(query.text) or query.coverage is not None)


def search(session: Session, query: SearchQuery, dialect: Dialect) -> SearchResult:
    apply_located(session)  # counts changed earlier in this transaction
    dialect.prepare(session)
    per_page = max(query.per_page, 0)
    offset = max(query.page - 1, 0) * per_page
    if per_page > 0 and ((query.sort == "relevance" and usable_text(query.text)) or _selective(query)):
        # Ranking visits every hit anyway, and a selective filter leaves few to sort: count
        # them in the same statement (a nearest-first page in growing radii would visit them
        # once for the count and again for the page).
        plan = build(session, query, dialect, query.proximity)
        ranked = list(plan.run(session, _select(query, plan, dialect, per_page, offset, total=True)))
        total = int(ranked[0].total) if ranked else 0 if offset == 0 else count(session, query, dialect)
        return _result(query, ranked, total)
    split = counted_by_cells(query) if per_page > 0 and query.sort == "distance" else None
    first = min(FIRST_STEP_M, query.proximity or FIRST_STEP_M)
    found: list[Any] | None = None
    if split is not None:
        # The count rides along with the first radius's page: one statement (and, on
        # PostgreSQL, one round trip) fewer when that page is full, as it is in a town.
        plan = build(session, query, dialect, first)
        counted = cell_count_sql(plan, query, dialect, split)
        carrying = list(plan.run(session, _select(query, plan, dialect, per_page, offset, carried=counted)))
        total = int(carrying[0].total)
        found = [row for row in carrying if row.key is not None]
    else:
        total = count(session, query, dialect)
    wanted = min(total, offset + per_page) - offset
    if wanted <= 0:
        return SearchResult([], total)
    if found is not None and (len(found) >= wanted or first == query.proximity):
        return _result(query, found, total)
    found = None
    if query.sort == "distance" and query.point is not None and total > STEP_WHEN_MORE_THAN:
        for radius in _steps(query.proximity):
            if split is not None and radius <= first:
                continue  # tried above
            plan = build(session, query, dialect, radius)
            found = list(plan.run(session, _select(query, plan, dialect, per_page, offset)))
            if len(found) >= wanted:
                break
            found = None
    if found is None:
        plan = build(session, query, dialect, query.proximity)
        found = list(plan.run(session, _select(query, plan, dialect, per_page, offset)))
    return _result(query, found, total)


def _result(query: SearchQuery, found: list[Any], total: int) -> SearchResult:
    result = SearchResult([row.key for row in found], total)
    if query.point is not None:
        point = query.point
        result.distances = {row.key: haversine_m(point.latitude, point.longitude, row.latitude, row.longitude)
                            for row in found if row.latitude is not None and row.longitude is not None}
    return result

