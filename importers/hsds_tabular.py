"""Read an HSDS tabular data package (datapackage.json + one CSV per table).

The CSV tables are joined into the nested records the HSDS API serves: taxonomies,
taxonomy terms, organizations and compiled services (with their service_at_locations,
locations, addresses, phones, schedules, attributes ...). Foreign keys come from the
package; the nesting comes from the spec's compiled schemas (``schema.hsds.plan``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schema.hsds import plan
from schema.nesting import Graph, assemble
from schema.records import typed_row

# The order in which records must be published: referenced things first.
RECORD_KINDS = ("taxonomy", "taxonomy_term", "organization", "service")


class PackageError(ValueError):
    """The package itself is unusable (missing descriptor, unreadable table)."""


@dataclass(frozen=True)
class Record:
    kind: str  # one of RECORD_KINDS
    data: dict[str, Any]
    origin: str  # "services.csv row 12", for error messages


def read_package(folder: Path) -> Graph:
    """Every table of the package as rows keyed by id (empty cells are absent)."""
    descriptor = folder / "datapackage.json"
    if not descriptor.is_file():
        raise PackageError(f"{descriptor}: no datapackage.json in {folder}")
    try:
        resources = json.loads(descriptor.read_text(encoding="utf-8-sig"))["resources"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise PackageError(f"{descriptor}: not a data package descriptor ({exc})") from None
    graph = Graph()
    for resource in resources:
        path = folder / resource["path"]
        if path.is_file():
            graph.add(resource["name"], (typed_row(resource["name"], row) for row in _read_table(path)))
    return graph


def _read_table(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            cleaned = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
            if "id" not in cleaned:
                raise PackageError(f"{path.name} row {number}: no id")
            cleaned["_origin"] = f"{path.name} row {number}"
            yield cleaned


def records(folder: Path) -> Iterator[Record]:
    """Nested HSDS records of the package, in publishing order."""
    graph = read_package(folder)
    for kind in RECORD_KINDS:
        node = plan(kind)
        for row in graph.rows.get(kind, {}).values():
            record = assemble(node, row, graph)
            record.pop("services", None)  # an organization's services come as records of their own
            yield Record(kind, record, row["_origin"])
