"""Organisations linkage merges whose services stay apart: every service is served under the golden organisation.

Small spreadsheet sources harvested through the real importer beside the Leeds demo (in the ``session`` fixture's
rolled-back transaction, so on SQLite and on PostgreSQL), linked, and read back through the API's compiled records.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.hsds import Organization, Service
from app.models.linkage import LinkageMember
from app.models.staging import Source
from app.services import linkage
from app.services import sources as registry
from app.services.compile import compile_records
from app.services.feeds import open_feed
from app.services.harvest import harvest, start_run

COLUMNS = ("id", "org_id", "org", "service", "street", "postcode", "phone")
MAPPING = {"format": "csv", "external_id": "id", "country": "GB",
           "fields": {"organization.id": "org_id", "organization.name": "org", "service.name": "service",
                      "location.name": "org", "address.address_1": "street", "address.city": "=Leeds",
                      "address.postal_code": "postcode", "phone.number": "phone"}}
PANTRY = ("Hyde Park Community Pantry", "12 Brudenell Road", "LS6 1BD")
LODGE = ("Burley Lodge Centre", "5 Burley Lodge Road", "LS6 1QP")


def _source(session: Session, folder: Path, name: str, *rows: tuple[str, ...]) -> None:
    """Register (first time) and harvest the spreadsheet source ``name`` listing ``rows``: (name, street, postcode,
    service, phone), its organisation identified by the source's own id ``org-1``."""
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n, (org, street, postcode, service, phone) in enumerate(rows, start=1):
            writer.writerow((f"{name}-{n}", "org-1", org, service, street, postcode, phone))
    known = session.execute(select(Source).where(Source.name == name)).scalar_one_or_none()
    source = known or registry.add_source(session, name, "spreadsheet", str(path), dict(MAPPING))
    run = start_run(session, source, False, registry.utcnow())
    summary = harvest(session, source, run, lambda: open_feed(source, force=True))
    assert summary.status == "succeeded" and not summary.quarantined, summary.to_dict()


def _served(session: Session, name: str) -> dict[str, list[str]]:
    """Each served organisation called ``name``: its id -> the names of its services, as the API compiles them."""
    session.flush()
    ids = session.execute(select(Organization.id).where(Organization.name == name)).scalars().all()
    out: dict[str, list[str]] = {}
    for organization in ids:
        services = session.execute(select(Service.id).where(Service.organization_id == organization)).scalars()
        records: list[dict[str, Any]] = compile_records(session, "service", list(services))
        assert all(r["organization"]["id"] == organization for r in records)
        out[organization] = sorted(r["name"] for r in records)
    return out


def _run(demo_app: Flask, session: Session) -> dict[str, Any]:
    summary = linkage.run_linkage(session, linkage.LinkageOptions.from_settings(demo_app.config["WAYMARK"]))
    assert summary["status"] == "succeeded" and summary["errors"] == [], summary["errors"]
    return summary


def test_a_reviewers_yes_serves_both_services_under_one_organisation(demo_app: Flask, session: Session,
                                                                     tmp_path: Path) -> None:
    _source(session, tmp_path, "pantry-a", (*PANTRY, "Food parcels", "0113 496 0001"))
    _source(session, tmp_path, "pantry-b", ("Hyde Park Pantry Collective", *PANTRY[1:], "Debt advice drop-in",
                                            "0113 496 0002"))
    _run(demo_app, session)
    pair = next(p for p in linkage.review_pairs(session, "organization")
                if {p["a"]["source"], p["b"]["source"]} == {"pantry-a", "pantry-b"})
    members = {pair[side]["external_id"] for side in ("a", "b")}
    linkage.decide(session, pair["id"], True, "test")
    summary = _run(demo_app, session)
    assert summary["counts"]["golden"]["unpublished"]["organization"] >= 1
    golden = set(session.execute(select(LinkageMember.golden_id).where(
        LinkageMember.entity == "organization", LinkageMember.external_id.in_(members))).scalars())
    assert len(golden) == 1 and golden <= members  # one golden organisation, under one of its members' ids
    served = {**_served(session, PANTRY[0]), **_served(session, "Hyde Park Pantry Collective")}
    assert served == {golden.pop(): ["Debt advice drop-in", "Food parcels"]}
    assert session.execute(select(Organization.id).where(Organization.id.in_(members))).scalars().all() == list(served)


def test_a_record_that_left_its_cluster_takes_its_own_id_with_it(demo_app: Flask, session: Session,
                                                               tmp_path: Path) -> None:
    """The pantry's three listings are one golden organisation under the oldest one's id; that source then
    corrects its row to the lodge's: it joins the lodge (older still) and the other two are served under a new id,
    not under the id its source publishes the lodge listing under."""
    _source(session, tmp_path, "lodge", (*LODGE, "Youth club", "0113 496 0100"))
    _source(session, tmp_path, "pantry-a", (*PANTRY, "Food parcels", "0113 496 0001"))
    _source(session, tmp_path, "pantry-b", (*PANTRY, "Debt advice drop-in", "0113 496 0002"))
    _source(session, tmp_path, "pantry-c", (*PANTRY, "Cookery class", "0113 496 0003"))
    _run(demo_app, session)
    first = _served(session, PANTRY[0])
    assert list(first.values()) == [["Cookery class", "Debt advice drop-in", "Food parcels"]]
    moved = next(iter(first))  # pantry-a's own organisation id: the oldest listing
    _source(session, tmp_path, "pantry-a", (*LODGE, "Food parcels", "0113 496 0001"))
    _run(demo_app, session)
    lodge, pantry = _served(session, LODGE[0]), _served(session, PANTRY[0])
    assert list(lodge.values()) == [["Food parcels", "Youth club"]] and moved not in lodge
    assert list(pantry.values()) == [["Cookery class", "Debt advice drop-in"]] and moved not in pantry
    assert session.get(Organization, moved) is None
    own = dict(session.execute(select(LinkageMember.external_id, LinkageMember.golden_id).where(
        LinkageMember.entity == "organization")).tuples().all())
    assert all(own.get(gid, gid) == gid for gid in own.values())  # no golden id is another cluster's member's own
