"""Assemble flat HSDS rows into nested records, following a plan from ``schema.hsds``.

Pure: used both to serve golden rows from the database and to join the CSV tables
of an HSDS tabular package into the nested records the API would serve.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from graphlib import TopologicalSorter
from typing import Any

from schema.hsds import Node, plan, walk
from schema.records import to_json_value

Row = dict[str, Any]
# fetch(table, {column: values}) -> rows where any column is in its values
Fetch = Callable[[str, dict[str, set[Any]]], list[Row]]
IN_CHUNK = 5000


@dataclass
class Graph:
    """Rows by table and id, with lazy indexes on link columns."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: defaultdict(dict))
    _index: dict[tuple[str, str], dict[Any, list[Row]]] = field(default_factory=dict)

    def add(self, table: str, rows: Iterable[Row]) -> None:
        target = self.rows[table]
        for row in rows:
            target[row["id"]] = row
        self._index = {k: v for k, v in self._index.items() if k[0] != table}

    def children(self, table: str, column: str, parent_id: str) -> list[Row]:
        key = (table, column)
        if key not in self._index:
            index: dict[Any, list[Row]] = defaultdict(list)
            for row in sorted(self.rows[table].values(), key=_row_order):
                index[row.get(column)].append(row)
            self._index[key] = index
        return self._index[key].get(parent_id, [])


def _row_order(row: Row) -> tuple[str, str]:
    return (str(row.get("name") or ""), str(row["id"]))


def assemble(node: Node, row: Row, graph: Graph) -> dict[str, Any]:
    """One nested HSDS record; empty optional fields and arrays are left out."""
    out: dict[str, Any] = {}
    for name in node.fields:
        value = row.get(name)
        if value is not None and value != "":
            out[name] = to_json_value(value)
    for prop, child, many, link in node.children:
        if many:
            kids = graph.children(child.table, link.column, row["id"])
            if kids:
                out[prop] = [assemble(child, kid, graph) for kid in kids]
        else:
            ref = row.get(link.column)
            kid = graph.rows.get(child.table, {}).get(ref) if ref else None
            if kid is not None:
                out[prop] = assemble(child, kid, graph)
    return out


@dataclass(frozen=True)
class LoadPlan:
    root: Node
    order: tuple[str, ...]  # tables below the root, parents before children
    edges: dict[str, tuple[tuple[str, str, str], ...]]  # child table -> (parent table, link kind, column)


@cache
def load_plan(name: str) -> LoadPlan:
    root = plan(name)
    edges: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for node in walk(root):
        for _prop, child, _many, link in node.children:
            if child.table != root.table:
                edges[child.table].add((node.table, link.kind, link.column))
    graph = {child: {p for p, _k, _c in parents if p != root.table} for child, parents in edges.items()}
    order = tuple(TopologicalSorter(graph).static_order())
    return LoadPlan(root, order, {t: tuple(sorted(e)) for t, e in edges.items()})


def load_graph(name: str, ids: Sequence[str], fetch: Fetch) -> Graph:
    """Every row the plan ``name`` needs for ``ids``: one fetch per table, parents first."""
    lp = load_plan(name)
    graph = Graph()
    for start in range(0, len(ids), IN_CHUNK):
        graph.add(lp.root.table, fetch(lp.root.table, {"id": set(ids[start:start + IN_CHUNK])}))
    for table in lp.order:
        conditions: dict[str, set[Any]] = defaultdict(set)
        for parent, kind, column in lp.edges.get(table, ()):
            parents = graph.rows.get(parent, {})
            if kind == "child":
                conditions[column].update(parents.keys())
            else:
                conditions["id"].update(r[column] for r in parents.values() if r.get(column))
        if any(conditions.values()):
            graph.add(table, fetch(table, conditions))
    return graph
