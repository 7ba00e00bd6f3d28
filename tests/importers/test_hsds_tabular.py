"""The tabular importer joins a data package (folder or zip) into valid nested HSDS records."""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from importers import hsds_tabular
from importers.base import KINDS, FeedError
from importers.hsds_tabular import TabularFeed
from importers.identity import Preparation, prepare, scope_ids
from tests.conftest import DEMO
from tests.hsds_assertions import schema_errors


def test_demo_package_becomes_valid_nested_hsds_records() -> None:
    feed = TabularFeed(DEMO)
    found = list(feed.records())
    assert feed.complete
    kinds = Counter(r.kind for r in found)
    assert kinds["service"] >= 200 and kinds["organization"] >= 5 and kinds["taxonomy_term"] >= 10
    assert [r.kind for r in found] == sorted((r.kind for r in found), key=KINDS.index)
    services = [r for r in found if r.kind == "service"]
    for item in services:
        assert item.record is not None and not item.problems
        assert schema_errors(scope_ids("demo", "service", item.record), "service") == [], item.origin
        assert item.record["organization"]["id"] == item.record["organization_id"]
    located = next(r.record for r in services if r.record and r.record.get("service_at_locations"))
    assert isinstance(located["service_at_locations"][0]["location"]["latitude"], float)


def test_a_zipped_package_reads_the_same(tmp_path: Path) -> None:
    archive = tmp_path / "leeds.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in DEMO.iterdir():
            bundle.write(path, f"leeds/{path.name}")
    zipped = [(r.external_id, r.record) for r in TabularFeed(archive).records()]
    assert zipped == [(r.external_id, r.record) for r in TabularFeed(DEMO).records()]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "no datapackage.json"),
    (lambda p: (p / "datapackage.json").write_text("{not json"), "not a data package descriptor"),
    (lambda p: (p / "x.zip").write_bytes(b"PK\x03\x04 broken"), "not a folder or zip"),
])
def test_unusable_packages_are_feed_errors(tmp_path: Path, make: object, message: str) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    make(folder)  # type: ignore[operator]
    target = folder / "x.zip" if (folder / "x.zip").exists() else folder
    feed = TabularFeed(target)
    with pytest.raises(FeedError, match=message):
        list(feed.records())
    assert not feed.complete


def test_rows_without_id_or_with_a_repeated_id_are_reported_not_dropped(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    services = package / "services.csv"
    lines = services.read_text().splitlines()
    lines.insert(3, "," + lines[2].split(",", 1)[1])  # row 4: no id
    lines.append(lines[5])  # the service of row 6 again
    services.write_text("\n".join(lines) + "\n")
    found = list(TabularFeed(package).records())
    problems = [r for r in found if r.problems]
    assert [p.problems[0] for p in problems] == [
        "service row 4 has no id",
        f"service id {lines[5].split(',')[0]} is used again in row {len(lines)} (first in row 6); "
        "the first row was kept"]
    assert sum(1 for r in found if r.kind == "service") == len(lines) - 3


def test_cp1252_csv_is_a_clear_feed_error(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    text = (package / "services.csv").read_text().replace("Leeds", "Café £5", 1)
    (package / "services.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(FeedError, match=r"services\.csv: not UTF-8"):
        list(TabularFeed(package).records())


def test_the_worker_process_reads_large_packages_the_same(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Packages past WORKER_MIN_BYTES are read in a separate process; what comes out must not change."""
    in_process = [(r.external_id, r.kind, r.record, r.problems) for r in TabularFeed(DEMO).records()]
    monkeypatch.setattr(hsds_tabular, "WORKER_MIN_BYTES", 0)
    feed = TabularFeed(DEMO)
    assert [(r.external_id, r.kind, r.record, r.problems) for r in feed.records()] == in_process
    assert feed.complete
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    text = (package / "services.csv").read_text().replace("Leeds", "Café £5", 1)
    (package / "services.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(FeedError, match=r"services\.csv: not UTF-8"):
        list(TabularFeed(package).records())


def test_records_prepared_for_a_source_are_hashed_and_scoped_the_same_in_the_worker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed told its harvest hashes and scopes its records as it reads them, in the worker process
    too, exactly as ``identity.prepare`` does; records the harvest has staged as they are come without
    their payload."""
    expected = [prepare(r, "council") for r in TabularFeed(DEMO).records()]
    assert all(r.digest and r.scoped_for == "council" for r in expected)
    staged = {r.external_id: str(r.digest) for r in expected[::2]}
    staged[expected[1].external_id] = "another hash"
    for worker_min_bytes in (10 ** 12, 0):
        monkeypatch.setattr(hsds_tabular, "WORKER_MIN_BYTES", worker_min_bytes)
        feed = TabularFeed(DEMO)
        feed.prepare_for = Preparation("council")
        assert list(feed.records()) == expected
        feed = TabularFeed(DEMO)
        feed.prepare_for = Preparation("council", lambda: staged)
        records = list(feed.records())
        assert [r.unchanged for r in records] == [i % 2 == 0 for i in range(len(expected))]
        assert [r for r in records if not r.unchanged] == expected[1::2]
        assert all(r.raw is None and r.record is None and r.digest == staged[r.external_id]
                   for r in records if r.unchanged)
