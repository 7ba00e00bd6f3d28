"""Stable Waymark ids for records that arrive with their sources' ids.

Every id in a harvested record is replaced by ``uuid5(source namespace, table:id)``,
so the same source record always gets the same Waymark id, two sources can never
collide, and references inside the record (``organization_id``, ``location_id``,
attribute ``link_id`` ...) stay consistent. Taxonomies and taxonomy terms are
shared vocabularies: their ids are scoped globally, not per source, so two feeds
using the same term meet on the same id.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from importers.base import KINDS, SourceRecord, content_hash
from schema.flatten import flatten_record
from schema.hsds import Node, plan

WAYMARK_NAMESPACE = uuid.UUID("6f0d6b8e-4e0c-5d6a-9a43-7a1f2b3c4d5e")
_NAMESPACE_BYTES = WAYMARK_NAMESPACE.bytes
SHARED_TABLES = {"taxonomy", "taxonomy_term"}

# Reference fields whose target table is not given by their name.
REFERENCES = {
    "parent_organization_id": "organization",
    "parent_id": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
}
POLYMORPHIC = {"link_id": "link_entity", "resource_id": "resource_type"}


def waymark_id(source: str, table: str, source_id: Any) -> str:
    """``uuid5(WAYMARK_NAMESPACE, scope:table:id)``, computed directly (it runs for every id harvested)."""
    scope = "shared" if table in SHARED_TABLES else f"source:{source}"
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{scope}:{table}:{source_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class _Remembered:
    """Waymark ids computed lately, by source, table and source id, up to ``LIMIT`` of them.

    A record names the same ids several times (a service's id again in the ``service_id``
    of each of its phones), and its organization and terms are shared with other records:
    a dictionary look-up is far cheaper than hashing again."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self.ids: dict[str, dict[str, dict[str, str]]] = {}  # source -> table -> source id -> Waymark id
        self.count = 0

    def of(self, source: str) -> dict[str, dict[str, str]]:
        tables = self.ids.get(source)
        if tables is None:
            tables = self.ids[source] = defaultdict(dict)
        return tables

    def make(self, tables: dict[str, dict[str, str]], source: str, table: str, source_id: Any) -> str:
        made = waymark_id(source, table, source_id)
        if type(source_id) is str:
            if self.count >= self.LIMIT:
                for known in self.ids.values():
                    known.clear()
                self.count = 0
            tables[table][source_id] = made
            self.count += 1
        return made


_REMEMBERED = _Remembered()


def _target(field: str, row: dict[str, Any]) -> str | None:
    if field in POLYMORPHIC:
        entity = row.get(POLYMORPHIC[field])
        return str(entity) if entity else None
    if field in REFERENCES:
        return REFERENCES[field]
    return field.removesuffix("_id") if field.endswith("_id") else None


def scope_ids(source: str, kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a nested record of ``kind`` with every id and reference scoped to ``source``."""
    return _scoper(kind).scope(_Scoping(source, _REMEMBERED.of(source)), record, None)


@dataclass(frozen=True)
class Preparation:
    """What a feed needs to prepare its records for a harvest of ``source`` (see ``prepared``):
    ``known()`` gives external id -> content hash of the records the harvest has staged and not
    withdrawn; a feed calls it only once it really reads (not when its fingerprint says unchanged)."""

    source: str
    known: Callable[[], dict[str, str]] = dict


def prepare(item: SourceRecord, source: str, digest: str | None = None) -> SourceRecord:
    """``item`` with its content hash made (unless given), its ids scoped to ``source`` and, unless
    it has problems already, validated and flattened into rows, as the harvest needs them."""
    if item.digest is not None or item.scoped_for is not None:
        return item
    item.digest = digest or content_hash(item.raw, item.record, item.problems)
    if item.record is not None and item.kind in KINDS:
        item.record = scope_ids(source, item.kind, item.record)
        if not item.problems:
            item.flattened = flatten_record(item.kind, item.record)
    item.scoped_for = source
    return item


def prepared(records: Iterable[SourceRecord], source: str, known: dict[str, str]) -> Iterator[SourceRecord]:
    """``records`` prepared for a harvest of ``source`` that has ``known`` (external id -> hash) staged.

    Hashing a record, scoping its ids, validating and flattening it into rows cost about as much
    as everything else the harvest does for it, and need nothing but the record: an adapter that
    reads in a worker process prepares its records there, on the other core. A record the harvest already has as it
    is (the first of its id, with the staged hash) comes as ``unchanged``, without its raw
    payload and record: the harvest only counts it, so neither is scoped, pickled or
    unpickled. The harvest uses ``digest`` and a record ``scoped_for`` its source as they
    are, and makes them itself for records that come unprepared."""
    seen: set[str] = set()
    for item in records:
        external_id = item.external_id
        digest = content_hash(item.raw, item.record, item.problems)
        if external_id not in seen and known.get(external_id) == digest:
            yield SourceRecord(external_id, item.kind, None, None, item.origin, item.problems, item.stage,
                               digest=digest, scoped_for=source, unchanged=True)
        else:
            yield prepare(item, source, digest)
        seen.add(external_id)


@dataclass(frozen=True)
class _Scoping:
    source: str
    ids: dict[str, dict[str, str]]  # table -> source id -> Waymark id, remembered

    def id(self, table: str, source_id: Any) -> str:
        found = self.ids[table].get(source_id) if type(source_id) is str else None
        return found or _REMEMBERED.make(self.ids, self.source, table, source_id)


@dataclass(frozen=True, eq=False)
class _Scoper:
    """The nesting of one plan node, prepared once: which keys hold children, and which
    fields of the table are plain values (neither ids nor children), copied as they are."""

    table: str
    children: dict[str, tuple[_Scoper, bool]]
    plain: frozenset[str]
    refs: dict[str, str]  # "id" and reference fields whose target table does not depend on the record

    def scope(self, scoping: _Scoping, record: dict[str, Any], parent_table: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        plain = self.plain
        refs = self.refs
        for key, value in record.items():
            if key in plain:
                out[key] = value
                continue
            target = refs.get(key)
            if target is not None:
                out[key] = value if value is None or value == "" else scoping.id(target, value)
                continue
            nested = self.children.get(key)
            if nested is not None and isinstance(value, (list, dict)):
                child, many = nested
                if many and isinstance(value, list):
                    out[key] = [child.scope(scoping, v, self.table) if isinstance(v, dict) else v for v in value]
                elif isinstance(value, dict):
                    out[key] = child.scope(scoping, value, self.table)
                else:
                    out[key] = value
            elif key == "id" and value not in (None, ""):
                out[key] = scoping.id(self.table, value)
            elif key.endswith("_id") and value not in (None, ""):
                target = _target(key, record) or (parent_table if key in POLYMORPHIC else None)
                out[key] = scoping.id(target, value) if target else value
            else:
                out[key] = value
        return out


def _build(node: Node) -> _Scoper:
    children = {prop: (_build(child), many) for prop, child, many, _link in node.children}
    plain = frozenset(f for f in node.fields if f != "id" and not f.endswith("_id") and f not in children)
    refs = {f: _target(f, {}) or "" for f in node.fields
            if f.endswith("_id") and f not in POLYMORPHIC and f not in children}
    refs = {f: target for f, target in refs.items() if target}
    if "id" not in children:
        refs["id"] = node.table
    return _Scoper(node.table, children, plain, refs)


@cache
def _scoper(kind: str) -> _Scoper:
    return _build(plan(kind))
