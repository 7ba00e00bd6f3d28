"""API responses are the JSON Flask's own provider would write, byte for byte, though orjson
writes them (app.api.json_provider); values orjson refuses still come out as before."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.testing import FlaskClient


def _stdlib(value: Any) -> bytes:
    """What Flask's provider wrote for ``value`` with the app's settings (order kept, UTF-8)."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=DefaultJSONProvider.default)
            + "\n").encode()


@pytest.mark.parametrize("path", [
    "/api/services?postcode=LS1 4AP&proximity=20000&per_page=10",
    "/api/service_at_locations?postcode=LS6 4&per_page=10",
    "/api/organizations?full_service=true&per_page=5",
    "/api/taxonomy_terms",
    "/api/",
    "/api/services?postcode=ZZ99 9ZZ",  # an error body
])
def test_bodies_are_the_standard_json_of_their_values(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.mimetype == "application/json"
    assert response.data == _stdlib(response.json)


@pytest.mark.parametrize("value", [
    {"big": 2 ** 70},  # beyond 64 bits: orjson refuses, the standard library writes it
    {"when": datetime.datetime(2026, 11, 24, 10, 30, tzinfo=datetime.UTC), "day": datetime.date(2026, 11, 24)},
    {"text": "Café ünïcode \u2028 \x01 \"quoted\" \\", "order": {"z": 1, "a": [1.5, None, True]}},
])
def test_values_come_out_as_flask_wrote_them(demo_app: Flask, value: Any) -> None:
    with demo_app.app_context():
        body = demo_app.json.response(value).get_data()
        reference = DefaultJSONProvider(demo_app)
        reference.sort_keys = False
        reference.ensure_ascii = False
        assert body == reference.response(value).get_data()
