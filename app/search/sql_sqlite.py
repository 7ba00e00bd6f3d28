"""The SQL index on SQLite: FTS5 for text, an R*Tree for coverage shapes.

- Text: ``search_fts`` indexes search_entry's name_text and body_text (external content), so a
  MATCH expression built from the query's tokens finds documents and ``bm25`` ranks them, the
  name counting ``NAME_WEIGHT`` times the body.
- Distance is portable (``app.search.sql_query.near``): grid cells and the unit-sphere point.
- Coverage shapes: ``search_shape_rtree`` finds the few shapes whose box holds the point and
  shapely tests containment (geometries cached once parsed); the query then names the entries.
"""

from __future__ import annotations

from functools import lru_cache

import shapely  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search.backend import GeoPoint
from app.search.sql_query import OWN_WORDS_BONUS, Dialect, Plan, add_located, clear_located, own_words, remove_located
from app.search.sql_rows import Rows

NAME_WEIGHT = 4.0


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
    if not all(token.isascii() and token.isalnum() and token == token.lower() for token in tokens):
        return f"e.entry IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {plan.bind(fts_query(own))})"
    text = "lower(' ' || e.name_text || ' ' || e.body_text || ' ')"
    return "(" + " AND ".join(f"{text} GLOB {plan.bind(f'*{_BOUNDARY}{token}{_BOUNDARY}*')}"
                              for token in dict.fromkeys(tokens)) + ")"


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
        session.execute(text("DELETE FROM search_shape_rtree WHERE shape IN "
                             f"(SELECT shape FROM search_shape WHERE entry IN {within})"), plan.params)

    def clear(self, session: Session) -> None:
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))
        clear_located(session)
        session.execute(text("DELETE FROM search_shape_rtree"))

    def match_text(self, plan: Plan, groups: list[list[list[str]]]) -> None:
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
