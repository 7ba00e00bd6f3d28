"""The SQL index on PostgreSQL: tsvector with GIN for text, PostGIS with GiST for coverage shapes.

- Text: search_entry.tsv is generated from name_text (weight A) and body_text (weight B) with
  the 'simple' configuration (tokens arrive already analysed); each query token goes through
  ``plainto_tsquery('simple', ...)`` as a bound parameter, exactly as the documents' tokens went
  through ``to_tsvector``, and the pieces are combined with ``&&`` and ``||``. Rank: ts_rank_cd.
- Distance is portable (``app.search.sql_query.near``): grid cells and the unit-sphere point.
- Coverage shapes: ``search_shape_geom`` holds them as geometries with GiST; ``ST_Covers``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search.backend import GeoPoint
from app.search.sql_query import OWN_WORDS_BONUS, Dialect, Plan, add_located, clear_located, own_words, remove_located
from app.search.sql_rows import Rows


class PostgresDialect(Dialect):
    cell_array = True

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

    def match_text(self, plan: Plan, groups: list[list[list[str]]]) -> None:
        def token(value: str) -> str:
            return f"plainto_tsquery('simple', {plan.bind(value)})"

        def tsquery(of: list[list[list[str]]]) -> str:
            return " && ".join(
                "(" + " || ".join("(" + " && ".join(token(t) for t in alternative) + ")" for alternative in group) + ")"
                for group in of)

        query = tsquery(groups)
        plan.conditions.append(f"e.tsv @@ ({query})")
        # The user's own words (each group's first alternative) rank before synonyms.
        bonus = f"CASE WHEN e.tsv @@ ({tsquery(own_words(groups))}) THEN {OWN_WORDS_BONUS} ELSE 0 END"
        plan.rank = f"-({bonus} + ts_rank_cd(e.tsv, ({query})))"

    def covered(self, session: Session, plan: Plan, point: GeoPoint) -> str | None:
        here = f"ST_SetSRID(ST_MakePoint({plan.bind(point.longitude)}, {plan.bind(point.latitude)}), 4326)"
        return f"SELECT g.entry FROM search_shape_geom g WHERE ST_Covers(g.geom, {here})"

    def name_order(self) -> str:
        return 'name COLLATE "C"'
