"""`waymark sources ...` and `waymark harvest NAME --json`, as scripts drive them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.conftest import DEMO


def test_add_list_show_edit_disable(runner: CliRunner, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    added = runner.invoke(main, ["sources", "add", "nhs-extract", "--type", "hsds_tabular", "--location",
                                 str(package), "--schedule", "0 3 * * *", "--credential", "X-Api-Key=hush"])
    assert added.exit_code == 0, added.output
    shown = json.loads(runner.invoke(main, ["sources", "show", "nhs-extract"]).output)
    assert shown["schedule"] == "0 3 * * *" and shown["credentials"] == ["X-Api-Key"]
    assert "hush" not in runner.invoke(main, ["sources", "list"]).output
    edited = runner.invoke(main, ["sources", "edit", "nhs-extract", "--schedule", "*/30 * * * *"])
    assert json.loads(edited.output)["schedule"] == "*/30 * * * *"
    assert runner.invoke(main, ["sources", "disable", "nhs-extract"]).exit_code == 0
    listed = json.loads(runner.invoke(main, ["sources", "list", "--json"]).output)
    assert [(s["name"], s["enabled"]) for s in listed] == [("nhs-extract", False)]


def test_harvest_json_summary_and_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    runner.invoke(main, ["sources", "add", "pkg", "--type", "hsds_tabular", "--location", str(package)])
    result = runner.invoke(main, ["harvest", "pkg", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) >= {"source", "run_id", "status", "counts", "errors", "quarantined", "seconds"}
    assert summary["status"] == "succeeded" and summary["counts"]["new"] > 200
    shutil.rmtree(package)
    failed = runner.invoke(main, ["harvest", "pkg", "--json"])
    assert failed.exit_code == 1
    assert json.loads(failed.output)["errors"][0].endswith("not a folder or zip file holding an HSDS tabular package")
    table = runner.invoke(main, ["harvest", "pkg"])
    assert table.exit_code == 1 and "failed" in table.output and "error:" in table.output
    history = runner.invoke(main, ["sources", "runs", "pkg"])
    lines = history.output.splitlines()
    assert history.exit_code == 0 and len(lines) >= 4
    assert " failed " in lines[1] and "not a folder or zip" in lines[2] and " succeeded " in history.output


@pytest.mark.parametrize(("args", "words"), [
    (["sources", "add", "Bad Name", "--type", "hsds_api", "--location", "https://x.example"], "name:"),
    (["sources", "add", "x", "--type", "hsds_api", "--location", "https://x.example", "--schedule", "soon"],
     "schedule:"),
    (["sources", "show", "nope"], "no source named 'nope'"),
    (["harvest", "nope"], "no source named 'nope'"),
])
def test_mistakes_exit_2_with_the_reason(runner: CliRunner, args: list[str], words: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and words in result.output


def test_the_documented_spreadsheet_form_works_as_written(runner: CliRunner, tmp_path: Path) -> None:
    """`waymark sources add NAME --type spreadsheet --location PATH --config MAPPING --schedule CRON`,
    then `waymark harvest NAME --json`, with the mapping exactly as the issue gives it."""
    fixtures = Path(__file__).parent / "fixtures" / "spreadsheets"
    sheet, mapping = tmp_path / "directory.csv", tmp_path / "mapping.yaml"
    shutil.copy(fixtures / "directory.csv", sheet)
    shutil.copy(fixtures / "directory.yaml", mapping)
    added = runner.invoke(main, ["sources", "add", "vcs-sheet", "--type", "spreadsheet", "--location", str(sheet),
                                 "--config", str(mapping), "--schedule", "0 6 * * 1"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["config"]["fields"]["address.city"] == "=Leeds"
    result = runner.invoke(main, ["harvest", "vcs-sheet", "--json"])
    summary = json.loads(result.output)
    rows = sum(1 for line in sheet.read_text().splitlines()[1:] if line.strip(", "))  # blank rows skipped
    assert summary["status"] == "succeeded"
    assert summary["counts"]["new"] + summary["counts"]["quarantined"] == rows
    for problem in summary["quarantined"]:
        assert problem["reason"] and problem["origin"].startswith("directory.csv row")
    again = json.loads(runner.invoke(main, ["harvest", "vcs-sheet", "--json"]).output)
    assert again["not_modified"] is True and again["counts"]["unchanged"] == summary["counts"]["new"]
