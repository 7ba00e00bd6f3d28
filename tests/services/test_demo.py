"""The demo: three overlapping Leeds feeds harvested into one directory, and the truth about them."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.cli import main
from app.jobs import harvest_one
from app.models.staging import Source, StagedRecord
from app.services import sources as registry
from app.services.demo import COUNCIL_FEED, FEEDS, register_demo_sources, serve_recorded_api
from importers.identity import waymark_id
from tests.conftest import DEMO, ROOT

SOURCES = {"leeds-council": "hsds_api", "leeds-health": "hsds_tabular", "leeds-cvs": "spreadsheet"}


def _truth() -> list[dict[str, str]]:
    with (FEEDS / "truth.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _by_truth_id() -> dict[str, dict[str, str]]:
    """truth_id -> {source: external_id}."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _truth():
        out[row["truth_id"]][row["source"]] = row["external_id"]
    return out


def _leeds_services() -> dict[str, str]:
    """Leeds service id -> name."""
    with (DEMO / "services.csv").open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row["name"] for row in csv.DictReader(handle)}


def _council_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((COUNCIL_FEED / "services.json").read_text(encoding="utf-8"))
    return records


def _golden(source: str, external_id: str) -> str:
    return waymark_id(source, "service", external_id)


def _service(client: FlaskClient, source: str, external_id: str) -> dict[str, Any]:
    response = client.get(f"/api/services/{_golden(source, external_id)}")
    assert response.status_code == 200, (source, external_id)
    body: dict[str, Any] = response.get_json()
    return body


def _truth_id_of(name: str) -> str:
    return next(ident for ident, found in _leeds_services().items() if found == name)


# --------------------------------------------------------------------------- the feeds


def test_every_leeds_service_is_in_some_feed_and_the_feeds_overlap() -> None:
    by_truth = _by_truth_id()
    assert set(by_truth) == set(_leeds_services())
    council_and_cvs = [t for t, feeds in by_truth.items() if {"leeds-council", "leeds-cvs"} <= feeds.keys()]
    in_all_three = [t for t, feeds in by_truth.items() if len(feeds) == 3]
    assert 30 <= len(council_and_cvs) <= 40
    assert 1 <= len(in_all_three) <= len(council_and_cvs) // 4
    rows = _truth()
    assert len({(r["source"], r["external_id"]) for r in rows}) == len(rows)


def test_the_feeds_are_modest_in_size() -> None:
    assert sum(p.stat().st_size for p in FEEDS.rglob("*") if p.is_file()) < 2 * 1024 * 1024


def test_make_demo_feeds_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_feeds.py"), "--out", str(out)],
                   check=True, capture_output=True, cwd=tmp_path)
    made = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shipped = {p.relative_to(FEEDS).as_posix(): p.read_bytes() for p in FEEDS.rglob("*") if p.is_file()}
    assert sorted(made) == sorted(shipped)
    assert [name for name in made if made[name] != shipped[name]] == []


# --------------------------------------------------------------------------- the recorded council API


def test_the_recorded_api_pages_and_serves_full_records() -> None:
    records = _council_records()
    with serve_recorded_api(COUNCIL_FEED) as base:
        assert requests.get(f"{base}/", timeout=10).json()["version"] == "HSDS-UK-3.0"
        first = requests.get(f"{base}/services", params={"per_page": 50}, timeout=10).json()
        assert list(first) == ["total_items", "total_pages", "page_number", "size", "first_page", "last_page",
                               "empty", "contents"]
        assert (first["total_items"], first["total_pages"]) == (len(records), math.ceil(len(records) / 50))
        assert first["contents"] == records[:50] and first["first_page"] and not first["last_page"]
        last = requests.get(f"{base}/services", params={"page": first["total_pages"], "per_page": 50}, timeout=10)
        assert last.json()["last_page"] and last.json()["contents"] == records[(first["total_pages"] - 1) * 50:]
        past = requests.get(f"{base}/services", params={"page": 99, "per_page": 50}, timeout=10).json()
        assert past["contents"] == [] and past["empty"] and past["size"] == 0
        since = requests.get(f"{base}/services", params={"modified_after": "2025-01-01T00:00:00Z"}, timeout=10)
        assert since.json()["total_items"] == sum(1 for r in records if r["last_modified"] >= "2025-01-01")
        assert since.json()["total_items"] < len(records)  # the stale copy is older
        detail = requests.get(f"{base}/services/{records[7]['id']}", timeout=10)
        assert detail.status_code == 200 and detail.json() == records[7]
        for path, status in [("/services/no-such-id", 404), ("/nothing", 404), ("/services?page=0", 400),
                             ("/services?per_page=lots", 400), ("/services?modified_after=soon", 400)]:
            answer = requests.get(f"{base}{path}", timeout=10)
            assert answer.status_code == status and "error" in answer.json(), path
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/", timeout=2)


