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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from app.models import Base
from app.services.compile import table_of
from schema.hsds import POLYMORPHIC_LINK, Node, plan
from schema.records import RowError, load_row

Row = dict[str, Any]
POLYMORPHIC_TYPE = {"attribute": "link_entity", "metadata": "resource_type"}
# Records in their own right: a parent that leaves them out does not disown them.
INDEPENDENT = {"service", "location"}


class RecordError(ValueError):
    """A record that cannot be published, with the path of the bad value."""

    def __init__(self, record_id: str | None, problems: dict[str, list[str]]):
        self.record_id = record_id
        self.problems = problems
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in sorted(problems.items()))
        super().__init__(f"record {record_id or '(no id)'}: {detail}")


@dataclass
class Flattened:
    """Rows per table, merged by id, and the child sets each parent now owns."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: defaultdict(dict))
    problems: dict[str, list[str]] = field(default_factory=dict)  # path -> messages
    # (child table, link column, parent table) -> {parent id: {child ids}}
    owned: dict[tuple[str, str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))

    def merge(self, table: str, row: Row) -> None:
        existing = self.rows[table].get(row["id"])
        if existing is None:
            self.rows[table][row["id"]] = row
        else:
            existing.update({k: v for k, v in row.items() if v is not None})


def flatten(node: Node, record: dict[str, Any], out: Flattened, path: str = "",
            parent: tuple[str, str, str] | None = None, owner: bool = True) -> str:
    """Validate one nested record and add its rows to ``out``; return its id.

    An ``owner`` record (the root and what hangs off it) is complete: an array it leaves
    out is empty. A shared record it refers to (its organization, a location, a taxonomy
    term) may be partial: only the arrays it lists replace the stored ones.
    """
    try:
        row = load_row(node.table, record)
    except RowError as exc:
        out.problems.update({f"{path}{k}": v for k, v in exc.problems.items()})
        row = {"id": str(record.get("id"))}
    if parent is not None:
        parent_table, parent_id, column = parent
        row[column] = parent_id
        if node.table in POLYMORPHIC_TYPE and not row.get(POLYMORPHIC_TYPE[node.table]):
            row[POLYMORPHIC_TYPE[node.table]] = parent_table
        out.owned[(node.table, column, parent_table)][parent_id].add(row["id"])
    for prop, child, many, link in node.children:
        value = record.get(prop)
        if many and (prop in record or (owner and child.table not in INDEPENDENT)):
            out.owned[(child.table, link.column, node.table)].setdefault(row["id"], set())
        if value in (None, [], {}):
            continue
        if many:
            if not isinstance(value, list):
                out.problems[f"{path}{prop}"] = ["Must be an array."]
                continue
            for i, item in enumerate(value):
                if _is_object(item, out, f"{path}{prop}[{i}]"):
                    flatten(child, item, out, f"{path}{prop}[{i}].", (node.table, row["id"], link.column), owner)
        elif _is_object(value, out, f"{path}{prop}"):
            row[link.column] = flatten(child, value, out, f"{path}{prop}.", owner=False)
    out.merge(node.table, row)
    return str(row["id"])


def _is_object(value: Any, out: Flattened, path: str) -> bool:
    if not isinstance(value, dict):
        out.problems[path] = ["Must be an object."]
        return False
    return True


@dataclass
class PublishResult:
    inserted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detached: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def publish(session: Session, kind: str, records: Iterable[dict[str, Any]],
            now: datetime.datetime | None = None) -> PublishResult:
    """Validate and upsert nested records of one kind (``service``, ``organization``,
    ``taxonomy``, ``taxonomy_term``). Raises RecordError before writing anything if any
    record is invalid; callers that must go on past bad records publish one at a time."""
    node = plan(kind)
    out = Flattened()
    stamp = now or datetime.datetime.now(datetime.UTC)
    for record in records:
        if not isinstance(record, dict):
            raise RecordError(None, {"(record)": ["A record must be a JSON object."]})
        flatten(node, record, out)
        if out.problems:
            raise RecordError(str(record.get("id") or "") or None, out.problems)
    if kind == "service":
        for row in out.rows["service"].values():
            row.setdefault("last_modified", None)
            row["last_modified"] = row["last_modified"] or stamp
    result = PublishResult()
    existed: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        rows = out.rows.get(table.name)
        if rows:
            existed[table.name] = _upsert(session, table, list(rows.values()), result)
    for (child, column, parent_table), parents in out.owned.items():
        known = existed.get(parent_table, set())  # a parent new to the database has no old children
        stale_candidates = {p: kids for p, kids in parents.items() if p in known}
        if stale_candidates:
            _detach_stale(session, table_of(child), column, stale_candidates, result)
    session.flush()
    return result


def _upsert(session: Session, table: Table, rows: list[Row], result: PublishResult) -> set[str]:
    """Insert new rows, update existing ones; returns the ids that already existed."""
    ids = [r["id"] for r in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        existing.update(session.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
    new = [r for r in rows if r["id"] not in existing]
    connection = session.connection()
    if new:
        columns = [c.name for c in table.columns]
        connection.execute(insert(table), [{c: r.get(c) for c in columns} for r in new])
        result.inserted[table.name] += len(new)
    by_keys: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for r in rows:
        if r["id"] in existing:
            by_keys[tuple(sorted(k for k in r if k != "id"))].append(r)
    for keys, group in by_keys.items():
        if not keys:
            continue
        stmt = (update(table).where(table.c.id == bindparam("_id"))
                .values({k: bindparam(k) for k in keys}))
        connection.execute(stmt, [{"_id": r["id"], **{k: r[k] for k in keys}} for r in group])
        result.updated[table.name] += len(group)
    return existing


def _detach_stale(session: Session, table: Table, column: str, parents: dict[str, set[str]],
                  result: PublishResult) -> None:
    """Children that a parent no longer lists lose their link to it; orphans are removed."""
    link = table.c[column]
    stale: list[str] = []
    parent_ids = sorted(parents)
    for start in range(0, len(parent_ids), 5000):
        chunk = parent_ids[start:start + 5000]
        for child_id, parent_id in session.execute(select(table.c.id, link).where(link.in_(chunk))):
            if child_id not in parents[parent_id]:
                stale.append(child_id)
    if not stale:
        return
    result.detached[table.name] += len(stale)
    if column in POLYMORPHIC_LINK.values() or not link.nullable:
        session.execute(delete(table).where(table.c.id.in_(stale)))
        return
    session.execute(update(table).where(table.c.id.in_(stale)).values({column: None}))
    links = [c for c in table.columns if c.foreign_keys]
    session.execute(delete(table).where(table.c.id.in_(stale), and_(*[c.is_(None) for c in links])))


def unpublish(session: Session, kind: str, ids: list[str]) -> int:
    """Stop serving records: delete them and the children they own (shared records stay)."""
    if not ids:
        return 0
    node = plan(kind)
    _delete_owned(session, node, ids)
    table = table_of(node.table)
    deleted = session.execute(delete(table).where(table.c.id.in_(ids))).rowcount  # type: ignore[attr-defined]
    session.flush()
    return int(deleted)


def _delete_owned(session: Session, node: Node, ids: list[str]) -> None:
    for _prop, child, many, link in node.children:
        if not many or child.table in INDEPENDENT:
            continue
        table = table_of(child.table)
        child_ids = list(session.execute(select(table.c.id).where(table.c[link.column].in_(ids))).scalars())
        if child_ids:
            _delete_owned(session, child, child_ids)
            session.execute(delete(table).where(table.c.id.in_(child_ids)))
