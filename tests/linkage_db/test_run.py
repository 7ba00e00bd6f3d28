"""`run_linkage` on the Leeds demo: golden records, provenance, stable ids, decisions, incremental runs.

Each test links the shared demo inside a transaction that is rolled back afterwards (the ``session``
fixture), so it runs on SQLite and on PostgreSQL and leaves the demo as other suites expect it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.models.hsds import Metadata, Organization, Service
from app.models.linkage import LinkageMember, LinkageReviewPair
from app.models.staging import Source, StagedRecord
from app.services import linkage
from app.services.demo import FEEDS
from app.services.publish import publish, unpublish
from importers.identity import waymark_id

# The NHS package for clinical details and opening times, the council for names and addresses, the voluntary
# sector's sheet (the organisations' own words) for descriptions.
DEMO_TRUST = ("clinical=leeds-health>leeds-council; times=leeds-health>leeds-council; "
              "addresses=leeds-council>leeds-health; names=leeds-council>leeds-health; legal=leeds-council; "
              "descriptions=leeds-cvs>leeds-council")


def _options(demo_app: Flask) -> linkage.LinkageOptions:
    settings: Settings = demo_app.config["WAYMARK"]
    return linkage.LinkageOptions.from_settings(dataclasses.replace(settings, linkage_trust=DEMO_TRUST))


def _truth() -> dict[tuple[str, str], str]:
    with (FEEDS / "truth.csv").open(newline="", encoding="utf-8") as handle:
        return linkage.read_truth(csv.DictReader(handle), "truth.csv")


def _copies(name: str) -> dict[str, str]:
    """source -> the staged external id of each feed's copy of the service called ``name`` in the truth file."""
    truth = _truth()
    wanted = {t for (source, external_id), t in truth.items() if external_id.endswith(name.lower())}
    assert len(wanted) == 1, wanted
    return {source: external_id for (source, external_id), t in truth.items() if t in wanted}


def _service_id(session: Session, source: str, external_id: str) -> str:
    record: dict[str, Any] = session.execute(
        select(StagedRecord.normalised).join(Source, Source.id == StagedRecord.source_id)
        .where(Source.name == source, StagedRecord.external_id == external_id)).scalar_one()
    return str(record["id"])


def _carers_hubs(session: Session) -> list[str]:
    return list(session.execute(select(Organization.name).where(Organization.name.like("Leeds Carers%Hub%"))).scalars())


def test_the_charity_all_three_feeds_list_becomes_one_golden_organisation(demo_app: Flask, session: Session) -> None:
    assert len(_carers_hubs(session)) == 3  # council, NHS and CVS copies, one to one
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["status"] == "succeeded" and summary["errors"] == []
    assert _carers_hubs(session) == ["Leeds Carers Hub"]  # names: the council is trusted first
    assert summary["counts"]["organization"]["golden_records"] < summary["counts"]["organization"]["records"]


def test_merged_copies_are_served_once_and_singletons_keep_their_ids(demo_app: Flask, session: Session) -> None:
    copies = _copies("Carers Support Group (Armley)")
    ids = {source: _service_id(session, source, external_id) for source, external_id in copies.items()}
    before = session.execute(select(func.count()).select_from(Service)).scalar_one()
    summary = linkage.run_linkage(session, _options(demo_app))
    served = set(session.execute(select(Service.id).where(Service.id.in_(ids.values()))).scalars())
    assert len(served) == 1  # the copies are one golden service, under one of their own ids
    golden = served.pop()
    members = session.execute(select(LinkageMember.source, LinkageMember.golden_id).where(
        LinkageMember.entity == "service", LinkageMember.external_id.in_(ids.values()))).all()
    assert {gid for _source, gid in members} == {golden}
    after = session.execute(select(func.count()).select_from(Service)).scalar_one()
    assert after == before - summary["counts"]["golden"]["unpublished"]["service"]
    # a service only one feed lists is still served under the id its harvest gave it
    truth = _truth()
    lonely = next(key for key, t in truth.items() if list(truth.values()).count(t) == 1)
    assert session.get(Service, _service_id(session, *lonely)) is not None


