"""Write nested HSDS records into the golden tables.

``publish(session, "service", records)`` takes compiled HSDS services (the shape of
``GET /services/{id}``: organization, service_at_locations with locations, phones,
schedules, attributes with taxonomy terms ...), validates every level with the row
schemas generated from the spec, and upserts each row by id. A record replaces its
own children: a phone that is no longer listed under a service is detached from it
(and removed once nothing refers to it). Shared rows (an organization, a location, a
taxonomy term) are merged: a field a record leaves out is kept, not blanked.

This is the single write path for golden records: the demo loader, the importers and
the conformance tests all go through it.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Dialect,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Base
from app.search import changes
from app.search.published import PublishedRows
from app.services.compile import table_of
from schema.flatten import INDEPENDENT, Flattened, prepare
from schema.flatten import RecordError as RecordError  # (the error of publish, for its callers)
from schema.flatten import flatten as flatten  # (scripts flatten records with it)
from schema.hsds import POLYMORPHIC_LINK, Node, plan

Row = dict[str, Any]


@dataclass
class PublishResult:
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detached: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Written:
    """What one transaction (a harvest) last wrote to each shared row, so as not to write it again.

    A shared row (an organization, a location and its address, a taxonomy term) comes again
    inside every record that refers to it, and each batch would check that it exists and
    UPDATE it to the values it already has. Publishing with a ``Written`` remembers, per
    shared row, a digest of the values it last wrote: a row it wrote exists, and writing the
    same values again changes nothing. That holds while nothing else writes those rows, so
    the memory is dropped whenever publishing detaches or deletes rows (a delete may cascade)
    and must not outlive the transaction. It keeps 64-bit digests (Python's hash of the
    row's items), at most ``limit`` of them: two different writes of one row colliding is
    a chance of about one in 10^19 per comparison."""

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self._digests: dict[str, dict[str, int | None]] = defaultdict(dict)
        self._count = 0

    def of(self, table: str) -> dict[str, int | None]:
        return self._digests.get(table, {})

    def remember(self, table: str, rows: Iterable[Row]) -> None:
        known = self._digests[table]
        before = len(known)
        known.update((r["id"], _digest(r)) for r in rows)
        self._count += len(known) - before
        if self._count > self.limit:
            self.forget()

    def forget(self) -> None:
        self._digests.clear()
        self._count = 0


def _digest(row: Row) -> int | None:
    try:
        return hash(tuple(sorted(row.items())))
    except TypeError:  # an unhashable value: never taken as unchanged
        return None


def publish(session: Session, kind: str, records: Iterable[dict[str, Any]],
            now: datetime.datetime | None = None, written: Written | None = None) -> PublishResult:
    """Validate and upsert nested records of one kind (``service``, ``organization``,
    ``taxonomy``, ``taxonomy_term``). Raises RecordError before writing anything if any
    record is invalid; callers that must go on past bad records publish one at a time.
    ``written`` carries what earlier calls in the same transaction wrote (see ``Written``)."""
    return write_prepared(session, prepare(kind, records, now), written)


def write_prepared(session: Session, out: Flattened, written: Written | None = None) -> PublishResult:
    """The writing half of ``publish``: check references, upsert ``prepare``'s rows and detach
    children their parents no longer list. Raises RecordError (nothing written) for a
    reference to a row that neither the batch nor the database has."""
    _check_references(session, out)
    result = PublishResult()
    existed: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        rows = out.rows.get(table.name)
        if rows:
            existed[table.name] = _upsert(session, table, list(rows.values()), result, written)
            changes.note(session, table.name, rows)
            if written is not None and table.name in out.shared:
                shared = out.shared[table.name]
                written.remember(table.name, (r for r in rows.values() if r["id"] in shared))
    # a parent new to the database has no old children
    for (child, column, _parent_table), parents in out.owners(existed).items():
        if _detach_stale(session, table_of(child), column, parents, result) and written is not None:
            written.forget()
    session.flush()
    changes.settle(session, PublishedRows(out, existed))
    return result


def _check_references(session: Session, out: Flattened) -> None:
    """A record may refer only to rows it brings itself or that already exist: a broken
    reference is a RecordError the harvest can quarantine, never an integrity error that
    would abort it half-way. Costs a query only for references the batch does not satisfy."""
    problems: dict[str, list[str]] = {}
    for table_name, rows in out.rows.items():
        for column in table_of(table_name).columns:
            for key in column.foreign_keys:
                target = key.column.table.name
                wanted = {r[column.name] for r in rows.values() if r.get(column.name)}
                wanted -= out.rows.get(target, {}).keys()
                if not wanted:
                    continue
                found = set(session.execute(select(key.column).where(key.column.in_(sorted(wanted)))).scalars())
                missing = sorted(wanted - found)
                if missing:
                    problems[f"{table_name}.{column.name}"] = [
                        f"refers to {target} {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}, "
                        "which does not exist"]
    if problems:
        raise RecordError(None, problems)


def _upsert(session: Session, table: Table, rows: list[Row], result: PublishResult,
            written: Written | None = None) -> set[str]:
    """Insert new rows, update existing ones; returns the ids that already existed.
    Rows ``written`` knows exist, and are left alone when they bring the same values again."""
    connection = session.connection()
    known = written.of(table.name) if written is not None else {}
    existing = existing_ids(connection, table, [r["id"] for r in rows if r["id"] not in known])
    existing.update(r["id"] for r in rows if r["id"] in known)
    new = [r for r in rows if r["id"] not in existing]
    if new:
        insert_rows(connection, table, tuple(c.name for c in table.columns), new)
        result.inserted[table.name] += len(new)
    by_keys: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for r in rows:
        if r["id"] not in existing:
            continue
        last = known.get(r["id"])
        if last is not None and last == _digest(r):
            result.updated[table.name] += 1  # as it stands: an UPDATE would change nothing
            continue
        by_keys[tuple(sorted(k for k in r if k != "id"))].append(r)
    for keys, group in by_keys.items():
        if not keys:
            continue
        update_rows(connection, table, keys, group)
        result.updated[table.name] += len(group)
    return existing


# Bulk writes through the driver.
#
# Publishing writes about ten rows in a dozen tables for every record harvested. Through
# ``connection.execute(insert(table), dicts)`` SQLAlchemy compiles the statement, then
# builds and type-processes every parameter set in Python, which cost more than the
# database's own work. These statements differ only in their rows, so each is compiled
# once per table and dialect (keeping SQLAlchemy's SQL, casts included) and run with
# ``exec_driver_sql``; values go through the same bind conversions SQLAlchemy would apply
# (dates as text on SQLite, JSON documents ...). Like ``_reader`` in app/services/compile.py.

IN_CHUNK = 5000
_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class DriverStatement:
    """SQL for the driver with positional placeholders, and for each placeholder the row key
    it takes and the bind conversion of its column (None when the value goes as it is)."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def parameters(self, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        """Each row's values in placeholder order, converted. A value that is the very object
        the row before had in that place is not converted again (a harvest stamps every row
        with the same datetime)."""
        keys = self.keys
        converted = [(i, convert) for i, convert in enumerate(self.processors) if convert is not None]
        if not converted:
            return [tuple(map(row.get, keys)) for row in rows]
        last: list[Any] = [_UNSET] * len(self.processors)
        done: list[Any] = [None] * len(self.processors)
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(map(row.get, keys))
            for i, convert in converted:
                value = values[i]
                if value is not last[i]:
                    last[i] = value
                    done[i] = convert(value)
                values[i] = done[i]
            out.append(tuple(values))
        return out


_UNSET = object()


def driver_statement(statement: Any, dialect: Dialect, columns: dict[str, Any]) -> DriverStatement:
    """Compile ``statement`` once for ``dialect``; ``columns`` maps each bind name to its column."""
    compiled = statement.compile(dialect=dialect)
    if compiled.positiontup is not None:  # qmark (SQLite)
        sql, names = compiled.string, list(compiled.positiontup)
    else:  # pyformat (psycopg): %(name)s -> %s, in order
        names = []

        def positional(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return "%s"

        sql = _NAMED_PARAMETER.sub(positional, compiled.string)
    processors = tuple(columns[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    return DriverStatement(sql, tuple(names), processors)


@lru_cache(maxsize=512)
def _insert_statement(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> DriverStatement:
    return driver_statement(insert(table).values({k: bindparam(k) for k in keys}), dialect,
                             {k: table.c[k] for k in keys})


@lru_cache(maxsize=2048)
def _update_statement(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> DriverStatement:
    statement = update(table).where(table.c.id == bindparam("_id")).values({k: bindparam(k) for k in keys})
    compiled = driver_statement(statement, dialect, {"_id": table.c.id, **{k: table.c[k] for k in keys}})
    return DriverStatement(compiled.sql, tuple("id" if k == "_id" else k for k in compiled.keys),
                           compiled.processors)


def insert_rows(connection: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Row]) -> None:
    """INSERT ``rows`` (dicts; a key they lack is NULL) into the columns ``keys`` of ``table``, in one
    executemany (SQLite) or one COPY (PostgreSQL: ``_copy_rows``)."""
    if not rows:
        return
    statement = _insert_statement(table, connection.dialect, keys)
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, statement, rows)
    else:
        connection.exec_driver_sql(statement.sql, statement.parameters(rows))  # type: ignore[arg-type]


def _copy_rows(connection: Connection, table: Table, statement: DriverStatement, rows: Sequence[Row]) -> None:
    """``COPY table (columns) FROM STDIN`` on the connection's own psycopg connection, in its transaction.

    An executemany of INSERTs is one bind, execute and reply per row, even pipelined: a third of
    a harvest's time on PostgreSQL. COPY streams the rows as one statement; the values are the
    ones the INSERT would bind (the same conversions), and a failure is raised as SQLAlchemy
    would raise it (an ``IntegrityError`` for a broken reference ...)."""
    quote = connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(key) for key in statement.keys)}) FROM STDIN"
    driver = connection.connection.driver_connection
    dbapi = connection.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for values in statement.parameters(rows):
                copy.write_row(values)
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=connection.dialect) from exc


def update_rows(connection: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[Row]) -> None:
    """UPDATE the columns ``keys`` of the rows of ``table`` whose ids ``rows`` give, in one executemany."""
    if rows:
        statement = _update_statement(table, connection.dialect, keys)
        connection.exec_driver_sql(statement.sql, statement.parameters(rows))  # type: ignore[arg-type]


def existing_ids(connection: Connection, table: Table, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are in ``table`` already."""
    found: set[str] = set()
    quote = connection.dialect.identifier_preparer.quote
    postgres = connection.dialect.name == "postgresql"
    for start in range(0, len(ids), IN_CHUNK):
        chunk = tuple(ids[start:start + IN_CHUNK])
        if postgres:  # one statement text whatever the count (see ``among``)
            rows = connection.exec_driver_sql(f"SELECT id FROM {quote(table.name)} WHERE id = ANY(%s)", (list(chunk),))
        else:
            rows = connection.exec_driver_sql(
                f"SELECT id FROM {quote(table.name)} WHERE id IN ({', '.join(['?'] * len(chunk))})", chunk)
        found.update(ident for ident, in rows)
    return found


def among(column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Iterable[Any],
          dialect: Dialect) -> ColumnElement[bool]:
    """``column IN (values)`` with the values in one parameter: ``column = ANY(:array)`` on
    PostgreSQL, ``column IN (SELECT value FROM json_each(:json))`` on SQLite.

    An IN list is one placeholder per value, so each batch's statement has a text of its own:
    SQLAlchemy renders it again (expanding the list: a tenth of indexing a harvest's services),
    and psycopg parses and converts it again, uncached. One parameter keeps the text the same
    every time. Values are strings (ids)."""
    values = list(values)
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(values), type_=String))
    return column.in_(select(literal_column("value")).select_from(listed))


