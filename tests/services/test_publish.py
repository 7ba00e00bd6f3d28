"""The single write path: validation with readable paths, upserts, replacing a record's own children."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.hsds import Location, Phone, Service
from app.services.compile import compile_records
from app.services.publish import RecordError, publish
from tests.conftest import HSDS_EXAMPLES


@pytest.fixture()
def example() -> dict[str, Any]:
    record: dict[str, Any] = json.loads((HSDS_EXAMPLES / "service_full.json").read_text())
    return record


def test_republishing_replaces_a_services_own_children(session: Session, example: dict[str, Any]) -> None:
    publish(session, "service", [example])
    changed = copy.deepcopy(example)
    changed["name"] = "Community Counselling (renamed)"
    changed["schedules"] = []
    changed.pop("cost_options")
    new_phone = {"id": str(uuid.uuid4()), "number": "0113 496 0000"}
    changed["phones"] = [new_phone]
    publish(session, "service", [changed])
    served = compile_records(session, "service", [example["id"]])[0]
    assert served["name"] == "Community Counselling (renamed)"
    assert "schedules" not in served and "cost_options" not in served
    assert [p["id"] for p in served["phones"]] == [new_phone["id"]]
    # the old phone is still a phone of the location and the organization it also belonged to
    old_phone = session.get(Phone, example["phones"][0]["id"])
    assert old_phone is not None and old_phone.service_id is None and old_phone.location_id is not None


def test_a_shared_location_survives_a_service_that_leaves_it(session: Session, example: dict[str, Any]) -> None:
    publish(session, "service", [example])
    changed = copy.deepcopy(example)
    changed["service_at_locations"] = []
    publish(session, "service", [changed])
    assert "service_at_locations" not in compile_records(session, "service", [example["id"]])[0]
    assert session.get(Location, example["service_at_locations"][0]["location"]["id"]) is not None


def test_invalid_record_names_the_path_and_writes_nothing(session: Session, example: dict[str, Any]) -> None:
    bad = copy.deepcopy(example)
    bad["id"] = str(uuid.uuid4())
    bad["service_at_locations"][0]["location"]["latitude"] = "north-ish"
    bad["phones"][0]["number"] = ""
    with pytest.raises(RecordError) as caught:
        publish(session, "service", [bad])
    message = str(caught.value)
    assert "service_at_locations[0].location.latitude" in message and "number" in message
    assert session.get(Service, bad["id"]) is None


@pytest.mark.parametrize("broken", [
    {"id": "not-a-uuid", "name": "x", "status": "active"},
    {"name": "no id", "status": "active"},
    {"id": str(uuid.uuid4()), "name": "x", "status": "active", "phones": "0113 496 0000"},
    {"id": str(uuid.uuid4()), "name": "x", "status": "active", "organization": ["not", "an", "object"]},
])
def test_malformed_records_are_refused_with_a_reason(session: Session, broken: dict[str, Any]) -> None:
    with pytest.raises(RecordError) as caught:
        publish(session, "service", [broken])
    assert caught.value.problems


def test_last_modified_is_set_when_the_source_gives_none(session: Session, example: dict[str, Any]) -> None:
    record = copy.deepcopy(example)
    record["id"] = str(uuid.uuid4())
    record.pop("last_modified")
    for sal in record["service_at_locations"]:
        sal["id"] = str(uuid.uuid4())
    publish(session, "service", [record])
    stored = session.execute(select(Service.last_modified).where(Service.id == record["id"])).scalar_one()
    assert stored is not None and stored.tzinfo is not None
