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
from app.search import backend_of, sync
from app.search.backend import SearchDocument, SearchQuery, SearchResult
from app.search.text import parse_query
from app.services.publish import publish, unpublish
from tests.search.test_documents import parent_term, service_record


def found(session: Session, record: dict[str, Any], words: str) -> list[str]:
    """Ids of the documents of ``record``'s organisation that a search for ``words`` finds."""
    query = SearchQuery(text=parse_query(words), organization_id=record["organization"]["id"])
    return backend_of(session).search(session, query).ids


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


def index_matches_golden(session: Session) -> bool:
    """Whether the SQL index holds exactly the documents the golden tables make now."""
    from app.models.search import SearchEntry
    from app.search.documents import all_documents

    session.flush()
    indexed = set(session.execute(select(SearchEntry.id, SearchEntry.service_id, SearchEntry.name)).tuples())
    return indexed == {(document.id, document.service_id, document.name) for document in all_documents(session)}


def _clean_up_after_commit(session: Session, *records: dict[str, Any]) -> None:
    """On SQLite the tests' savepoints do not hold back a commit: take the services out again."""
    unpublish(session, "service", [record["id"] for record in records])
    session.commit()


def test_deferred_publishes_are_indexed_in_bulk_at_the_end_and_before_a_commit(session: Session) -> None:
    first, second, third = service_record(), service_record(), service_record()
    before = backend_of(session).count(session)
    with sync.deferred(session):
        publish(session, "service", [first])
        publish(session, "service", [second])
        assert backend_of(session).count(session) == before  # waiting, not yet built
        session.commit()  # a commit never shows golden rows without their index entries
        assert found(session, first, "rambling") and found(session, second, "rambling")
        publish(session, "service", [third])
        unpublish(session, "service", [first["id"]])
    assert found(session, third, "rambling") and not found(session, first, "rambling")
    assert index_matches_golden(session)
    _clean_up_after_commit(session, second, third)


def test_deferred_indexing_flushes_every_flush_at_services(session: Session) -> None:
    records = [service_record() for _ in range(3)]
    before = backend_of(session).count(session)
    with sync.deferred(session, flush_at=2):
        publish(session, "service", records[:1])
        assert backend_of(session).count(session) == before
        publish(session, "service", records[1:])
        assert backend_of(session).count(session) == before + 3


def test_deferred_services_of_a_rolled_back_transaction_are_forgotten(session: Session) -> None:
    kept, dropped = service_record(), service_record()
    with sync.deferred(session):
        publish(session, "service", [dropped])
        session.rollback()
        publish(session, "service", [kept])
    assert found(session, kept, "rambling") and not found(session, dropped, "rambling")
    assert index_matches_golden(session)


def test_a_deferred_block_that_fails_leaves_its_services_to_the_commit(session: Session) -> None:
    record = service_record()
    with pytest.raises(RuntimeError), sync.deferred(session):
        publish(session, "service", [record])
        raise RuntimeError("a harvest's unexpected error")
    session.commit()  # the caller kept what was written: it is indexed as it commits
    assert found(session, record, "rambling")
    assert index_matches_golden(session)
    _clean_up_after_commit(session, record)


def test_a_backend_outside_the_transaction_gets_deferred_documents_after_the_commit(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(sync, "backend_of", lambda _session: recorder)
    kept, dropped = [service_record(), service_record()], service_record()
    with sync.deferred(session):
        publish(session, "service", [dropped])
        session.rollback()
        publish(session, "service", kept[:1])
        publish(session, "service", kept[1:])
        assert recorder.replaced == []
    assert recorder.replaced == []  # built at the end of the block, sent after the commit
    session.commit()
    [(ids, documents)] = recorder.replaced
    assert ids == sorted(record["id"] for record in kept)
    assert sorted(document.service_id for document in documents) == ids


def test_a_rolled_back_savepoint_does_not_take_the_entries_of_services_published_before_it(
        session: Session) -> None:
    before, inside = service_record(), service_record()
    with sync.deferred(session, flush_at=2):
        publish(session, "service", [before])
        savepoint = session.begin_nested()
        publish(session, "service", [inside])  # two waiting: indexed only outside the savepoint
        savepoint.rollback()
    assert found(session, before, "rambling") and not found(session, inside, "rambling")
    assert index_matches_golden(session)