def test_every_golden_value_is_traced_to_its_source_record_and_harvest(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    golden = session.execute(select(LinkageMember.golden_id).where(
        LinkageMember.external_id == _service_id(session, "leeds-cvs", copies["leeds-cvs"]))).scalar_one()
    trail = {m.field_name: m for m in session.execute(select(Metadata).where(Metadata.resource_id == golden)).scalars()}
    assert {"name", "description"} <= set(trail)
    assert all(m.resource_type == "service" and m.last_action_type == "linkage" for m in trail.values())
    runs = dict(session.execute(select(Source.name, func.max(StagedRecord.run_id)).join(
        Source, Source.id == StagedRecord.source_id).group_by(Source.name)).tuples().all())
    name = trail["name"]
    source = name.updated_by.split(" record ")[0]
    assert source in copies and f"harvest run {runs[source]}" in name.updated_by
    assert name.replacement_value in {"Carers' support group, Armley", "Carers Support Group (Armley)"}


def test_a_second_run_with_nothing_new_stops_early_and_force_changes_nothing(demo_app: Flask,
                                                                             session: Session) -> None:
    first = linkage.run_linkage(session, _options(demo_app))
    again = linkage.run_linkage(session, _options(demo_app))
    assert again["status"] == "skipped" and again["counts"]["rescored"] == 0
    assert f"since run {first['run_id']}" in again["counts"]["reason"]
    forced = linkage.run_linkage(session, _options(demo_app), force=True)
    assert forced["counts"]["golden"]["published"] == {"organization": 0, "service": 0}
    assert forced["counts"]["golden"]["unpublished"] == {"service": 0, "location": 0, "organization": 0}


def test_golden_ids_are_stable_across_runs(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    before = dict(session.execute(select(LinkageMember.external_id, LinkageMember.golden_id)).tuples().all())
    linkage.run_linkage(session, _options(demo_app), force=True)
    after = dict(session.execute(select(LinkageMember.external_id, LinkageMember.golden_id)).tuples().all())
    assert before == after


def test_a_member_a_harvest_republished_one_to_one_is_folded_back_in(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    member = _service_id(session, "leeds-cvs", copies["leeds-cvs"])
    golden = session.execute(select(LinkageMember.golden_id).where(LinkageMember.external_id == member)).scalar_one()
    other = member if golden != member else _service_id(session, "leeds-council", copies["leeds-council"])
    staged = session.execute(select(StagedRecord).where(StagedRecord.normalised.is_not(None), StagedRecord.kind ==
                                                        "service")).scalars()
    record = next(s for s in staged if s.normalised["id"] == other)
    publish(session, "service", [record.normalised])  # what a harvest of a changed record does
    session.execute(update(StagedRecord).where(StagedRecord.id == record.id).values(
        content_hash="changed upstream", last_changed=datetime.datetime.now(datetime.UTC)))
    assert session.get(Service, other) is not None
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["status"] == "succeeded" and summary["counts"]["refreshed_staged"] >= 1
    session.expire_all()
    assert session.get(Service, other) is None and session.get(Service, golden) is not None


def test_a_reviewers_answer_binds_the_next_run_until_the_records_change(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    waiting = linkage.review_pairs(session, "location")
    assert waiting and all(p["evidence"] and {"field", "level", "weight"} <= set(p["evidence"][0]) for p in waiting)
    pair = waiting[0]
    a, b = (pair[side]["external_id"] for side in ("a", "b"))
    linkage.decide(session, pair["id"], True, "test")
    assert session.get(LinkageReviewPair, pair["id"]) is None
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["counts"]["location"]["decisions"] == 1
    golden = dict(session.execute(select(LinkageMember.external_id, LinkageMember.golden_id).where(
        LinkageMember.entity == "location", LinkageMember.external_id.in_((a, b)))).tuples().all())
    assert golden[a] == golden[b]
    with pytest.raises(linkage.LinkageError, match="no review pair with id"):
        linkage.decide(session, pair["id"], False)


def test_export_and_evaluate_against_the_demo_truth(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    rows = linkage.export_rows(session, "service")
    staged = session.execute(select(func.count()).select_from(StagedRecord).where(
        StagedRecord.kind == "service")).scalar_one()
    assert len(rows) == staged and all(golden for _s, _e, golden in rows)
    figures = linkage.evaluate(session, "service", _truth())
    assert figures["records"] == len(_truth()) and figures["not_staged"] == 0
    assert figures["precision"] >= 0.85 and figures["recall"] >= 0.9 and figures["blocking_recall"] >= 0.95
    with pytest.raises(linkage.LinkageError, match="--entity must be one of"):
        linkage.export_rows(session, "taxonomy")


def test_the_waymark_id_of_a_record_is_its_linkage_key(session: Session) -> None:
    """Keys are (source, published id): a staged service's own Waymark id (no second id scheme to learn)."""
    source, external_id = next(iter(_truth()))
    assert _service_id(session, source, external_id) == waymark_id(source, "service", external_id)


def test_a_change_linkage_does_not_compare_re_scores_nothing_and_is_published(demo_app: Flask,
                                                                               session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    member = _service_id(session, "leeds-cvs", copies["leeds-cvs"])
    golden = session.execute(select(LinkageMember.golden_id).where(LinkageMember.external_id == member)).scalar_one()
    staged = session.execute(select(StagedRecord).join(Source, Source.id == StagedRecord.source_id).where(
        Source.name == "leeds-cvs", StagedRecord.external_id == copies["leeds-cvs"])).scalar_one()
    staged.normalised = {**staged.normalised, "description": "Now meets in the new hall, same time."}
    staged.content_hash, staged.last_changed = "edited upstream", staged.last_changed.replace(year=2099)
    session.flush()
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["status"] == "succeeded" and summary["counts"]["rescored"] == 0
    assert all(summary["counts"][e].get("reused_from_run") for e in ("location", "organization", "service"))
    assert summary["counts"]["golden"]["published"]["service"] >= 1
    session.expire_all()
    assert session.get(Service, golden).description == "Now meets in the new hall, same time."


def test_a_withdrawn_member_leaves_the_golden_record_to_the_others_under_the_same_id(demo_app: Flask,
                                                                                      session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    members = {source: _service_id(session, source, external_id) for source, external_id in copies.items()}
    golden = session.execute(select(LinkageMember.golden_id).where(
        LinkageMember.external_id == members["leeds-cvs"])).scalar_one()
    holder = next(source for source, own in members.items() if own == golden)
    # what a harvest does when the source stops listing the record: withdraw it, unpublish its golden id
    session.execute(update(StagedRecord).where(StagedRecord.external_id == copies[holder]).values(state="withdrawn"))
    unpublish(session, "service", [golden])
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["status"] == "succeeded"
    session.expire_all()
    assert session.get(Service, golden) is not None
    trail = session.execute(select(Metadata.updated_by).where(Metadata.resource_id == golden)).scalars().all()
    assert trail and not any(origin.startswith(f"{holder} record") for origin in trail)


def test_a_maintainer_override_wins_and_is_traced(demo_app: Flask, session: Session) -> None:
    linkage.run_linkage(session, _options(demo_app))
    copies = _copies("Carers Support Group (Armley)")
    golden = session.execute(select(LinkageMember.golden_id).where(
        LinkageMember.external_id == _service_id(session, "leeds-cvs", copies["leeds-cvs"]))).scalar_one()
    linkage.set_override(session, golden, "name", "Armley carers' group", "amy")
    summary = linkage.run_linkage(session, _options(demo_app))
    assert summary["counts"]["golden"]["published"]["service"] >= 1
    session.expire_all()
    assert session.get(Service, golden).name == "Armley carers' group"
    trail = session.execute(select(Metadata.updated_by).where(Metadata.resource_id == golden,
                                                              Metadata.field_name == "name")).scalar_one()
    assert trail == "maintainer override"
    with pytest.raises(linkage.LinkageError, match="cannot be overridden"):
        linkage.set_override(session, golden, "organization_id", "x")
    with pytest.raises(linkage.LinkageError, match="no golden record with id 'nope'"):
        linkage.set_override(session, "nope", "name", "x")
    assert linkage.set_override(session, golden, "name", None)["removed"] is True
