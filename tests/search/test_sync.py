"""The index follows the golden records: publish, change, unpublish, and what a change reaches."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli.search import search_group
from app.models.search import SearchEntry
from app.search import backend_of, sync
from app.search.backend import SearchDocument, SearchQuery, SearchResult
from app.search.documents import all_documents
from app.search.text import parse_query
from app.services.publish import publish, unpublish
from tests.search.test_documents import parent_term, service_record


def found(session: Session, record: dict[str, Any], words: str) -> list[str]:
    """Ids of the documents of ``record``'s organisation that a search for ``words`` finds."""
    query = SearchQuery(text=parse_query(words), organization_id=record["organization"]["id"])
    return backend_of(session).search(session, query).ids


def index_matches_golden(session: Session) -> bool:
    """Whether the SQL index holds exactly the documents the golden tables make now."""
    session.flush()
    indexed = set(session.execute(select(SearchEntry.id, SearchEntry.service_id, SearchEntry.name)).tuples())
    return indexed == {(document.id, document.service_id, document.name) for document in all_documents(session)}

def test_a_published_service_is_searchable_and_follows_its_changes(session: Session) -> None:
    record = service_record()
    publish(session, "service", [record])
    sal_id = record["service_at_locations"][0]["id"]
    assert found(session, record, "rambling") == [sal_id]  # a synonym of walking
    changed = copy.deepcopy(record)
    changed.update(name="Roundhay knit and natter", description="Bring your knitting or crochet.")
    publish(session, "service", [changed])
    assert found(session, record, "gentle") == []  # the old description's word
    assert found(session, record, "knitting") == [sal_id]


def test_an_unpublished_service_leaves_the_index(session: Session) -> None:
    record = service_record()
    publish(session, "service", [record])
    before = backend_of(session).count(session)
    unpublish(session, "service", [record["id"]])
    assert found(session, record, "rambling") == []
    assert backend_of(session).count(session) == before - 1


def test_a_location_that_changes_on_its_own_reaches_every_service_there(session: Session) -> None:
    first, second = service_record(), service_record()
    second["service_at_locations"][0]["location"] = first["service_at_locations"][0]["location"]
    publish(session, "service", [first, second])
    location_id = first["service_at_locations"][0]["location"]["id"]
    assert sync.affected_services(session, {"location": {location_id}}) == {first["id"], second["id"]}
    # Inside service records a shared row is noted with them, changed or not: only those services.
    assert sync.affected_services(session, {"service": {first["id"]}, "location": {location_id}}) == {first["id"]}


def test_a_renamed_term_reaches_services_filed_under_its_children(session: Session) -> None:
    parent = parent_term(session)
    record = service_record(parent)
    publish(session, "service", [record])
    assert record["id"] in sync.affected_services(session, {"taxonomy_term": {parent}})


def test_an_organisation_reaches_its_services(session: Session) -> None:
    record = service_record()
    publish(session, "service", [record])
    assert sync.affected_services(session, {"organization": {record["organization"]["id"]}}) == {record["id"]}


def test_a_services_own_rows_reach_it(session: Session) -> None:
    record = service_record(phones=[{"id": "0b9a7d0e-3c43-4c1c-9a8e-5d3f7f1f0a01", "number": "0113 496 0000"}])
    publish(session, "service", [record])
    phone_id = record["phones"][0]["id"]
    schedule_id = record["schedules"][0]["id"]
    sal_id = record["service_at_locations"][0]["id"]
    for changed in ({"phone": {phone_id}}, {"schedule": {schedule_id}}, {"service_at_location": {sal_id}}):
        assert sync.affected_services(session, changed) == {record["id"]}, changed


@dataclass
class Recorder:
    """A backend that cannot join the database transaction, like Elasticsearch."""

    name: str = "recorder"
    transactional: bool = False
    replaced: list[tuple[list[str], list[SearchDocument]]] = field(default_factory=list)

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        raise NotImplementedError

    def replace(self, session: Session, service_ids: Iterable[str], documents: Sequence[SearchDocument]) -> None:
        self.replaced.append((list(service_ids), list(documents)))

    def rebuild(self, session: Session, documents: Iterable[SearchDocument]) -> int:
        raise NotImplementedError

    def count(self, session: Session) -> int:
        raise NotImplementedError


def test_a_backend_outside_the_transaction_hears_only_what_commits(session: Session,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(sync, "backend_of", lambda _session: recorder)
    kept, dropped = service_record(), service_record()
    publish(session, "service", [kept])
    assert recorder.replaced == []  # not before the commit
    session.commit()
    [(ids, documents)] = recorder.replaced
    assert ids == [kept["id"]] and [d.service_id for d in documents] == [kept["id"]]
    publish(session, "service", [dropped])
    session.rollback()
    session.commit()
    assert len(recorder.replaced) == 1


def test_reindex_and_status(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    rebuilt = runner.invoke(search_group, ["reindex"])
    assert rebuilt.exit_code == 0 and "Indexed" in rebuilt.output, rebuilt.output
    status = runner.invoke(search_group, ["status"])
    assert status.exit_code == 0, status.output
    indexed, expected = (line.split(": ")[1] for line in status.output.splitlines()[1:3])
    assert indexed == expected and int(indexed.replace(",", "")) > 300
