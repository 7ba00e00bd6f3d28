"""Records flattened one by one and merged (as a harvest does with the rows its feed's reader
made) give exactly the rows of flattening them together, and the rows pickle."""

from __future__ import annotations

import datetime
import pickle
from typing import Any

from schema.flatten import Flattened, flatten, flatten_record, prepare, stamp
from schema.hsds import plan

ORG = "0a000000-0000-4000-8000-000000000001"
HALL = "0b000000-0000-4000-8000-000000000001"


def service(n: int, hall: dict[str, Any]) -> dict[str, Any]:
    sid = f"0c000000-0000-4000-8000-00000000000{n}"
    return {"id": sid, "name": f"Group {n}", "status": "active",
            "organization": {"id": ORG, "name": "Charity", "description": "Shared",
                             "email": "a@example.org" if n == 1 else None},
            "phones": [{"id": f"0d000000-0000-4000-8000-00000000000{n}", "number": "0113 496 0000"}],
            "service_at_locations": [{"id": f"0e000000-0000-4000-8000-00000000000{n}", "location": hall}]}


def records() -> list[dict[str, Any]]:
    full = {"id": HALL, "name": "Hall", "location_type": "physical", "latitude": 53.8, "longitude": -1.5,
            "addresses": [{"id": "0f000000-0000-4000-8000-000000000001", "address_1": "1 High St",
                           "city": "Leeds", "state_province": "West Yorkshire", "postal_code": "LS1 1AA",
                           "country": "GB", "address_type": "physical"}]}
    partial = {"id": HALL, "name": "Hall (renamed)", "location_type": "physical", "latitude": None}
    return [service(1, full), service(2, partial), service(3, full)]


def together(items: list[dict[str, Any]]) -> Flattened:
    out = Flattened()
    for record in items:
        flatten(plan("service"), record, out)
    return out


def test_merged_one_by_one_is_flattened_together() -> None:
    now = datetime.datetime(2026, 12, 4, tzinfo=datetime.UTC)
    expected = stamp("service", together(records()), now)
    merged = prepare("service", records(), now)
    assert {t: rows for t, rows in merged.rows.items() if rows} == {
        t: rows for t, rows in expected.rows.items() if rows}
    hall = merged.rows["location"][HALL]
    assert list(hall.items()) == list(expected.rows["location"][HALL].items())
    assert hall["latitude"] == 53.8  # a later record leaving it empty does not blank it
    assert merged.rows["organization"][ORG]["email"] == "a@example.org"
    assert merged.owned == expected.owned
    assert merged.claims == expected.claims
    assert merged.shared == expected.shared
    assert merged.owners({"service": {r["id"] for r in records()}}) == expected.owners(
        {"service": {r["id"] for r in records()}})


def test_flattened_rows_pickle_and_problems_name_the_path() -> None:
    one = pickle.loads(pickle.dumps(flatten_record("service", records()[0])))
    assert one.rows["phone"] and not one.problems
    bad = flatten_record("service", {**records()[0], "phones": [{"id": "x"}]})
    assert "phones[0].number" in bad.problems
    not_a_record = flatten_record("service", ["not", "a", "record"])
    assert not_a_record.problems == {"(record)": ["A record must be a JSON object."]}
