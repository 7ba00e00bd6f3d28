"""The HSDS paging envelope, filters that combine with AND, and streaming."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.hsds import Attribute, Service, TaxonomyTerm

ENVELOPE = ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"]
COLLECTIONS = ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"]


def _get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_paging_invariants_with_five_per_page(client: FlaskClient, collection: str) -> None:
    first = _get(client, f"/api/{collection}?per_page=5")
    assert list(first) == ENVELOPE
    total = first["total_items"]
    assert first["total_pages"] == math.ceil(total / 5)
    seen: list[str] = []
    for number in range(1, first["total_pages"] + 1):
        page = _get(client, f"/api/{collection}?per_page=5&page={number}")
        assert page["page_number"] == number
        assert page["size"] == len(page["contents"]) <= 5
        assert page["first_page"] is (number == 1)
        assert page["last_page"] is (number == first["total_pages"])
        assert page["empty"] is False
        seen += [item["id"] for item in page["contents"]]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_page_past_the_end_is_empty(client: FlaskClient, collection: str) -> None:
    page = _get(client, f"/api/{collection}?per_page=5&page=100000")
    assert page["contents"] == [] and page["empty"] is True and page["size"] == 0
    assert page["last_page"] is True and page["first_page"] is False
    assert page["total_items"] > 0


def test_default_page_size_is_documented_default(client: FlaskClient, demo_app: Any) -> None:
    page = _get(client, "/api/services")
    assert page["size"] == min(demo_app.config["WAYMARK"].per_page_default, page["total_items"])


def test_organization_filter(client: FlaskClient, session: Session) -> None:
    org_id, expected = session.execute(
        select(Service.organization_id, func.count()).group_by(Service.organization_id)
        .order_by(func.count().desc()).limit(1)).one()
    page = _get(client, f"/api/services?organization_id={org_id}&per_page=200")
    assert page["total_items"] == expected > 1
    assert {s["organization"]["id"] for s in page["contents"]} == {org_id}


def test_taxonomy_term_and_taxonomy_filters(client: FlaskClient, session: Session) -> None:
    term_id, taxonomy_id, expected = session.execute(
        select(Attribute.taxonomy_term_id, TaxonomyTerm.taxonomy_id, func.count(func.distinct(Attribute.link_id)))
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
        .where(Attribute.link_entity == "service")
        .group_by(Attribute.taxonomy_term_id, TaxonomyTerm.taxonomy_id)
        .order_by(func.count().desc()).limit(1)).one()
    page = _get(client, f"/api/services?taxonomy_term_id={term_id}&per_page=200&full=true")
    assert page["total_items"] == expected
    for service in page["contents"]:
        assert term_id in {a["taxonomy_term_id"] for a in service["attributes"]}
    by_taxonomy = _get(client, f"/api/services?taxonomy_id={taxonomy_id}&per_page=1")
    assert by_taxonomy["total_items"] >= expected


def test_filters_combine_with_and(client: FlaskClient) -> None:
    everything = _get(client, "/api/services?per_page=200")["contents"]
    org_id = everything[0]["organization"]["id"]
    word = everything[0]["name"].split()[0].lower()
    by_org = {s["id"] for s in _get(client, f"/api/services?organization_id={org_id}&per_page=200")["contents"]}
    by_word = {s["id"] for s in _get(client, f"/api/services?search={word}&per_page=200")["contents"]}
    both = _get(client, f"/api/services?organization_id={org_id}&search={word}&per_page=200")
    assert {s["id"] for s in both["contents"]} == by_org & by_word
    assert both["total_items"] == len(by_org & by_word) >= 1


def test_search_matches_words_in_name_or_description(client: FlaskClient) -> None:
    page = _get(client, "/api/services?search=walk&per_page=200")
    assert page["total_items"] > 0
    for service in page["contents"]:
        text = " ".join([service["name"], service.get("description", ""), service["organization"]["name"]]).lower()
        assert "walk" in text


def test_modified_after(client: FlaskClient) -> None:
    response = client.get("/api/services?format=ndjson&minimal=true")
    services = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert services and all(set(s) == {"id", "last_modified"} for s in services)
    stamps = sorted(s["last_modified"] for s in services)
    middle = stamps[len(stamps) // 2]
    newer = _get(client, f"/api/services?modified_after={middle}&per_page=200&minimal=true")
    assert newer["total_items"] == sum(1 for s in stamps if s >= middle) < len(stamps)
    assert all(s["last_modified"] >= middle for s in newer["contents"])
    date_only = _get(client, f"/api/services?modified_after={middle[:10]}&per_page=1")
    assert date_only["total_items"] >= newer["total_items"]


def test_minimal_gives_id_and_last_modified_only(client: FlaskClient) -> None:
    page = _get(client, "/api/services?minimal=true&per_page=5")
    assert page["contents"] and all(set(s) == {"id", "last_modified"} for s in page["contents"])


def test_ndjson_streams_every_record_without_paging(client: FlaskClient) -> None:
    total = _get(client, "/api/services?per_page=1")["total_items"]
    response = client.get("/api/services?format=ndjson&per_page=1")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == len({r["id"] for r in lines}) == total > 200  # more than one internal batch


def test_service_at_locations_near_a_postcode(client: FlaskClient) -> None:
    first = _get(client, "/api/service_at_locations?full=true&per_page=200")["contents"]
    postcode = next(s["location"]["addresses"][0]["postal_code"] for s in first
                    if s.get("location", {}).get("addresses"))
    near = _get(client, f"/api/service_at_locations?postcode={postcode.lower().replace(' ', '')}"
                        "&proximity=2000&per_page=200")
    distances = [item["distance"] for item in near["contents"]]
    assert distances and distances[0] == 0
    assert distances == sorted(distances) and max(distances) <= 2000
    wider = _get(client, f"/api/service_at_locations?postcode={postcode}&proximity=20000&per_page=1")
    assert wider["total_items"] >= near["total_items"]


def test_outcode_gives_an_approximate_point(client: FlaskClient) -> None:
    page = _get(client, "/api/service_at_locations?postcode=LS6&proximity=5000&per_page=5")
    assert page["total_items"] > 0


def test_cors_header_on_api(client: FlaskClient) -> None:
    assert client.get("/api/services").headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/services/not-a-uuid").headers["Access-Control-Allow-Origin"] == "*"
