"""The OpenAPI document is valid, matches what the API accepts, and the docs page is self-contained."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from app.api.views import RESOURCES


@pytest.fixture(scope="module")
def document(live_server: str) -> dict[str, Any]:
    body: dict[str, Any] = requests.get(f"{live_server}/api/openapi.json", timeout=10).json()
    return body


def test_document_is_valid_openapi_with_refs_served_locally(document: dict[str, Any], live_server: str) -> None:
    validate(document)
    refs = set(re.findall(r'"\$ref":\s*"(http[^"]+)"', requests.get(f"{live_server}/api/openapi.json",
                                                                  timeout=10).text))
    assert refs and all(ref.startswith(live_server) for ref in refs)
    for ref in refs:
        response = requests.get(ref, timeout=10)
        assert response.status_code == 200 and response.json()["type"] == "object"


def test_api_details_point_at_the_document(client: FlaskClient) -> None:
    details = client.get("/api/").get_json()
    assert set(details) == {"version", "profile", "openapi_url"}
    assert details["openapi_url"].endswith("/api/openapi.json")
    assert client.get(details["openapi_url"].split("localhost", 1)[-1]).status_code == 200


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.path)
def test_documented_parameters_are_exactly_the_accepted_ones(
        document: dict[str, Any], client: FlaskClient, resource: Any) -> None:
    operation = document["paths"][f"/{resource.path}"]["get"]
    documented = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert {"page", "per_page", "format"} <= set(documented)
    samples = {"boolean": "true", "integer": "1", "number": "1000", "string": "x"}
    formats = {"uuid": "00000000-0000-4000-8000-000000000000", "date-time": "2024-01-01T00:00:00Z"}
    special = {"start_time": "09:00", "end_time": "17:00", "open_at": "now", "delivery": "online", "lat": "53.8",
               "long": "-1.55", "language": "en", "postcode": "LS1", "place": "Headingley",
               "taxonomy_term_id": _a_term_id(client)}
    # parameters that only make sense with another one
    companions = {"proximity": "&postcode=LS1", "coverage": "&postcode=LS1", "sort": "&postcode=LS1",
                  "lat": "&long=-1.55", "long": "&lat=53.8"}
    for name, schema in documented.items():
        value = special.get(name) or formats.get(schema.get("format", ""), samples.get(schema.get("type", ""), "x"))
        if schema.get("enum"):
            value = schema["enum"][0]
        response = client.get(f"/api/{resource.path}?{name}={value}{companions.get(name, '')}")
        if name == "place":  # found by a geocoder, and the test app has none configured: a 400 that says so
            assert response.status_code == 400 and "geocoder" in response.get_json()["error"]
            continue
        assert response.status_code == 200, (name, response.get_json())
    assert client.get(f"/api/{resource.path}?undocumented=1").status_code == 400


def test_docs_page_lists_every_endpoint_without_external_assets(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for resource in RESOURCES:
        assert f"/{resource.path}" in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)


def _a_term_id(client: FlaskClient) -> str:
    term_id: str = client.get("/api/taxonomy_terms?per_page=1").get_json()["contents"][0]["id"]
    return term_id
