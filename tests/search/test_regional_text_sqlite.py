"""Text within a radius on SQLite: matches read from the regional FTS5 index and ranked by bm25
computed from search_fts's country-wide statistics (``app.search.sql_sqlite._match_in_regions``)
must give the very results, order and totals of the country-wide MATCH and FTS5's own bm25, on
data spread over many regions (circles crossing region edges, words in several regions, synonyms,
the own-words bonus, many ties), also after other connections and this one changed the index.

Each test has its own committed SQLite file: the regional path reads FTS5's statistics as saved
at commit, so it stands aside while a connection has uncommitted writes (tested below too)."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from app.search import sql_postgresql
from app.search.backend import GeoPoint, SearchDocument, SearchQuery
from app.search.sql import SqlBackend
from app.search.sql_query import build
from app.search.sql_sqlite import SqliteDialect, regional_text
from app.search.text import analyse, parse_query
from tests.conftest import count_statements
from tests.search.test_regional_text import CORNER, QUERIES, documents

CENTRES = [CORNER, GeoPoint(CORNER.latitude + 0.1, CORNER.longitude - 0.2), GeoPoint(53.71, -1.43),
           GeoPoint(53.93, -1.95), GeoPoint(53.62, -1.21)]


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'regional.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _fill(engine: Engine, docs: list[SearchDocument]) -> None:
    with Session(engine) as session:
        SqlBackend().rebuild(session, docs)
        session.commit()


Found = tuple[list[str], int]  # a page's ids and the total


def _both(session: Session, query: SearchQuery, monkeypatch: pytest.MonkeyPatch) -> tuple[Found, Found, bool]:
    """(regional result, country-wide result, whether the regional index was read)."""
    backend = SqlBackend()
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    with count_statements(bind) as counter:
        regional = backend.search(session, query)
    used = any("search_fts_region_instances" in statement for statement in counter.statements)
    monkeypatch.setattr(sql_postgresql, "MAX_REGIONS", 0)  # regions_of says "too many": country-wide MATCH
    country = backend.search(session, query)
    monkeypatch.undo()
    return (list(regional.ids), regional.total), (list(country.ids), country.total), used


def test_regional_matches_and_bm25_give_the_country_wide_results_and_order(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(engine, documents())
    compared = 0
    with Session(engine) as session:
        for centre in CENTRES:
            for radius in (800.0, 5000.0, 16000.0, 40000.0):
                for words in QUERIES:
                    for sort in ("relevance", "distance"):
                        for unit in ("service_at_location", "service"):
                            for page in (1, 2):
                                query = SearchQuery(text=parse_query(words), point=centre, proximity=radius,
                                                    sort=sort, unit=unit, per_page=6,  # type: ignore[arg-type]
                                                    page=page)
                                regional, country, used = _both(session, query, monkeypatch)
                                assert used, (centre, radius, words)
                                assert regional == country, (centre, radius, words, sort, unit, page)
                                compared += bool(country[1])
    assert compared > 600  # most queries find something: the comparison is not of empty pages


def _ranks(session: Session, query: SearchQuery) -> dict[str, float]:
    dialect = SqliteDialect()
    dialect.prepare(session)
    plan = build(session, query, dialect, query.proximity)
    sql = f"SELECT e.id AS id, {plan.rank} AS rank FROM {' '.join(plan.source)} WHERE {plan.where()}"
    return {row.id: row.rank for row in plan.run(session, sql)}


def test_ranks_are_fts5_bm25_to_the_last_bit(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only the order: every hit's rank equals FTS5's bm25 (plus the own-words bonus) exactly,
    so ties stay ties and a tiny difference in IDF or size cannot hide in a small sample."""
    _fill(engine, documents())
    compared = 0
    with Session(engine) as session:
        for centre in CENTRES:
            for words in QUERIES:
                query = SearchQuery(text=parse_query(words), point=centre, proximity=16000.0, sort="relevance")
                regional = _ranks(session, query)
                monkeypatch.setattr(sql_postgresql, "MAX_REGIONS", 0)
                country = _ranks(session, query)
                monkeypatch.undo()
                assert regional == country, (centre, words)
                compared += len(country)
    assert compared > 500


def _doc(key: str, name: str, body: str, latitude: float, longitude: float) -> SearchDocument:
    return SearchDocument(id=f"d-{key}", service_id=f"s-{key}", location_id=f"l-{key}", organization_id=None,
                          name=name, last_modified=None, latitude=latitude, longitude=longitude,
                          name_text=" ".join(analyse(name)), body_text=" ".join(analyse(body)))


def test_statistics_follow_changes_by_this_and_other_connections(engine: Engine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The country-wide statistics are kept between searches only while nothing was written: a
    commit by another connection, or by this one, changes the IDF and the average size."""
    rng = random.Random(7)
    _fill(engine, documents())
    query = SearchQuery(text=parse_query("debt"), point=CORNER, proximity=16000.0, sort="relevance", per_page=50)
    extra = [_doc(f"x{n}", "Debt Advice", "debt " * rng.randint(1, 9) + "money advice",
                  CORNER.latitude + rng.uniform(-0.1, 0.1), CORNER.longitude + rng.uniform(-0.1, 0.1))
             for n in range(60)]
    with Session(engine) as reader:
        before, country, used = _both(reader, query, monkeypatch)
        assert used and before == country
        with Session(engine) as writer:  # another connection commits many more "debt" documents
            SqlBackend().replace(writer, [doc.service_id for doc in extra], extra)
            writer.commit()
        after, country, used = _both(reader, query, monkeypatch)
        assert used and after == country and after != before
        # This connection's own uncommitted change: the country-wide path answers, seeing it.
        moved = _doc("x0", "Debt Debt Debt", "debt", CORNER.latitude, CORNER.longitude)
        SqlBackend().replace(reader, [moved.service_id], [moved])
        pending, country, used = _both(reader, query, monkeypatch)
        assert not used and pending == country and pending != after
        reader.commit()
        committed, country, used = _both(reader, query, monkeypatch)
        assert used and committed == country == pending


def test_migration_indexes_the_text_the_dialect_writes() -> None:
    """Migration 0009 fills search_fts_region from existing entries; a different prefixing than
    the dialect's writes (and FTS5 'delete's) would leave tokens no query or delete finds."""
    path = Path(__file__).resolve().parents[2] / "app" / "migrations" / "versions" / "0009_sqlite_regional_text.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for column in ("name_text", "body_text"):
        assert regional_text(column).replace("e.", "") == migration._prefixed(column)


def test_migration_fills_the_regional_index_from_existing_entries(engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(engine, documents())
    command.downgrade(migrate.alembic_config(engine), "0008")  # entries indexed before 0009
    migrate.upgrade(engine)
    query = SearchQuery(text=parse_query("mental health"), point=CORNER, proximity=16000.0, sort="relevance",
                        per_page=20)
    with Session(engine) as session:
        regional, country, used = _both(session, query, monkeypatch)
    assert used and regional == country and country[1]
