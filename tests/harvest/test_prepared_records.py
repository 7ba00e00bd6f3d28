"""Records a feed's reader validated and flattened (``identity.prepare``) publish exactly as records
the harvest flattens itself: points from the postcode table included, and quarantine reasons."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models.geo import Postcode
from app.models.hsds import Location
from app.services import sources as registry
from app.services.harvest import RunSummary, harvest, start_run
from importers.base import SourceRecord
from importers.identity import prepare, waymark_id


def place(place_id: str, postcode: str, point: tuple[float, float] | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"id": place_id, "name": f"Hall {place_id}", "location_type": "physical",
                                "addresses": [{"id": f"a-{place_id}", "address_1": "1 Road", "city": "Leeds",
                                               "state_province": "West Yorkshire", "postal_code": postcode,
                                               "country": "GB", "address_type": "physical"}]}
    if point:
        location["latitude"], location["longitude"] = point
    return location


def service(n: int, *locations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": f"s{n}", "name": f"Group {n}", "status": "active", **extra,
            "organization": {"id": "o1", "name": "Charity", "description": "Runs groups"},
            "service_at_locations": [{"id": f"sal{n}-{i}", "location": loc} for i, loc in enumerate(locations)]}


RECORDS = [
    service(1, place("l1", "LS6 1AB")),  # gets its postcode's point
    service(2, place("l2", "LS6 1AB"), place("l2", "LS6 1AB", (53.1, -1.1))),  # again, with its own point
    service(3, place("l3", "LS6 1AB", (53.2, -1.2)), place("l3", "LS6 1AB")),  # own point first
    service(4, place("l4", "LS99 9ZZ")),  # not in the table: a note, no point
    service(5, place("l5", "LS6 1AB"), status="sometimes"),  # invalid: quarantined
]


class Feed:
    complete = True
    not_modified = False
    fingerprint = None

    def __init__(self, source: str | None):
        self.source = source  # prepared for this source in the reader, or left to the harvest

    def records(self) -> Iterator[SourceRecord]:
        for record in copy.deepcopy(RECORDS):
            item = SourceRecord(record["id"], "service", record, record, origin=f"item {record['id']}")
            yield prepare(item, self.source) if self.source else item


@pytest.fixture()
def postcodes(session: Session) -> Session:
    session.merge(Postcode(postcode="LS6 1AB", latitude=53.8123, longitude=-1.5678, local_authority="E08000035"))
    session.execute(delete(Postcode).where(Postcode.postcode == "LS99 9ZZ"))
    session.flush()
    return session


def _harvest(session: Session, name: str, prepared: bool) -> tuple[RunSummary, dict[str, Any]]:
    registry.add_source(session, name, "hsds_api", "http://127.0.0.1:9/unused")
    source = registry.get_source(session, name)
    run = start_run(session, source, False, registry.utcnow())
    summary = harvest(session, source, run, Feed(name if prepared else None))
    ids = {waymark_id(name, "location", f"l{n}"): f"l{n}" for n in range(1, 6)}
    points = {ids[row.id]: (row.latitude, row.longitude) for row in session.execute(
        select(Location.id, Location.latitude, Location.longitude).where(Location.id.in_(ids)))}
    return summary, points


def test_prepared_records_publish_as_records_flattened_by_the_harvest(postcodes: Session) -> None:
    prepared, prepared_points = _harvest(postcodes, "prepared", True)
    plain, plain_points = _harvest(postcodes, "plain", False)
    assert prepared_points == plain_points == {
        "l1": (53.8123, -1.5678), "l2": (53.1, -1.1), "l3": (53.8123, -1.5678), "l4": (None, None)}
    assert prepared.counts == plain.counts and prepared.counts["new"] == 4 and prepared.counts["quarantined"] == 1
    assert [q["reason"] for q in prepared.quarantined] == [q["reason"] for q in plain.quarantined]
    assert "status" in prepared.quarantined[0]["reason"]
    assert [n.split(": ", 1)[1] for n in prepared.notes] == [n.split(": ", 1)[1] for n in plain.notes]
