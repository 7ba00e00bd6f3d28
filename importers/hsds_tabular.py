"""Read an HSDS tabular data package (datapackage.json + one CSV per table).

The package may be a folder, a zip file, or the URL of a zip. Its CSV tables are
streamed into a scratch SQLite file, indexed on their link columns, and joined
back into the nested records the HSDS API serves, a batch of records at a time,
with the same plan-driven loader that serves the API (``schema.nesting``): memory
stays flat whatever the size of the package.

Records come out in publishing order: taxonomies, taxonomy terms, organizations,
services. Ids are the package's own; the harvest scopes them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from importers.base import KINDS, FeedError, SourceRecord
from schema.hsds import plan
from schema.nesting import assemble, load_graph
from schema.records import typed_row

BATCH = 500
MAX_VARIABLES = 30_000
csv.field_size_limit(64 * 1024 * 1024)


class BytesGetter(Protocol):
    def get_bytes(self, url: str, *, conditional: bool = True) -> Any: ...


class TabularFeed:
    """One read of an HSDS tabular package; ``complete`` once every table was read."""

    def __init__(self, location: str | Path, http: BytesGetter | None = None, known_fingerprint: str | None = None):
        self.location = str(location)
        self.http = http
        self.known_fingerprint = known_fingerprint
        self.complete = False
        self.not_modified = False
        self.fingerprint: str | None = None  # sha256 of the package's files, for "unchanged" checks

    def records(self) -> Iterator[SourceRecord]:
        with tempfile.TemporaryDirectory(prefix="waymark-tabular-") as scratch:
            folder = self._unpack(Path(scratch))
            self.fingerprint = _fingerprint(folder)
            if self.fingerprint == self.known_fingerprint:
                self.not_modified = True
                return
            connection = sqlite3.connect(Path(scratch) / "package.sqlite")
            try:
                tables = _load_tables(folder, connection)
                yield from _duplicates(connection, tables)
                for kind in KINDS:
                    if kind in tables:
                        yield from _records_of(kind, connection, tables)
            finally:
                connection.close()
        self.complete = True

    def _unpack(self, scratch: Path) -> Path:
        if self.location.startswith(("http://", "https://")):
            if self.http is None:
                raise FeedError(f"{self.location}: a URL needs an HTTP client")
            body = self.http.get_bytes(self.location, conditional=False)  # the fingerprint decides
            if not isinstance(body, bytes):
                raise FeedError(f"{self.location}: the server sent no body")
            archive = scratch / "package.zip"
            archive.write_bytes(body)
            return _extract(archive, scratch / "package")
        path = Path(self.location)
        if path.is_dir():
            return path
        if path.is_file() and zipfile.is_zipfile(path):
            return _extract(path, scratch / "package")
        raise FeedError(f"{path}: not a folder or zip file holding an HSDS tabular package")


def _extract(archive: Path, target: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(target)
    except zipfile.BadZipFile as exc:
        raise FeedError(f"{archive.name}: not a readable zip file ({exc})") from None
    descriptors = sorted(target.rglob("datapackage.json"), key=lambda p: len(p.parts))
    return descriptors[0].parent if descriptors else target


def _resources(folder: Path) -> list[dict[str, Any]]:
    descriptor = folder / "datapackage.json"
    if not descriptor.is_file():
        raise FeedError(f"{folder}: no datapackage.json")
    try:
        resources: list[dict[str, Any]] = json.loads(descriptor.read_text(encoding="utf-8-sig"))["resources"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise FeedError(f"{descriptor}: not a data package descriptor ({exc})") from None
    return resources


def _load_tables(folder: Path, connection: sqlite3.Connection) -> dict[str, list[str]]:
    """Stream each CSV of the package into a scratch table; return table -> columns."""
    tables: dict[str, list[str]] = {}
    for resource in _resources(folder):
        path = folder / str(resource.get("path", ""))
        if resource.get("name") and path.is_file():
            tables[resource["name"]] = _load_csv(path, resource["name"], connection)
    connection.commit()
    return tables


def _load_csv(path: Path, table: str, connection: sqlite3.Connection) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            if "id" not in header:
                raise FeedError(f"{path.name}: no id column (columns: {', '.join(header) or 'none'})")
            columns = ["_row", *header]
            quoted = ", ".join(f'"{c}"' for c in columns)
            connection.execute(f'CREATE TABLE "{table}" ({quoted})')
            insert = f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in columns)})'
            width = len(header)
            rows = ([n, *(row + [""] * width)[:width]] for n, row in enumerate(reader, start=2) if any(row))
            connection.executemany(insert, rows)
    except UnicodeDecodeError as exc:
        raise FeedError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise FeedError(f"{path.name}: unreadable CSV ({exc})") from None
    for column in header:
        if column == "id" or column.endswith("_id"):
            connection.execute(f'CREATE INDEX "ix_{table}_{column}" ON "{table}" ("{column}")')
    return header


def _fingerprint(folder: Path) -> str:
    """sha256 over the descriptor and every table file, in descriptor order."""
    digest = hashlib.sha256((folder / "datapackage.json").read_bytes() if (folder / "datapackage.json").is_file()
                            else b"")
    for resource in _resources(folder):
        path = folder / str(resource.get("path", ""))
        if path.is_file():
            digest.update(str(resource.get("path")).encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def _duplicates(connection: sqlite3.Connection, tables: dict[str, list[str]]) -> Iterator[SourceRecord]:
    """Rows with no id, or an id used twice in one table: quarantined, never dropped."""
    for table in tables:
        for row_number, in connection.execute(f'SELECT _row FROM "{table}" WHERE id = \'\''):
            yield SourceRecord(f"{table}.csv row {row_number}", "problem", {"table": table}, None,
                               f"{table} row {row_number}", [f"{table} row {row_number} has no id"], "read")
        query = (f'SELECT id, MIN(_row), GROUP_CONCAT(_row) FROM "{table}" '
                 "WHERE id != '' GROUP BY id HAVING COUNT(*) > 1")
        for ident, first, rows in connection.execute(query):
            for row_number in str(rows).split(",")[1:]:
                yield SourceRecord(f"{table}.csv row {row_number}", "problem", {"table": table, "id": ident}, None,
                                   f"{table} row {row_number}",
                                   [f"{table} id {ident} is used again in row {row_number} (first in row {first}); "
                                    "the first row was kept"], "read")


def _fetcher(connection: sqlite3.Connection, tables: dict[str, list[str]]) -> Any:
    def fetch(table: str, conditions: dict[str, set[Any]]) -> list[dict[str, Any]]:
        columns = tables.get(table)
        if not columns:
            return []
        usable = {c: sorted(v) for c, v in conditions.items() if c in columns and v}
        rows: dict[str, dict[str, Any]] = {}
        for column, values in usable.items():
            for start in range(0, len(values), MAX_VARIABLES):
                chunk = values[start:start + MAX_VARIABLES]
                query = (f'SELECT * FROM "{table}" WHERE "{column}" IN ({", ".join("?" for _ in chunk)}) '
                         "AND id != '' ORDER BY _row")
                for found in connection.execute(query, chunk):
                    row = _row(table, columns, found)
                    rows.setdefault(row["id"], row)
        return list(rows.values())
    return fetch


def _row(table: str, columns: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    cells = {c: v.strip() for c, v in zip(columns, values[1:], strict=True) if isinstance(v, str) and v.strip()}
    cells["_row"] = values[0]
    return typed_row(table, cells)


def _records_of(kind: str, connection: sqlite3.Connection, tables: dict[str, list[str]]) -> Iterator[SourceRecord]:
    node = plan(kind)
    fetch = _fetcher(connection, tables)
    cursor = connection.execute(f'SELECT id FROM "{kind}" WHERE id != \'\' GROUP BY id ORDER BY MIN(_row)')
    while batch := [ident for ident, in cursor.fetchmany(BATCH)]:
        graph = load_graph(kind, batch, fetch)
        for ident in batch:
            row = graph.rows[kind][ident]
            record = assemble(node, row, graph)
            record.pop("services", None)  # an organization's services come as records of their own
            raw = {k: v for k, v in row.items() if k != "_row"}
            external_id = ident if kind == "service" else f"{kind}:{ident}"
            yield SourceRecord(external_id, kind, raw, record, f"{kind} row {row['_row']}")
