"""scripts/make_synthetic_directory.py: the directory the linkage is measured on must be loadable and its truth right.

A linkage score is only as good as the truth it is measured against, so these check that
the truth covers every row, that the data really is messy where it should be (the same
organisation spelt differently across sources; branches that share an organisation but
not a location), that a seed reproduces the files byte for byte, and that every source
goes through the real spreadsheet importer and harvest without losing a row.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from app.cli import main
from importers.spreadsheet import NOTES_KEY, SpreadsheetFeed, load_mapping

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_synthetic_directory.py"
SIZE = 300
SOURCES = ("council", "nhs", "cvs")
ORG_COLUMN = {"council": "Provider", "nhs": "ORGANISATION_NAME", "cvs": "Organisation"}
CHECKED = ("phone.number", "address.postal_code", "service.url", "service.email", "location.latitude",
           "location.longitude", "organization_identifier.identifier")  # every format written must normalise
ID_COLUMN = {"council": "Service ref", "nhs": "RECORD_ID", "cvs": "Ref"}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_synthetic_directory", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def directory(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generator.generate(SIZE, out, seed=7)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _truth(directory: Path, entity: str) -> dict[tuple[str, str], str]:
    return {(r["source"], r["external_id"]): r["truth_id"] for r in _rows(directory / f"truth_{entity}.csv")}


def test_truth_covers_every_written_row(directory: Path) -> None:
    written = {(s, row[ID_COLUMN[s]]) for s in SOURCES for row in _rows(directory / f"{s}.csv")}
    assert len(written) == SIZE
    for entity in ("location", "organization", "service"):
        lines = _rows(directory / f"truth_{entity}.csv")
        assert len(lines) == SIZE, entity
        assert {(r["source"], r["external_id"]) for r in lines} == written, entity
        assert all(r["truth_id"] for r in lines)
    manifest = json.loads((directory / "manifest.json").read_text())
    assert sum(manifest["rows"].values()) == SIZE and manifest["seed"] == 7


def test_the_same_seed_gives_identical_files(generator: ModuleType, directory: Path, tmp_path: Path) -> None:
    generator.generate(SIZE, tmp_path, seed=7)
    names = sorted(p.name for p in directory.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (directory / name).read_bytes(), name
    other = tmp_path / "other"
    generator.generate(SIZE, other, seed=8)
    assert (other / "cvs.csv").read_bytes() != (directory / "cvs.csv").read_bytes()


def test_clusters_span_sources_with_different_spellings(directory: Path) -> None:
    organizations = _truth(directory, "organization")
    names: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for source in SOURCES:
        for row in _rows(directory / f"{source}.csv"):
            names[organizations[(source, row[ID_COLUMN[source]])]].add((source, row[ORG_COLUMN[source]]))
    spread = [spellings for spellings in names.values() if len({s for s, _ in spellings}) >= 2]
    assert len(spread) >= 10
    differently_spelt = [s for s in spread if len({name for _, name in s}) >= 2]
    assert len(differently_spelt) >= 5
    locations = _truth(directory, "location")
    by_location: dict[str, set[str]] = defaultdict(set)
    for (source, _), truth in locations.items():
        by_location[truth].add(source)
    assert sum(1 for sources in by_location.values() if len(sources) >= 2) >= 10


def test_branches_share_an_organisation_but_not_a_location(directory: Path) -> None:
    organizations, locations = _truth(directory, "organization"), _truth(directory, "location")
    sites: dict[str, set[str]] = defaultdict(set)
    for key, org in organizations.items():
        sites[org].add(locations[key])
    assert sum(1 for s in sites.values() if len(s) >= 2) >= 3


def test_one_address_is_one_place(directory: Path) -> None:
    """Two location truths at one postcode and house number would be records nobody could tell apart."""
    locations = _truth(directory, "location")
    places: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows(directory / "council.csv"):
        number = row["Address line 1"].split(" ", 1)[0]
        if number.isdigit():
            places[(row["Post code"], number)].add(locations[("council", row["Service ref"])])
    assert places and all(len(truths) == 1 for truths in places.values())


def test_rows_read_through_the_importer_without_losing_a_value(directory: Path) -> None:
    """Phones, postcodes, web addresses and emails in every format the generator writes are
    accepted by the importer's normalisation: nothing is quarantined or left out with a note
    about those fields (the CVS sheet's odd incomplete address and "Donations welcome" cost are
    left out on purpose, as in real sheets)."""
    for source in SOURCES:
        feed = SpreadsheetFeed(directory / f"{source}.csv", load_mapping(directory / f"{source}.yaml"))
        records = list(feed.records())
        assert len(records) == len(_rows(directory / f"{source}.csv"))
        assert all(r.record is not None and not r.problems for r in records), source
        for record in records:
            for note in record.raw.get(NOTES_KEY, []):
                assert not note.endswith(tuple(f"left out of {t}" for t in CHECKED)), (source, note)


def test_each_source_harvests_with_nothing_quarantined(runner: CliRunner, directory: Path) -> None:
    for source in SOURCES:
        added = runner.invoke(main, ["sources", "add", source, "--type", "spreadsheet", "--location",
                                     str(directory / f"{source}.csv"), "--config", str(directory / f"{source}.yaml")])
        assert added.exit_code == 0, added.output
        result = runner.invoke(main, ["harvest", source, "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["status"] == "succeeded", summary
        assert summary["counts"]["quarantined"] == 0 and not summary["quarantined"], summary
        assert summary["counts"]["new"] == len(_rows(directory / f"{source}.csv"))
