"""No N+1: the number of SQL statements does not grow with the rows returned."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app import db
from schema.nesting import load_plan
from tests.conftest import count_statements


def _statements(app: Flask, client: FlaskClient, url: str) -> int:
    with app.app_context(), count_statements(db.engine()) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


def test_full_service_costs_at_most_one_query_per_table(demo_app: Flask, client: FlaskClient) -> None:
    ids = [s["id"] for s in client.get("/api/services?per_page=200").get_json()["contents"]]
    tables = 1 + len(load_plan("service").order)
    counts = {_statements(demo_app, client, f"/api/services/{i}") for i in ids}
    assert max(counts) <= tables


def test_page_of_fifty_costs_the_same_as_a_page_of_one(demo_app: Flask, client: FlaskClient) -> None:
    for options in ("", "&full=true"):
        one = _statements(demo_app, client, f"/api/services?per_page=1{options}")
        fifty = _statements(demo_app, client, f"/api/services?per_page=50{options}")
        assert fifty <= one + 2  # a table empty for the first service may be queried for later ones
        assert fifty <= 2 + len(load_plan("service" if options else "service_list").order) + 1


def test_service_at_location_page_is_bounded(demo_app: Flask, client: FlaskClient) -> None:
    one = _statements(demo_app, client, "/api/service_at_locations?per_page=1&full=true")
    fifty = _statements(demo_app, client, "/api/service_at_locations?per_page=50&full=true")
    assert fifty <= one + 2
