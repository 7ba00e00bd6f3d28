"""Incremental linkage on the Leeds demo: after a full run, a small change compares only the pairs of the changed
records, and the clusters are those a forced full run makes (issue 5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models.linkage import LinkageMember
from app.models.staging import Source, StagedRecord
from app.services import linkage
from tests.linkage_db.test_run import _copies, _options


def _members(session: Session) -> dict[tuple[str, str, str], str]:
    return {(m.entity, m.source, m.external_id): m.golden_id for m in session.execute(
        select(LinkageMember.entity, LinkageMember.source, LinkageMember.external_id, LinkageMember.golden_id))}


def _staged(session: Session, source: str, external_id: str) -> StagedRecord:
    return session.execute(select(StagedRecord).join(Source, Source.id == StagedRecord.source_id).where(
        Source.name == source, StagedRecord.external_id == external_id)).scalar_one()


def _rename(session: Session, source: str, external_id: str, name: str) -> None:
    staged = _staged(session, source, external_id)
    staged.normalised = {**staged.normalised, "name": name}
    staged.content_hash, staged.last_changed = f"renamed {name}", staged.last_changed.replace(year=2099)
    session.flush()


def _incremental_equals_full(demo_app: Flask, session: Session, change: Callable[[], None]) -> dict:
    """Link, ``change``, link again (incrementally), and check a forced full run keeps every golden id."""
    first = linkage.run_linkage(session, _options(demo_app))
    change()
    summary = linkage.run_linkage(session, _options(demo_app))
    incremental = _members(session)
    linkage.run_linkage(session, _options(demo_app), force=True)
    assert _members(session) == incremental
    assert first["counts"]["service"]["incremental"] is False
    return summary["counts"]["service"]


def test_a_renamed_service_is_compared_again_alone(demo_app: Flask, session: Session) -> None:
    copies = _copies("Carers Support Group (Armley)")
    counts = _incremental_equals_full(
        demo_app, session, lambda: _rename(session, "leeds-cvs", copies["leeds-cvs"], "Armley Carers Coffee Club"))
    assert counts["incremental"] is True and counts["changed_records"] == 1 and counts["rescored"] == 1
    assert 0 < counts["compared_pairs"] < counts["candidate_pairs"]


def test_a_withdrawn_and_a_returning_service_are_linked_incrementally(demo_app: Flask, session: Session) -> None:
    copies = _copies("Carers Support Group (Armley)")
    withdrawn = _staged(session, "leeds-cvs", copies["leeds-cvs"]).id
    session.execute(update(StagedRecord).where(StagedRecord.id == withdrawn).values(state="withdrawn"))
    counts = _incremental_equals_full(demo_app, session, lambda: session.execute(
        update(StagedRecord).where(StagedRecord.id == withdrawn).values(state="active")))
    # the returning record is new to linkage: only its pairs are compared, and it joins its copies again
    assert counts["incremental"] is True and counts["changed_records"] == 1
    assert 0 < counts["compared_pairs"] < counts["candidate_pairs"]
    golden = {gid for (entity, _s, external_id), gid in _members(session).items()
              if entity == "service" and external_id in {_service_key(session, s, e) for s, e in copies.items()}}
    assert len(golden) == 1

    gone = linkage.run_linkage(session, _options(demo_app))
    assert gone["status"] == "skipped"
    session.execute(update(StagedRecord).where(StagedRecord.id == withdrawn).values(state="withdrawn"))
    again = linkage.run_linkage(session, _options(demo_app))["counts"]["service"]
    # nothing left changed: only candidate pairs new to blocking (a capped block's neighbour windows move when a
    # member leaves) are compared
    assert again["incremental"] is True and again["changed_records"] == 0
    assert again["compared_pairs"] < again["candidate_pairs"] // 10
    assert ("service", "leeds-cvs", _service_key(session, "leeds-cvs", copies["leeds-cvs"])) not in _members(session)


def _service_key(session: Session, source: str, external_id: str) -> str:
    return str(_staged(session, source, external_id).normalised["id"])


def test_a_decision_made_since_the_last_run_is_honoured_incrementally(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    pair = linkage.review_pairs(session, "location")[0]
    a, b = (pair[side]["external_id"] for side in ("a", "b"))
    linkage.decide(session, pair["id"], True, "test")
    summary = linkage.run_linkage(session, _options(demo_app))["counts"]["location"]
    assert summary["incremental"] is True and summary["decisions"] == 1 and summary["compared_pairs"] == 0
    golden = {external_id: gid for (entity, _s, external_id), gid in _members(session).items() if entity == "location"}
    assert golden[a] == golden[b]


def test_many_changes_refit_on_all_pairs(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    _rename(session, "leeds-cvs", copies["leeds-cvs"], "Armley Carers Coffee Club")
    strict = dataclasses.replace(_options(demo_app), incremental_share=0.0)  # one changed record is too many
    counts = linkage.run_linkage(session, strict)["counts"]["service"]
    assert counts["incremental"] is False and counts["compared_pairs"] == counts["candidate_pairs"]


def test_small_changes_adding_up_since_the_fit_refit_on_all_pairs(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    records = linkage.run_linkage(session, _options(demo_app), force=True)["counts"]["service"]["records"]
    loose = dataclasses.replace(_options(demo_app), incremental_share=1.5 / records)  # one change at a time
    _rename(session, "leeds-cvs", copies["leeds-cvs"], "Armley Carers Coffee Club")
    assert linkage.run_linkage(session, loose)["counts"]["service"]["incremental"] is True
    _rename(session, "leeds-cvs", copies["leeds-cvs"], "Armley Carers Tea Club")
    assert linkage.run_linkage(session, loose)["counts"]["service"]["incremental"] is False
