"""Every response shape validates against the HSDS 3.0 and ORUK 3.0 JSON Schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.services.compile import compile_records
from app.services.publish import publish
from tests.conftest import HSDS_EXAMPLES
from tests.hsds_assertions import nulls, schema_errors

LISTS = [
    ("/api/services", "service_list"),
    ("/api/service_at_locations", "service_at_location_list"),
    ("/api/organizations", "organization_list"),
    ("/api/taxonomies", "taxonomy"),
    ("/api/taxonomy_terms", "taxonomy_term"),
]
DETAILS = {
    "services": "service",
    "service_at_locations": "service_at_location",
    "organizations": "organization",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}


def _all(client: FlaskClient, path: str) -> list[dict[str, Any]]:
    body = client.get(f"{path}?per_page=200").get_json()
    assert body["total_items"] <= 1000
    items = list(body["contents"])
    for page in range(2, body["total_pages"] + 1):
        items += client.get(f"{path}?per_page=200&page={page}").get_json()["contents"]
    return items


@pytest.mark.parametrize(("path", "schema"), LISTS)
def test_every_list_item_is_valid_hsds_and_oruk(client: FlaskClient, path: str, schema: str) -> None:
    items = _all(client, path)
    assert items, f"{path} is empty: the demo should fill it"
    for item in items:
        assert schema_errors(item, schema) == [], item["id"]
        if schema in ("service_list", "service_at_location_list", "organization_list"):
            assert schema_errors(item, schema, "oruk") == [], item["id"]
        assert nulls(item) == []


@pytest.mark.parametrize(("collection", "schema"), DETAILS.items())
def test_every_detail_is_valid_hsds_and_oruk(client: FlaskClient, collection: str, schema: str) -> None:
    for item in _all(client, f"/api/{collection}"):
        response = client.get(f"/api/{collection}/{item['id']}")
        assert response.status_code == 200
        record = response.get_json()
        assert record["id"] == item["id"]
        assert schema_errors(record, schema) == [], item["id"]
        if schema in ("service", "service_at_location", "organization"):
            assert schema_errors(record, schema, "oruk") == [], item["id"]
        assert nulls(record) == []


def test_full_service_carries_the_nested_hsds_objects(client: FlaskClient) -> None:
    """A demo service with locations comes back with its whole compiled tree."""
    page = client.get("/api/services?per_page=200&full=true").get_json()
    nested = [s for s in page["contents"] if s.get("service_at_locations") and s.get("schedules")]
    assert nested, "demo services should have locations and schedules"
    service = client.get(f"/api/services/{nested[0]['id']}").get_json()
    location = service["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"].startswith("LS")
    assert service["organization"]["name"]
    assert service["attributes"][0]["taxonomy_term"]["name"]
    assert service == nested[0]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _missing(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Values of ``expected`` that ``actual`` lacks or changes (extra fields are allowed)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [path]
        return [p for k, v in expected.items()
                for p in ([f"{path}.{k}"] if k not in actual else _missing(v, actual[k], f"{path}.{k}"))]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return [path]
        pairs = zip(_canonical_by_id(expected), _canonical_by_id(actual), strict=True)
        return [p for i, (e, a) in enumerate(pairs) for p in _missing(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def _canonical_by_id(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda v: v.get("id", "") if isinstance(v, dict) else json.dumps(v))


@pytest.mark.parametrize(("example", "kind"), [
    ("service_full.json", "service"),
    ("organization_full.json", "organization"),
    ("service_at_location_full.json", "service_at_location"),
    ("taxonomy.json", "taxonomy"),
    ("taxonomy_term.json", "taxonomy_term"),
])
def test_official_examples_round_trip_without_loss(session: Session, example: str, kind: str) -> None:
    record = json.loads((HSDS_EXAMPLES / example).read_text())
    publish(session, kind, [record])
    served = compile_records(session, kind, [record["id"]])
    assert len(served) == 1
    assert _missing(record, served[0]) == []
    assert nulls(served[0]) == []
