"""Validate nested HSDS records and flatten them into table rows: the database-free half of
publishing (``app.services.publish`` writes the rows).

Pure, so that a feed's reader process (``importers.identity.prepared``) flattens each record
it reads on the other core, and the harvest only merges the records' rows (``Flattened.absorb``)
and writes them. A ``Flattened`` is plain data (dicts, sets, tuples of names): it pickles.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from schema.hsds import Node, plan
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


OwnedKey = tuple[str, str, str]  # (child table, link column, parent table)
ClaimKey = tuple[str, tuple[OwnedKey, ...]]  # a plan step's (table, arrays an owner object of it owns)


@dataclass
class Flattened:
    """Rows per table, merged by id, and the child sets each parent now owns.

    A parent owns an array entirely when it lists it, and an owner object (see ``flatten``)
    owns all its arrays except those of independent records, listed or not: ``claims``
    holds those by plan step, rather than an empty set per array per object, which is most
    of them; ``owned`` the children each parent lists, and the arrays a shared record lists."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: defaultdict(dict))
    problems: dict[str, list[str]] = field(default_factory=dict)  # path -> messages
    owned: dict[OwnedKey, dict[str, set[str]]] = field(default_factory=dict)  # -> {parent id: {child ids}}
    claims: dict[ClaimKey, list[str]] = field(default_factory=dict)  # -> ids of owner objects of that step
    # table -> ids of rows reached through a reference (and below): rows other records share
    shared: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def merge(self, table: str, row: Row) -> None:
        rows = self.rows[table]
        existing = rows.get(row["id"])
        if existing is None:
            rows[row["id"]] = row
        else:
            _fill(existing, row)

    def absorb(self, other: Flattened) -> None:
        """Add the rows of ``other`` (records flattened on their own, after this one's) as if they
        had been flattened into this one: rows merged by id in the same order, owned children
        and claims joined. ``other``'s rows become this one's; do not use it afterwards."""
        for table, rows in other.rows.items():
            _join(self.rows[table], rows, _fill)
        self.problems.update(other.problems)
        for key, parents in other.owned.items():
            _join(self.owned.setdefault(key, {}), parents, set.update)
        for claim, ids in other.claims.items():
            self.claims.setdefault(claim, []).extend(ids)
        for table, shared in other.shared.items():
            self.shared[table] |= shared

    def owners(self, existing: dict[str, set[str]]) -> dict[OwnedKey, dict[str, set[str]]]:
        """The arrays owned by parents in ``existing`` (table -> ids), the only ones that can
        have children to detach: {(child table, link column, parent table): {parent id: {child ids}}}."""
        found: dict[OwnedKey, dict[str, set[str]]] = defaultdict(dict)
        for (table, claimed), parent_ids in self.claims.items():
            known = existing.get(table)
            if known:
                for parent_id in parent_ids:
                    if parent_id in known:
                        for key in claimed:
                            found[key][parent_id] = self.owned.get(key, {}).get(parent_id, set())
        for key, parents in self.owned.items():
            known = existing.get(key[2])
            if known:
                found[key].update((p, kids) for p, kids in parents.items() if p in known)
        return found


def _fill(existing: Row, row: Row) -> None:
    """``existing`` with the values ``row`` gives (a None gives nothing)."""
    existing.update({k: v for k, v in row.items() if v is not None})


def _join(mine: dict[str, Any], theirs: dict[str, Any], combine: Callable[[Any, Any], Any]) -> None:
    """Add ``theirs`` to ``mine`` by key, taking ``theirs``' values over; where both have a key,
    ``combine(mine's value, theirs)``. Mostly the keys are disjoint (a record's own rows): one update."""
    if mine.keys().isdisjoint(theirs):
        mine.update(theirs)
        return
    for key, value in theirs.items():
        known = mine.get(key)
        if known is None:
            mine[key] = value
        else:
            combine(known, value)


def flatten(node: Node, record: dict[str, Any], out: Flattened, path: str = "",
            parent: tuple[str, str, str] | None = None, owner: bool = True) -> str:
    """Validate one nested record and add its rows to ``out``; return its id.

    An ``owner`` record (the root and what hangs off it) is complete: an array it leaves
    out is empty. A shared record it refers to (its organization, a location, a taxonomy
    term) may be partial: only the arrays it lists replace the stored ones.
    """
    link = None
    if parent is not None:
        parent_table, parent_id, column = parent
        link = ((node.table, column, parent_table), parent_id)
    return _flatten(_step(node), record, out, (path,) if path else None, link, owner)


@dataclass(frozen=True, eq=False)
class _Edge:
    """A property of a plan node holding a child (array) or a reference (object)."""

    prop: str
    step: _Step
    many: bool
    column: str  # child -> parent link column (arrays), parent -> child reference column (objects)
    owned_key: tuple[str, str, str]  # (child table, link column, parent table)
    claimed: bool  # an array an owner record claims even when it leaves it out


@dataclass(frozen=True, eq=False)
class _Step:
    """A plan node prepared for ``_flatten``, which runs for every object of every record
    published: its edges and the keys of ``Flattened.owned`` made once, not per object."""

    table: str
    type_column: str | None  # a polymorphic table's column naming its parent's table
    edges: tuple[_Edge, ...]
    claimed: tuple[OwnedKey, ...]  # the arrays an owner object owns whether it lists them or not
    claim_key: ClaimKey  # (table, claimed): ``Flattened.claims``' key, plain data that pickles


