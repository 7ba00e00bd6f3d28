"""Compile golden HSDS rows into nested API records, in a bounded number of queries.

``schema.nesting.load_graph`` asks for each table of the response's plan once, in
dependency order, for every record at once; here each ask is one SQL query
(``WHERE service_id IN (...) OR location_id IN (...)``). A full service or a page of
50 costs at most one query per table in the plan, whatever the number of related rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy.orm import Session

from app.models import HSDS_MODELS
from schema.nesting import assemble, load_graph, load_plan

Row = dict[str, Any]


def table_of(name: str) -> Table:
    table = HSDS_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class _Reader:
    """A table's SELECT prefix and per-column result conversions for one dialect, made once.

    The read path is hot (every API request) and its statements differ only in the length
    of their IN lists, so they are written as plain SQL for the driver; column values go
    through the same type conversions SQLAlchemy would apply."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Any, ...]
    placeholder: str


@cache
def _reader(table_name: str, dialect: Dialect) -> _Reader:
    table = table_of(table_name)
    columns = tuple(c.name for c in table.columns)
    processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.columns)
    quote = dialect.identifier_preparer.quote
    sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} WHERE "
    return _Reader(sql, columns, processors, "?" if dialect.paramstyle == "qmark" else "%s")


def select_rows(session: Session, table_name: str, conditions: dict[str, set[Any]]) -> list[Row]:
    """Rows of a golden table matching any of ``column IN values``: one statement."""
    connection = session.connection()
    reader = _reader(table_name, connection.dialect)
    clauses: list[str] = []
    params: list[Any] = []
    quote = connection.dialect.identifier_preparer.quote
    for column, values in conditions.items():
        if values:
            clauses.append(f"{quote(column)} IN ({', '.join([reader.placeholder] * len(values))})")
            params.extend(values)
    if not clauses:
        return []
    result = connection.exec_driver_sql(reader.sql + " OR ".join(clauses), tuple(params))
    rows = []
    pairs = list(zip(reader.columns, reader.processors, strict=True))
    for found in result:
        rows.append({name: (convert(value) if convert and value is not None else value)
                     for (name, convert), value in zip(pairs, found, strict=True)})
    return rows


def compile_records(session: Session, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Nested records for ``ids`` in the order given, shaped by the plan ``name``."""
    graph = load_graph(name, ids, partial(select_rows, session))
    root = load_plan(name).root
    rows = graph.rows[root.table]
    return [assemble(root, rows[i], graph) for i in ids if i in rows]
