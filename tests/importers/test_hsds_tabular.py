"""The tabular importer joins a data package into nested records that are valid HSDS."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from importers.hsds_tabular import PackageError, records
from tests.conftest import DEMO
from tests.hsds_assertions import schema_errors


def test_demo_package_becomes_valid_nested_hsds_records() -> None:
    found = list(records(DEMO))
    kinds = Counter(r.kind for r in found)
    assert kinds["service"] >= 200 and kinds["organization"] >= 5 and kinds["taxonomy_term"] >= 10
    assert [r.kind for r in found] == sorted((r.kind for r in found),
                                             key=["taxonomy", "taxonomy_term", "organization", "service"].index)
    for record in found:
        if record.kind == "service":
            assert schema_errors(record.data, "service") == [], record.origin
            assert record.data["organization"]["id"] == record.data["organization_id"]
    with_locations = [r.data for r in found if r.kind == "service" and r.data.get("service_at_locations")]
    location = with_locations[0]["service_at_locations"][0]["location"]
    assert isinstance(location.get("latitude"), float | int)


def test_missing_descriptor_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"no datapackage\.json"):
        list(records(tmp_path))


def test_row_without_id_names_file_and_row(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(DEMO, package)
    services = package / "services.csv"
    lines = services.read_text().splitlines()
    lines.insert(3, "," + lines[2].split(",", 1)[1])
    services.write_text("\n".join(lines) + "\n")
    with pytest.raises(PackageError, match=r"services\.csv row 4: no id"):
        list(records(package))
