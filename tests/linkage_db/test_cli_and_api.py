"""`waymark linkage ...` and the maintainers' review endpoints, over a linked demo in its own SQLite file."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from app import create_app, db
from app.cli import main
from app.services.demo import FEEDS


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliRunner, Flask]]:
    """`waymark demo` (harvest three feeds, then link) in a fresh instance; the CLI runner and an app over it."""
    if os.environ.get("WAYMARK_TEST_DATABASE_URL"):
        pytest.skip("the command-line runs use their own SQLite file")
    tmp = tmp_path_factory.mktemp("linked")
    runner = CliRunner(env={"WAYMARK_INSTANCE_PATH": str(tmp), "WAYMARK_DATABASE_URL": ""})
    built = runner.invoke(main, ["demo", "--json"])
    assert built.exit_code == 0, built.output
    body = json.loads(built.output)
    assert body["linkage"]["status"] == "succeeded", body["linkage"]
    app = create_app({"instance_path": str(tmp), "database_url": "", "maintainer_api": True})
    yield runner, app
    with app.app_context():
        db.engine().dispose()


def test_the_demo_serves_the_overlapping_charity_once(linked: tuple[CliRunner, Flask]) -> None:
    _runner, app = linked
    listed = app.test_client().get("/api/organizations?per_page=200").get_json()["contents"]
    hubs = [o for o in listed if "carers" in o["name"].lower() and "hub" in o["name"].lower()]
    assert len(hubs) == 1, hubs
    service = app.test_client().get("/api/services?search=carers+support+group+armley").get_json()["contents"][0]
    full = app.test_client().get(f"/api/services/{service['id']}").get_json()
    assert full["organization"]["id"] == hubs[0]["id"]
    trail = {m["field_name"]: m["updated_by"] for m in full["metadata"]}
    assert trail["name"].startswith(("leeds-council record", "leeds-cvs record", "leeds-health record"))
    assert "harvest run" in trail["name"]


def test_run_again_is_skipped_and_says_why(linked: tuple[CliRunner, Flask]) -> None:
    runner, _app = linked
    result = runner.invoke(main, ["linkage", "run", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["status"] == "skipped" and "nothing changed since run" in summary["counts"]["reason"]
    text = runner.invoke(main, ["linkage", "run", "--force"])
    assert text.exit_code == 0 and "records ->" in text.output and "waiting for review" in text.output


def test_export_then_evaluate_against_the_demo_truth(linked: tuple[CliRunner, Flask], tmp_path: Path) -> None:
    runner, _app = linked
    out = tmp_path / "services.csv"
    exported = runner.invoke(main, ["linkage", "export", "--entity", "service", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 408 - 22 - 46 and all(r["golden_id"] for r in rows)  # staged services, not orgs or terms
    evaluated = runner.invoke(main, ["linkage", "evaluate", "--entity", "service", "--truth",
                                     str(FEEDS / "truth.csv"), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.output)
    assert figures["f1"] >= 0.9 and figures["blocking_recall"] >= 0.95


@pytest.mark.parametrize(("args", "words"), [
    (["linkage", "export", "--entity", "taxonomy", "--out", "x.csv"], "'taxonomy' is not one of"),
    (["linkage", "evaluate", "--entity", "service", "--truth", "missing.csv"], "does not exist"),
    (["linkage", "review", "accept", "999999"], "no review pair with id 999999"),
    (["linkage", "review", "reject", "many"], "'many' is not a valid integer"),
    (["linkage", "override", "nope", "name", "Hub"], "no golden record with id 'nope'"),
    (["linkage", "override", "nope", "name"], "give a VALUE or --clear"),
])
def test_mistakes_exit_2_with_the_reason(linked: tuple[CliRunner, Flask], args: list[str], words: str) -> None:
    runner, _app = linked
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and words in result.output


def test_a_truth_file_without_its_columns_is_refused(linked: tuple[CliRunner, Flask], tmp_path: Path) -> None:
    runner, _app = linked
    truth = tmp_path / "truth.csv"
    truth.write_text("source,external_id,cluster\nleeds-cvs,x,1\n", encoding="utf-8")
    result = runner.invoke(main, ["linkage", "evaluate", "--entity", "service", "--truth", str(truth)])
    assert result.exit_code == 2 and "missing column(s) truth_id" in result.output
    truth.write_text("source,external_id,truth_id\nleeds-cvs,,1\n", encoding="utf-8")
    result = runner.invoke(main, ["linkage", "evaluate", "--entity", "service", "--truth", str(truth)])
    assert result.exit_code == 2 and "line 2: missing external_id" in result.output


def test_review_from_the_command_line(linked: tuple[CliRunner, Flask]) -> None:
    runner, _app = linked
    listed = json.loads(runner.invoke(main, ["linkage", "review", "list", "--entity", "location", "--json"]).output)
    assert listed and all(p["entity"] == "location" and p["evidence"] for p in listed)
    assert all(p["a"]["name"] and p["b"]["name"] for p in listed)
    text = runner.invoke(main, ["linkage", "review", "list", "--entity", "location", "--limit", "1"]).output
    assert f"{listed[0]['a']['name']!r} ({listed[0]['a']['source']}/" in text
    rejected = runner.invoke(main, ["linkage", "review", "reject", str(listed[0]["id"])])
    assert rejected.exit_code == 0 and "are different" in rejected.output
    again = json.loads(runner.invoke(main, ["linkage", "review", "list", "--entity", "location", "--json"]).output)
    assert listed[0]["id"] not in {p["id"] for p in again}
    rerun = json.loads(runner.invoke(main, ["linkage", "run", "--json"]).output)
    assert rerun["status"] == "succeeded" and rerun["counts"]["location"]["decisions"] == 1


def test_the_review_endpoints(linked: tuple[CliRunner, Flask]) -> None:
    _runner, app = linked
    client = app.test_client()
    page = client.get("/api/maintainer/linkage/review?entity=location&limit=5")
    assert page.status_code == 200
    body = page.get_json()
    assert body["total_items"] >= len(body["contents"]) > 0
    pair = body["contents"][0]
    assert {"a", "b", "probability", "weight", "evidence"} <= set(pair)
    assert all({"field", "level", "weight"} <= set(e) for e in pair["evidence"])
    assert client.post(f"/api/maintainer/linkage/review/{pair['id']}", json={"same": "yes"}).status_code == 400
    assert client.post(f"/api/maintainer/linkage/review/{pair['id']}", data="same").status_code == 400
    answered = client.post(f"/api/maintainer/linkage/review/{pair['id']}", json={"same": True, "decided_by": "amy"})
    assert answered.status_code == 200 and answered.get_json()["same"] is True
    gone = client.post(f"/api/maintainer/linkage/review/{pair['id']}", json={"same": True})
    assert gone.status_code == 404 and "no review pair" in gone.get_json()["error"]
    bad = client.get("/api/maintainer/linkage/review?entity=shop")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "entity"
    assert client.get("/api/maintainer/linkage/runs").get_json()[0]["status"] in {"succeeded", "skipped"}


def test_the_review_endpoints_are_off_unless_the_maintainer_api_is(linked: tuple[CliRunner, Flask]) -> None:
    _runner, app = linked
    settings = app.config["WAYMARK"]
    closed = create_app({"instance_path": settings.instance_path, "database_url": ""})
    assert closed.test_client().get("/api/maintainer/linkage/review").status_code == 404


def test_override_from_the_command_line(linked: tuple[CliRunner, Flask], tmp_path: Path) -> None:
    runner, _app = linked
    out = tmp_path / "organizations.csv"
    assert runner.invoke(main, ["linkage", "export", "--entity", "organization", "--out", str(out)]).exit_code == 0
    with out.open(newline="", encoding="utf-8") as handle:
        golden = next(row["golden_id"] for row in csv.DictReader(handle) if row["golden_id"])
    done = runner.invoke(main, ["linkage", "override", golden, "email", "hello@hub.example.org"])
    assert done.exit_code == 0 and "from the next linkage run" in done.output
    rerun = json.loads(runner.invoke(main, ["linkage", "run", "--json"]).output)
    assert rerun["counts"]["golden"]["published"]["organization"] >= 1
    cleared = runner.invoke(main, ["linkage", "override", golden, "email", "--clear"])
    assert cleared.exit_code == 0 and "follows the sources again" in cleared.output
