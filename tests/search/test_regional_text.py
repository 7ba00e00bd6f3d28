"""Text within a radius on PostgreSQL: matches found through the regional index
(``app.search.sql_postgresql.REGIONAL_TSV``) must give the very results, order and totals of the
country-wide index, on data spread over many regions (circles crossing region edges, words in
several regions, synonyms, the own-words bonus)."""

from __future__ import annotations

import importlib.util
import os
import random
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.search import sql_postgresql
from app.search.backend import GeoPoint, SearchDocument, SearchQuery
from app.search.sql import SqlBackend
from app.search.sql_postgresql import REGIONAL_TSV, regions_of
from app.search.sql_query import cell_ranges
from app.search.text import analyse, parse_query

POSTGRESQL_ONLY = pytest.mark.skipif(not os.environ.get("WAYMARK_TEST_DATABASE_URL"),
                                     reason="the regional text index is PostgreSQL's")

CORNER = GeoPoint(53.8, -1.6)  # where four regions meet (0.2-degree blocks)
PHRASES = ("money advice", "debt help", "lonely", "social isolation", "befriending", "walking group", "gardening",
           "allotment", "art class", "carers support", "mental health", "wellbeing cafe", "food bank",
           "digital skills", "youth club", "singing", "chair yoga", "dementia")
QUERIES = ("debt", "lonely", "money advice", "gardening", "walking group", "mental health", "art", "carers",
           "food bank", "singing dementia", "youth")


def documents(seed: int = 11, count: int = 400) -> list[SearchDocument]:
    rng = random.Random(seed)
    out = []
    for number in range(count):
        name = " ".join(rng.sample(PHRASES, 2)).title()
        body = " ".join(rng.sample(PHRASES, rng.randint(1, 4)))
        located = number % 25 != 0
        # Services with two locations far apart: one may be inside a circle, the other not.
        service = f"svc-{number // 2 if number % 7 == 0 else number}"
        out.append(SearchDocument(
            id=f"doc-{number}", service_id=service, location_id=f"loc-{number}" if located else None,
            organization_id=None, name=name, last_modified=None,
            latitude=CORNER.latitude + rng.uniform(-0.35, 0.35) if located else None,
            longitude=CORNER.longitude + rng.uniform(-0.6, 0.6) if located else None,
            name_text=" ".join(analyse(name)), body_text=" ".join(analyse(body))))
    return out


@POSTGRESQL_ONLY
def test_regional_matches_give_the_country_wide_results_and_order(session: Session,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    backend = SqlBackend()
    backend.rebuild(session, documents())
    rng = random.Random(4)
    centres = [CORNER, GeoPoint(CORNER.latitude + 0.1, CORNER.longitude - 0.2),
               *(GeoPoint(CORNER.latitude + rng.uniform(-0.3, 0.3), CORNER.longitude + rng.uniform(-0.5, 0.5))
                 for _ in range(4))]
    compared = 0
    for centre in centres:
        for radius in (800.0, 5000.0, 16000.0, 40000.0):
            assert regions_of(cell_ranges(centre, radius) or []) is not None  # the regional path is taken
            for words in QUERIES:
                for sort in ("relevance", "distance"):
                    for unit in ("service_at_location", "service"):
                        for page in (1, 2):
                            query = SearchQuery(text=parse_query(words), point=centre, proximity=radius,
                                                sort=sort, unit=unit, per_page=6, page=page)  # type: ignore[arg-type]
                            regional = backend.search(session, query)
                            monkeypatch.setattr(sql_postgresql, "MAX_REGIONS", 0)  # country-wide index
                            country = backend.search(session, query)
                            monkeypatch.undo()
                            assert (regional.ids, regional.total) == (country.ids, country.total), \
                                (centre, radius, words, sort, unit, page)
                            compared += bool(country.total)
    assert compared > 300  # most queries find something: the comparison is not of empty pages


@POSTGRESQL_ONLY
def test_own_words_rank_before_synonyms_within_a_radius(session: Session) -> None:
    backend = SqlBackend()
    near = (CORNER.latitude + 0.001, CORNER.longitude + 0.001)
    backend.rebuild(session, [
        SearchDocument(id=f"d-{key}", service_id=f"s-{key}", location_id=f"l-{key}", organization_id=None,
                       name=name, last_modified=None, latitude=near[0] - 0.002 * i, longitude=near[1],
                       name_text=" ".join(analyse(name)), body_text=" ".join(analyse(body)))
        for i, (key, name, body) in enumerate([
            ("synonym", "Money Advice Money Advice", "money advice money advice"),
            ("own", "Drop In", "debt"),
            ("across", "Debt Clinic", "debt")])])
    found = backend.search(session, SearchQuery(text=parse_query("debt"), point=CORNER, proximity=2000.0,
                                                sort="relevance", per_page=10))
    assert found.ids[-1] == "d-synonym" and set(found.ids) == {"d-synonym", "d-own", "d-across"}


def test_migration_indexes_the_expression_the_query_uses() -> None:
    """PostgreSQL uses an expression index only for the same expression: a difference would leave
    the regional index unused (slow, not wrong)."""
    path = Path(__file__).resolve().parents[2] / "app" / "migrations" / "versions" / "0007_search_speed.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert REGIONAL_TSV.replace("e.", "") == migration.REGIONAL_TSV


@POSTGRESQL_ONLY
def test_text_searches_are_planned_with_their_words_not_prepared(session: Session) -> None:
    """psycopg prepares a statement run five times, and PostgreSQL may then use a generic plan
    blind to the words, which costs more than planning a text search afresh. A text search's
    statement is the same whatever the words, so it must be kept from being prepared; a nearest
    search, repeated as often, is prepared (which shows the check can see prepared statements)."""
    backend = SqlBackend()
    backend.rebuild(session, documents())

    def prepared(fragment: str) -> int:
        found = session.execute(text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :f"),
                                {"f": f"%{fragment}%"})
        return int(found.scalar_one())

    for words in QUERIES:
        query = SearchQuery(text=parse_query(words), point=CORNER, proximity=16000.0, per_page=6)
        assert backend.search(session, query).total > 0
    for _ in range(len(QUERIES)):
        assert backend.search(session, SearchQuery(point=CORNER, proximity=16000.0, per_page=6)).ids
    assert prepared("to_tsquery") == 0
    assert prepared("FROM search_entry e") >= 1
