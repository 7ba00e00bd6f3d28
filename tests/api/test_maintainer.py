"""Maintainers' source endpoints: off by default, credentials never echoed, clear errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from app import create_app, db
from app.models.staging import Source
from tests.conftest import DEMO


@pytest.fixture()
def maintainer(demo_app: Flask) -> Iterator[FlaskClient]:
    settings = demo_app.config["WAYMARK"]
    app = create_app({"database_url": settings.sqlalchemy_url, "instance_path": settings.instance_path,
                      "maintainer_api": True})
    yield app.test_client()
    with app.app_context():
        session = db.new_session()
        session.execute(delete(Source).where(Source.name.like("m-%")))
        session.commit()
        session.close()
        db.engine().dispose()


def test_off_by_default(client: FlaskClient) -> None:
    assert client.get("/api/maintainer/sources").status_code == 404


def test_register_show_edit_and_disable_a_source(maintainer: FlaskClient) -> None:
    created = maintainer.post("/api/maintainer/sources", json={
        "name": "m-council", "type": "hsds_api", "location": "https://council.example.org/api",
        "schedule": "0 2 * * *", "credentials": {"X-Api-Key": "s3cret-value"}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["credentials"] == ["X-Api-Key"] and "s3cret-value" not in created.get_data(as_text=True)
    assert body["records"] == {"active": 0, "withdrawn": 0, "quarantined": 0}
    listed = maintainer.get("/api/maintainer/sources").get_json()
    assert "m-council" in [s["name"] for s in listed]
    assert "s3cret-value" not in maintainer.get("/api/maintainer/sources").get_data(as_text=True)
    edited = maintainer.patch("/api/maintainer/sources/m-council", json={"schedule": "30 4 * * 1"})
    assert edited.status_code == 200 and edited.get_json()["schedule"] == "30 4 * * 1"
    disabled = maintainer.post("/api/maintainer/sources/m-council/disable")
    assert disabled.get_json()["enabled"] is False
    assert maintainer.get("/api/maintainer/sources/m-council/runs").get_json() == []


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"name": "m-x", "type": "ftp", "location": "x"}, "type", "Must be one of"),
    ({"name": "M X!", "type": "hsds_api", "location": "x"}, "name", "lower-case"),
    ({"name": "m-x", "type": "hsds_api", "location": "x", "schedule": "every day"}, "schedule", "cron"),
    ({"name": "m-x", "type": "hsds_api"}, "location", "Missing data"),
    ({"name": "m-x", "type": "hsds_api", "location": "x", "colour": "red"}, "colour", "Unknown field"),
])
def test_bad_source_is_a_400_naming_the_field(maintainer: FlaskClient, body: dict[str, str], field: str,
                                              words: str) -> None:
    response = maintainer.post("/api/maintainer/sources", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["parameter"] == field and words.lower() in error["error"].lower()


def test_duplicates_unknown_names_and_non_json(maintainer: FlaskClient) -> None:
    body = {"name": "m-dup", "type": "hsds_tabular", "location": str(DEMO)}
    assert maintainer.post("/api/maintainer/sources", json=body).status_code == 201
    again = maintainer.post("/api/maintainer/sources", json=body)
    assert again.status_code == 400 and "already exists" in again.get_json()["error"]
    assert maintainer.get("/api/maintainer/sources/m-nope").status_code == 404
    garbage = maintainer.post("/api/maintainer/sources", data="name=x", content_type="text/plain")
    assert garbage.status_code == 400 and garbage.get_json()["parameter"] == "body"
