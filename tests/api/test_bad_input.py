"""Bad input gets a 400 or 404 with a JSON body naming the parameter; never a 500."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(("url", "parameter", "words"), [
    ("/api/services?colour=blue", "colour", "Unknown parameter"),
    ("/api/services?per_page=0", "per_page", "between 1 and"),
    ("/api/services?per_page=100000", "per_page", "between 1 and"),
    ("/api/services?per_page=ten", "per_page", "integer"),
    ("/api/services?page=0", "page", "greater than or equal to 1"),
    ("/api/services?page=-3", "page", "greater than or equal to 1"),
    ("/api/services?taxonomy_term_id=abc", "taxonomy_term_id", "Not a valid UUID"),
    ("/api/services?organization_id=1%27%20OR%201=1", "organization_id", "Not a valid UUID"),
    ("/api/services?modified_after=yesterday", "modified_after", "ISO 8601"),
    ("/api/services?modified_after=2024-13-45", "modified_after", "ISO 8601"),
    ("/api/services?full=maybe", "full", "boolean"),
    ("/api/services?format=xml", "format", "Must be one of"),
    ("/api/services?page=1&page=2", "page", "once"),
    ("/api/services?search=" + "x" * 201, "search", "Length"),
    ("/api/service_at_locations?proximity=500", "proximity", "postcode"),
    ("/api/service_at_locations?postcode=LS6%204AB&proximity=-5", "proximity", "metres"),
    ("/api/service_at_locations?postcode=12345", "postcode", "not a UK postcode"),
    ("/api/service_at_locations?postcode=ZE9%209ZZ", "postcode", "not a known UK postcode"),
    ("/api/taxonomy_terms?top_only=perhaps", "top_only", "boolean"),
    ("/api/services/not-a-uuid", "id", "Not a valid UUID"),
    ("/api/services/" + str(uuid.uuid4()) + "?full=true", "full", "Unknown parameter"),
    ("/api/organizations/" + str(uuid.uuid4()) + "?full_service=x", "full_service", "boolean"),
])
def test_bad_parameter_is_a_400_naming_it(client: FlaskClient, url: str, parameter: str, words: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["parameter"] == parameter
    assert parameter in body["error"] and words.lower() in body["error"].lower()


@pytest.mark.parametrize("collection", ["services", "service_at_locations", "organizations",
                                        "taxonomies", "taxonomy_terms"])
def test_unknown_id_is_a_404(client: FlaskClient, collection: str) -> None:
    ident = str(uuid.uuid4())
    response = client.get(f"/api/{collection}/{ident}")
    assert response.status_code == 404
    assert ident in response.get_json()["error"]


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/no_such_thing")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["status"] == 404


def test_method_not_allowed_is_json(client: FlaskClient) -> None:
    response = client.post("/api/services")
    assert response.status_code == 405 and response.is_json
