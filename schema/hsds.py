"""The shape of HSDS records, read from the vendored specification.

Nothing here is written by hand from the spec: table fields and types come from the
HSDS table schemas, and the nesting of each API response (which arrays and objects a
compiled service, organization or service_at_location carries) comes from the
compiled schemas. ``plan("service")`` returns that nesting as a tree of ``Node``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent / "vendor"
HSDS_DIR = VENDOR / "hsds-3.0"
ORUK_DIR = VENDOR / "oruk-3.0"

# HSDS 3.1 additions that Waymark stores and serves (they cost nothing in 3.0 clients).
EXTRA_ARRAYS = {"service": {"additional_urls": "url"}, "organization": {"additional_websites": "url"}}
EXTRA_SCALARS = {"attribute": ("label",)}

# Which column links a child to its parent (polymorphic tables use a generic id column).
POLYMORPHIC_LINK = {"attribute": "link_id", "metadata": "resource_id"}
OBJECT_LINK_COLUMN = {"taxonomy_detail": "taxonomy_id"}
# A few compiled items are named after their property rather than their table.
TABLE_ALIASES = {"attributes": "attribute", "taxonomy_detail": "taxonomy"}


@cache
def table_schema(table: str) -> dict[str, Any]:
    """The flat HSDS JSON schema of one table (3.1 for the ``url`` table)."""
    path = HSDS_DIR / f"{table}.json"
    if not path.exists():
        path = VENDOR / "hsds-3.1" / f"{table}.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


@cache
def compiled_schema(name: str, profile: str = "hsds") -> dict[str, Any]:
    """A compiled (nested) schema, e.g. ``service`` or ``service_list``; ``profile`` hsds or oruk."""
    base = HSDS_DIR / "compiled" if profile == "hsds" else ORUK_DIR / "compiled"
    schema: dict[str, Any] = json.loads((base / f"{name}.json").read_text())
    return schema


def scalar_fields(table: str) -> dict[str, dict[str, Any]]:
    """Scalar properties of a table, name -> JSON schema property."""
    props = table_schema(table)["properties"]
    return {name: prop for name, prop in props.items() if prop.get("type") not in ("array", "object", None)}


@dataclass(frozen=True)
class Link:
    """How rows of a child table attach to a parent row.

    ``kind`` is ``"child"`` when the child holds ``column`` = parent id (arrays), and
    ``"ref"`` when the parent holds ``column`` = child id (nested objects).
    """

    kind: str
    column: str


@dataclass(frozen=True)
class Node:
    table: str
    fields: tuple[str, ...]
    children: tuple[tuple[str, Node, bool, Link], ...]  # (property, node, is_array, link)


def link_for(parent: str, prop: str, child: str, many: bool) -> Link:
    if many:
        return Link("child", POLYMORPHIC_LINK.get(child, f"{parent}_id"))
    return Link("ref", OBJECT_LINK_COLUMN.get(prop, f"{child}_id"))


def _node_from_schema(schema: dict[str, Any], table: str) -> Node:
    fields: list[str] = []
    children: list[tuple[str, Node, bool, Link]] = []
    for prop, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        if kind is None and prop in TABLE_ALIASES:  # e.g. taxonomy_term.taxonomy_detail, untyped in the spec
            spec, kind = {**table_schema(TABLE_ALIASES[prop]), "type": "object"}, "object"
        if kind in ("array", "object"):
            item = spec["items"] if kind == "array" else spec
            child = item.get("name") or prop
            child = TABLE_ALIASES.get(child, child)
            if "properties" not in item:  # a $ref to the table schema
                item = table_schema(child)
            many = kind == "array"
            children.append((prop, _node_from_schema(item, child), many, link_for(table, prop, child, many)))
        else:
            fields.append(prop)
    fields += [f for f in EXTRA_SCALARS.get(table, ()) if f not in fields]
    for prop, child in EXTRA_ARRAYS.get(table, {}).items():
        url_node = _node_from_schema(table_schema(child), child)
        children.append((prop, url_node, True, link_for(table, prop, child, True)))
    return Node(table, tuple(fields), tuple(children))


@cache
def plan(name: str) -> Node:
    """Nesting of a response: a compiled schema name (``service``, ``service_list``,
    ``organization``, ...) or a table name (``taxonomy``, ``taxonomy_term``)."""
    compiled = HSDS_DIR / "compiled" / f"{name}.json"
    if compiled.exists():
        schema = compiled_schema(name)
        return _node_from_schema(schema, schema["name"])
    return _node_from_schema(table_schema(name), name)


def walk(node: Node) -> list[Node]:
    """Every node of a plan, depth first."""
    out = [node]
    for _prop, child, _many, _link in node.children:
        out += walk(child)
    return out