_STEPS: dict[int, tuple[Node, _Step]] = {}  # by id(node): hashing a Node hashes its whole tree


def _step(node: Node) -> _Step:
    """The step for ``node``, made once (plans are cached by ``schema.hsds.plan``, so are these)."""
    known = _STEPS.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    if len(_STEPS) > 10_000:  # nodes made on the fly rather than by plan(): do not keep them all
        _STEPS.clear()
    edges = tuple(_Edge(prop, _step(child), many, link.column, (child.table, link.column, node.table),
                        many and child.table not in INDEPENDENT)
                  for prop, child, many, link in node.children)
    claimed = tuple(edge.owned_key for edge in edges if edge.claimed)
    step = _Step(node.table, POLYMORPHIC_TYPE.get(node.table), edges, claimed, (node.table, claimed))
    _STEPS[id(node)] = (node, step)
    return step


# A path into a record, made into text only when a problem is reported: None (the root),
# (a caller's prefix,), or (the path of the enclosing object, property[, index]).
_Path = tuple[Any, ...] | None


def _text(path: _Path, tail: str = "") -> str:
    parts = [tail]
    while path is not None:
        if len(path) == 1:
            parts.append(path[0])
            break
        if len(path) == 3:
            parts.append(f"{path[1]}[{path[2]}].")
        else:
            parts.append(f"{path[1]}.")
        path = path[0]
    return "".join(reversed(parts))


def _flatten(step: _Step, record: dict[str, Any], out: Flattened, path: _Path,
             link: tuple[OwnedKey, str] | None, owner: bool) -> str:
    """``flatten`` for a prepared step; ``link`` is (the parent's owned key, the parent's id)."""
    try:
        row = load_row(step.table, record)
    except RowError as exc:
        prefix = _text(path)
        out.problems.update({f"{prefix}{k}": v for k, v in exc.problems.items()})
        row = {"id": str(record.get("id"))}
    row_id = row["id"]
    if link is not None:
        key, parent_id = link
        row[key[1]] = parent_id
        if step.type_column is not None and not row.get(step.type_column):
            row[step.type_column] = key[2]
        owned = out.owned.get(key)
        if owned is None:
            owned = out.owned[key] = {}
        children = owned.get(parent_id)
        if children is None:
            owned[parent_id] = {row_id}
        else:
            children.add(row_id)
    if owner and step.claimed:
        claims = out.claims.get(step.claim_key)
        if claims is None:
            out.claims[step.claim_key] = [row_id]
        else:
            claims.append(row_id)
    for edge in step.edges:
        prop = edge.prop
        value = record.get(prop)
        if edge.many and not (edge.claimed and owner) and prop in record:
            out.owned.setdefault(edge.owned_key, {}).setdefault(row_id, set())
        if value in (None, [], {}):
            continue
        if edge.many:
            if not isinstance(value, list):
                out.problems[_text(path, prop)] = ["Must be an array."]
                continue
            child_link = (edge.owned_key, row_id)
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _flatten(edge.step, item, out, (path, prop, i), child_link, owner)
                else:
                    out.problems[_text(path, f"{prop}[{i}]")] = ["Must be an object."]
        elif isinstance(value, dict):
            row[edge.column] = _flatten(edge.step, value, out, (path, prop), None, False)
        else:
            out.problems[_text(path, prop)] = ["Must be an object."]
    out.merge(step.table, row)
    if not owner:
        out.shared[step.table].add(row_id)
    return str(row_id)


def flatten_record(kind: str, record: Any) -> Flattened:
    """One nested record of ``kind`` validated and flattened on its own; its ``problems`` say
    what is wrong with it (then its rows are incomplete and must not be written)."""
    out = Flattened()
    if not isinstance(record, dict):
        out.problems["(record)"] = ["A record must be a JSON object."]
        return out
    flatten(plan(kind), record, out)
    return out


def record_error(record: Any, flattened: Flattened) -> RecordError:
    """The error of a record ``flatten_record`` found problems in."""
    record_id = str(record.get("id") or "") or None if isinstance(record, dict) else None
    return RecordError(record_id, flattened.problems)


def stamp(kind: str, out: Flattened, now: datetime.datetime | None = None) -> Flattened:
    """Services without ``last_modified`` get ``now`` (the current time if None)."""
    if kind == "service":
        moment = now or datetime.datetime.now(datetime.UTC)
        for row in out.rows["service"].values():
            row.setdefault("last_modified", None)
            row["last_modified"] = row["last_modified"] or moment
    return out


def prepare(kind: str, records: Iterable[Any], now: datetime.datetime | None = None) -> Flattened:
    """Validate nested records of one kind and flatten them into rows (services stamped
    ``last_modified`` = ``now`` when they bring none). Raises RecordError at the first invalid
    record."""
    out = Flattened()
    for record in records:
        one = flatten_record(kind, record)
        if one.problems:
            raise record_error(record, one)
        out.absorb(one)
    return stamp(kind, out, now)