def test_demo_help_and_readme_say_the_council_url_dies_with_the_command() -> None:
    shown = CliRunner().invoke(main, ["demo", "--help"])
    assert shown.exit_code == 0
    assert "only alive while this command runs" in " ".join(shown.output.split())
    readme = " ".join((FEEDS / "README.md").read_text(encoding="utf-8").split())
    assert "That URL is only alive while `waymark demo` runs" in readme


# --------------------------------------------------------------------------- the harvested directory


def test_the_three_sources_harvest_into_one_directory(session: Session) -> None:
    sources = {s.name: s for s in registry.list_sources(session) if s.name in SOURCES}
    assert {name: s.type for name, s in sources.items()} == SOURCES
    assert not any(s.enabled or s.schedule for s in sources.values())
    staged = session.execute(select(Source.name, StagedRecord.kind, StagedRecord.state).join(
        Source, Source.id == StagedRecord.source_id).where(Source.name.in_(SOURCES))).all()
    assert {state for _n, _k, state in staged} == {"active"}
    services: dict[str, int] = defaultdict(int)
    for name, kind, _state in staged:
        if kind == "service":
            services[name] += 1
    truth = _truth()
    assert dict(services) == {name: sum(1 for r in truth if r["source"] == name) for name in SOURCES}


def test_every_service_in_the_truth_file_is_served(client: FlaskClient) -> None:
    response = client.get("/api/services?format=ndjson&minimal=true")
    served = {json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines()}
    expected = {_golden(r["source"], r["external_id"]) for r in _truth()}
    assert expected <= served
    assert len(expected) == len(_truth())  # one golden service per copy, until de-duplication


def test_an_overlapping_charity_is_two_organisations_spelt_differently(client: FlaskClient) -> None:
    feeds = _by_truth_id()[_truth_id_of("Carers' support group, Armley")]
    council = _service(client, "leeds-council", feeds["leeds-council"])
    cvs = _service(client, "leeds-cvs", feeds["leeds-cvs"])
    assert council["organization"]["name"] == "Leeds Carers Hub"
    assert cvs["organization"]["name"] == "Leeds Carers' Hub Ltd"
    assert council["organization"]["id"] != cvs["organization"]["id"]
    for organization in (council["organization"], cvs["organization"]):
        assert client.get(f"/api/organizations/{organization['id']}").get_json()["name"] == organization["name"]
    assert (council["name"], cvs["name"]) == ("Carers' support group, Armley", "Carers Support Group (Armley)")
    assert "leeds-health" in feeds


def test_the_copies_differ_as_designed(client: FlaskClient) -> None:
    walk = _by_truth_id()[_truth_id_of("Kirkstall Abbey Park health walk")]
    assert _service(client, "leeds-cvs", walk["leeds-cvs"])["name"] == "Health Walk (Tuesdays) - Kirkstall Abbey Park"
    assert _service(client, "leeds-council", walk["leeds-council"])["schedules"][0]["byday"] == "TU"
    stale = _by_truth_id()[_truth_id_of("Horsforth memory café")]
    old, current = (_service(client, s, stale[s]) for s in ("leeds-council", "leeds-health"))
    assert old["last_modified"] < "2025-01-01" < current["last_modified"]
    assert old["phones"][0]["number"] != current["phones"][0]["number"]
    moved = _by_truth_id()[_truth_id_of("Seacroft coffee morning")]
    postcodes = [_service(client, s, moved[s])["service_at_locations"][0]["location"]["addresses"][0]["postal_code"]
                 for s in ("leeds-council", "leeds-cvs")]
    assert postcodes[0] != postcodes[1]


def test_the_shared_taxonomy_survives_every_source(client: FlaskClient) -> None:
    """The sheet names terms in its own words; the terms stay as the Leeds taxonomy has them."""
    with (DEMO / "taxonomy_terms.csv").open(newline="", encoding="utf-8") as handle:
        terms = list(csv.DictReader(handle))
    for term in terms:
        served = client.get(f"/api/taxonomy_terms/{waymark_id('any', 'taxonomy_term', term['id'])}").get_json()
        assert (served["code"], served["name"], served["description"]) == (term["code"], term["name"],
                                                                           term["description"])


def test_building_the_demo_again_changes_nothing(demo_app: Flask) -> None:
    with demo_app.app_context(), serve_recorded_api(COUNCIL_FEED) as council_url:
        session = db.new_session()
        names = register_demo_sources(session, council_url)
        session.commit()
        session.close()
        summaries = [harvest_one(name) for name in names]
    for summary in summaries:
        assert summary.status == "succeeded", summary.to_dict()
        assert summary.counts["unchanged"] > 0 and sum(summary.counts.values()) == summary.counts["unchanged"]