def _detach_stale(session: Session, table: Table, column: str, parents: dict[str, set[str]],
                  result: PublishResult) -> bool:
    """Children that a parent no longer lists lose their link to it; orphans are removed.
    Returns whether any row changed."""
    link = table.c[column]
    stale: list[str] = []
    parent_ids = sorted(parents)
    for start in range(0, len(parent_ids), 5000):
        chunk = parent_ids[start:start + 5000]
        for child_id, parent_id in session.execute(select(table.c.id, link).where(link.in_(chunk))):
            if child_id not in parents[parent_id]:
                stale.append(child_id)
    if not stale:
        return False
    result.detached[table.name] += len(stale)
    changes.note(session, table.name, stale)
    if column in POLYMORPHIC_LINK.values() or not link.nullable:
        session.execute(delete(table).where(table.c.id.in_(stale)))
        return True
    session.execute(update(table).where(table.c.id.in_(stale)).values({column: None}))
    links = [c for c in table.columns if c.foreign_keys]
    session.execute(delete(table).where(table.c.id.in_(stale), and_(*[c.is_(None) for c in links])))
    return True


def unpublish(session: Session, kind: str, ids: list[str], node: Node | None = None) -> int:
    """Stop serving records: delete them and the children they own (shared records stay).

    ``node`` is the plan of ``kind`` as nested elsewhere, for a table with no plan of its own (a location is
    planned as part of a service)."""
    if not ids:
        return 0
    node = node or plan(kind)
    _delete_owned(session, node, ids)
    table = table_of(node.table)
    changes.note(session, node.table, ids)
    deleted = session.execute(delete(table).where(table.c.id.in_(ids))).rowcount  # type: ignore[attr-defined]
    session.flush()
    changes.settle(session)
    return int(deleted)


def _delete_owned(session: Session, node: Node, ids: list[str]) -> None:
    for _prop, child, many, link in node.children:
        if not many or child.table in INDEPENDENT:
            continue
        table = table_of(child.table)
        child_ids = list(session.execute(select(table.c.id).where(table.c[link.column].in_(ids))).scalars())
        if child_ids:
            changes.note(session, child.table, child_ids)
            _delete_owned(session, child, child_ids)
            session.execute(delete(table).where(table.c.id.in_(child_ids)))
