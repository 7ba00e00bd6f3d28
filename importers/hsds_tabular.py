"""Read an HSDS tabular data package (datapackage.json + one CSV per table).

The package may be a folder, a zip file, or the URL of a zip. Its CSV tables are
streamed into a scratch SQLite file, indexed on their link columns, and joined
back into the nested records the HSDS API serves, a batch of records at a time,
with the same plan-driven loader that serves the API (``schema.nesting``): memory
stays flat whatever the size of the package. A large package is read by a worker
process, so that joining runs alongside the harvest writing what came before.

Records come out in publishing order: taxonomies, taxonomy terms, organizations,
services. Ids are the package's own; the harvest scopes them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

from importers.base import KINDS, FeedError, SourceRecord, read_in_worker, worker_main
from importers.identity import Preparation, prepared
from schema.hsds import Node, plan
from schema.nesting import Fetch, assemble, load_graph
from schema.records import number_fields, to_json_value

BATCH = 500
MAX_VARIABLES = 30_000
SCRATCH_CACHE_MB = 64
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
        self.prepare_for: Preparation | None = None  # records come prepared for a harvest (identity.prepared)

    def records(self) -> Iterator[SourceRecord]:
        with tempfile.TemporaryDirectory(prefix="waymark-tabular-") as scratch:
            folder = self._unpack(Path(scratch))
            self.fingerprint = _fingerprint(folder)
            if self.fingerprint == self.known_fingerprint:
                self.not_modified = True
                return
            database = Path(scratch) / "package.sqlite"
            preparing = self.prepare_for
            prepare_for = None if preparing is None else (preparing.source, preparing.known())
            if _package_bytes(folder) >= WORKER_MIN_BYTES:
                yield from _read_in_worker(folder, database, prepare_for)
            else:
                yield from _read(folder, database, prepare_for)
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


def _read(folder: Path, database: Path, prepare_for: tuple[str, dict[str, str]] | None = None
          ) -> Iterator[SourceRecord]:
    """Every record of the package in ``folder``, through a scratch database at ``database``,
    prepared (``identity.prepared``) for (source, known hashes) ``prepare_for`` if given."""
    connection = _scratch_database(database)
    try:
        tables = _load_tables(folder, connection)
        records = chain(_duplicates(connection, tables),
                        *(_records_of(kind, connection, tables) for kind in KINDS if kind in tables))
        if prepare_for is None:
            yield from records
        else:
            yield from prepared(records, *prepare_for)
    finally:
        connection.close()


# A package of ``WORKER_MIN_BYTES`` or more is read in a worker process (see
# ``importers.base.read_in_worker``): joining its tables is a quarter of a first harvest's
# time and all of a re-read's, and so are the content hashes and Waymark ids the harvest
# needs, made there too when the feed is told its source.

WORKER_MIN_BYTES = 8 * 1024 * 1024


def _package_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*.csv") if path.is_file())


def _read_in_worker(folder: Path, database: Path, prepare_for: tuple[str, dict[str, str]] | None = None
                    ) -> Iterator[SourceRecord]:
    yield from read_in_worker(__name__, (folder, database, prepare_for))


def _reader(request: tuple[Path, Path, tuple[str, dict[str, str]] | None]
            ) -> tuple[Iterator[SourceRecord], Callable[[], None]]:
    """The worker's reader: ``_read`` of (folder, database, prepare_for)."""
    return _read(*request), lambda: None


def _extract(archive: Path, target: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(target)
    except zipfile.BadZipFile as exc:
        raise FeedError(f"{archive.name}: not a readable zip file ({exc})") from None
    descriptors = sorted(target.rglob("datapackage.json"), key=lambda p: len(p.parts))
    return descriptors[0].parent if descriptors else target


def _scratch_database(path: Path) -> sqlite3.Connection:
    """The scratch database is thrown away with the read, so it needs no journal and no syncing
    to disk; a larger page cache keeps the link-column indexes the batches look up in memory."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute(f"PRAGMA cache_size = -{SCRATCH_CACHE_MB * 1024}")
    return connection


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
            rows = ([n, *row] if len(row) == width else [n, *(row + [""] * width)[:width]]
                    for n, row in enumerate(reader, start=2) if any(row))
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


def _fetcher(connection: sqlite3.Connection, tables: dict[str, list[str]], leave_out: frozenset[str]) -> Fetch:
    """``fetch`` for ``load_graph``: rows of a scratch table by link column, as HSDS values.

    Tables in ``leave_out`` give nothing: an organization's services come as records of
    their own, so joining them (and everything under them) into it would be wasted."""
    makers = {table: _row_maker(table, columns) for table, columns in tables.items()}

    def fetch(table: str, conditions: dict[str, set[Any]]) -> list[dict[str, Any]]:
        columns = tables.get(table)
        if not columns or table in leave_out:
            return []
        make = makers[table]
        usable = {c: sorted(v) for c, v in conditions.items() if c in columns and v}
        rows: dict[str, dict[str, Any]] = {}
        for column, values in usable.items():
            for start in range(0, len(values), MAX_VARIABLES):
                chunk = values[start:start + MAX_VARIABLES]
                query = (f'SELECT * FROM "{table}" WHERE "{column}" IN ({", ".join("?" for _ in chunk)}) '
                         "AND id != '' ORDER BY _row")
                for found in connection.execute(query, chunk):
                    row = make(found)
                    rows.setdefault(row["id"], row)
        return list(rows.values())
    return fetch


def _row_maker(table: str, columns: list[str]) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """A scratch row (``_row``, then the CSV's cells, all text) as a dict of its non-blank cells,
    stripped, numeric fields as numbers where they parse: ``typed_row`` in one pass, since it
    runs for every row fetched."""
    numbers = tuple(c for c in columns if c in number_fields(table))

    def make(values: tuple[Any, ...]) -> dict[str, Any]:
        cells = {c: text for c, v in zip(columns, values[1:], strict=True) if (text := v.strip())}
        for name in numbers:
            if name in cells:
                with contextlib.suppress(ValueError):
                    cells[name] = to_json_value(float(cells[name]))
        cells["_row"] = values[0]
        return cells
    return make


def _pruned(node: Node, tables: dict[str, list[str]]) -> Node:
    """``node`` with only the branches for tables in ``tables``, and only their fields that are columns.

    What is left out can only come out empty, but ``assemble`` would look for it in every
    object: a full service plan has some 400 nodes of about 20 fields, a package ten tables."""
    columns = set(tables.get(node.table, ()))
    children = tuple((prop, _pruned(child, tables), many, link) for prop, child, many, link in node.children
                     if child.table in tables)
    return Node(node.table, tuple(f for f in node.fields if f in columns), children)


def _records_of(kind: str, connection: sqlite3.Connection, tables: dict[str, list[str]]) -> Iterator[SourceRecord]:
    leave_out = frozenset() if kind == "service" else frozenset({"service"})
    node = _pruned(plan(kind), {t: c for t, c in tables.items() if t not in leave_out})
    fetch = _fetcher(connection, tables, leave_out)
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


if __name__ == "__main__":  # the worker process of _read_in_worker
    worker_main(_reader)
