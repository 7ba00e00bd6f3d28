"""Compile golden HSDS rows into nested API records, in a bounded number of queries.

A response shape is a plan (``schema.hsds.plan``): a tree of tables. The loader
queries each table of the plan once, in dependency order, for every record at once
(``WHERE service_id IN (...) OR location_id IN (...)``), then assembles the nested
dictionaries in memory. A full service or a page of 50 costs at most one query per
table in the plan, whatever the number of related rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from graphlib import TopologicalSorter
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from app.models import HSDS_MODELS
from schema.hsds import Node, plan, walk
from schema.nesting import Graph, assemble

Row = dict[str, Any]
IN_CHUNK = 5000


def table_of(name: str) -> Table:
    table = HSDS_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class LoadPlan:
    root: Node
    order: tuple[str, ...]
    # child table -> [(parent table, link kind, column)]
    edges: dict[str, tuple[tuple[str, str, str], ...]]


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


def _select_rows(session: Session, table: Table, conditions: dict[str, set[Any]]) -> list[Row]:
    clauses = [table.c[column].in_(sorted(values)) for column, values in conditions.items() if values]
    if not clauses:
        return []
    result = session.execute(select(table).where(or_(*clauses)))
    return [dict(row) for row in result.mappings()]


def load_graph(session: Session, name: str, ids: Sequence[str]) -> Graph:
    lp = load_plan(name)
    graph = Graph()
    for start in range(0, len(ids), IN_CHUNK):
        chunk = set(ids[start:start + IN_CHUNK])
        graph.add(lp.root.table, _select_rows(session, table_of(lp.root.table), {"id": chunk}))
    for table in lp.order:
        conditions: dict[str, set[Any]] = defaultdict(set)
        for parent, kind, column in lp.edges.get(table, ()):
            parents = graph.rows.get(parent, {})
            if kind == "child":
                conditions[column].update(parents.keys())
            else:
                conditions["id"].update(r[column] for r in parents.values() if r.get(column))
        graph.add(table, _select_rows(session, table_of(table), conditions))
    return graph


def compile_records(session: Session, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Nested records for ``ids`` in the order given, shaped by the plan ``name``."""
    graph = load_graph(session, name, ids)
    root = load_plan(name).root
    rows = graph.rows[root.table]
    return [assemble(root, rows[i], graph) for i in ids if i in rows]
