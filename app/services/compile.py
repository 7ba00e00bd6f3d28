"""Compile golden HSDS rows into nested API records, in a bounded number of queries.

``schema.nesting.load_graph`` asks for each table of the response's plan once, in
dependency order, for every record at once; here each ask is one SQL query
(``WHERE service_id IN (...) OR location_id IN (...)``). A full service or a page of
50 costs at most one query per table in the plan, whatever the number of related rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from app.models import HSDS_MODELS
from schema.nesting import assemble, load_graph, load_plan

Row = dict[str, Any]
IN_CHUNK = 5000


def table_of(name: str) -> Table:
    table = HSDS_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


def select_rows(session: Session, table_name: str, conditions: dict[str, set[Any]]) -> list[Row]:
    """Rows of a golden table matching any of ``column IN values``."""
    table = table_of(table_name)
    clauses = [table.c[column].in_(sorted(values)) for column, values in conditions.items() if values]
    if not clauses:
        return []
    return [dict(row) for row in session.execute(select(table).where(or_(*clauses))).mappings()]


def compile_records(session: Session, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Nested records for ``ids`` in the order given, shaped by the plan ``name``."""
    graph = load_graph(name, ids, partial(select_rows, session))
    root = load_plan(name).root
    rows = graph.rows[root.table]
    return [assemble(root, rows[i], graph) for i in ids if i in rows]
