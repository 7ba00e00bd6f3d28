"""Compile golden HSDS rows into nested API records, in one SQL statement per call.

A response plan (``schema.nesting.load_plan``) lists the tables a nested record is made
of and how each is linked to its parents. ``load_graph`` walks it with one query per
table, which is what the tabular importer does with its scratch database. Served from
the golden tables, that cost one round trip per table (21 for a full service, most of
them spent in driver and SQLAlchemy overhead, and on PostgreSQL in waiting for the
server), so here the whole plan is compiled once per dialect into a single statement:

* one common table expression per table, selecting the rows linked to the rows of its
  parents' expressions (``service_id IN (SELECT id FROM t0)``), the root by its ids;
* one ``UNION ALL`` arm per expression, tagged with the table's position in the plan.
  Arms have different columns, so every arm spreads its columns over typed slots
  (text, float, date, ...) and fills the slots it does not use with typed NULLs.

The rows go into the same ``Graph`` and ``assemble`` as before, with the same column
conversions SQLAlchemy applies, so the output is unchanged; a full service or a page of
50 costs one statement whatever the number of related rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, CursorResult, Dialect, String, Table
from sqlalchemy.orm import Session

from app.models import HSDS_MODELS
from schema.nesting import Graph, LoadPlan, assemble, load_plan

Row = dict[str, Any]
Converter = tuple[str, Callable[[Any], Any]]  # (column, result processor)


def table_of(name: str) -> Table:
    table = HSDS_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class _Arm:
    """Where one table's columns sit in the rows of the compiled statement."""

    table: str
    columns: tuple[str, ...]
    slots: tuple[int, ...]  # result position of each column, in ``columns`` order
    pick: Callable[[Sequence[Any]], tuple[Any, ...]]  # itemgetter(*slots); tables have 2+ columns

    def values(self, found: Sequence[Any]) -> Row:
        return dict(zip(self.columns, self.pick(found), strict=True))


@dataclass(frozen=True)
class _Statement:
    sql: str
    arms: tuple[_Arm, ...]  # by tag, the first result column; arm 0 is the root table
    array_parameter: bool  # True: ids go as a list (PostgreSQL ``= ANY``), else as a JSON text


def _slot_type(column: Column[Any], dialect: Dialect) -> str:
    """The SQL type of the slots a column may sit in; all strings share ``TEXT`` slots."""
    return "TEXT" if isinstance(column.type, String) else column.type.compile(dialect)


def _slots(tables: list[str], dialect: Dialect) -> dict[str, range]:
    """Result positions by slot type, each type as many as the widest table needs (0 is the tag)."""
    widths: dict[str, int] = {}
    for name in tables:
        counts = Counter(_slot_type(column, dialect) for column in table_of(name).columns)
        for kind, count in counts.items():
            widths[kind] = max(widths.get(kind, 0), count)
    slots: dict[str, range] = {}
    position = 1
    for kind in sorted(widths):
        slots[kind] = range(position, position + widths[kind])
        position += widths[kind]
    return slots


def _arm(name: str, tag: int, slots: dict[str, range], dialect: Dialect) -> tuple[_Arm, str]:
    """The arm's description and its ``SELECT`` over the table's expression ``t<tag>``."""
    quote = dialect.identifier_preparer.quote
    # PostgreSQL's short cast: the list statement stays under the 4,096 characters beyond which
    # psycopg stops caching a statement's conversion (it re-split it on every request).
    null = "NULL::{}" if dialect.name == "postgresql" else "CAST(NULL AS {})"
    expressions = {position: null.format(kind) for kind, positions in slots.items() for position in positions}
    free = {kind: iter(positions) for kind, positions in slots.items()}
    columns, taken = [], []
    for column in table_of(name).columns:
        position = next(free[_slot_type(column, dialect)])
        expressions[position] = quote(column.name)
        columns.append(column.name)
        taken.append(position)
    select = f"SELECT {tag}, {', '.join(expressions[p] for p in sorted(expressions))} FROM t{tag}"
    return _Arm(name, tuple(columns), tuple(taken), itemgetter(*taken)), select


def _membership(column: str, source: str, postgresql: bool) -> str:
    """``column`` is one of the values ``source`` (a one-column SELECT) yields, in a form
    each database answers with its index on ``column`` even inside an OR of several."""
    if postgresql:  # an OR of IN (subquery) would be a filter on a sequential scan
        return f"{column} = ANY(ARRAY({source}))"
    return f"{column} IN ({source})"


def _expression(name: str, tag: int, plan: LoadPlan, tags: dict[str, int], dialect: Dialect) -> str:
    """``t<tag> AS (SELECT * FROM <table> WHERE <linked to its parents' rows>)``."""
    quote = dialect.identifier_preparer.quote
    postgresql = dialect.name == "postgresql"
    if tag == 0:
        where = f"{quote('id')} = ANY(%s)" if postgresql else f"{quote('id')} IN (SELECT value FROM json_each(?))"
    else:
        sources: dict[str, list[str]] = {}  # column of this table -> SELECTs of the values it may hold
        for parent, kind, column in plan.edges[name]:
            if kind == "child":  # the child holds the parent's id
                sources.setdefault(quote(column), []).append(f"SELECT {quote('id')} FROM t{tags[parent]}")
            else:  # the parent holds the child's id
                sources.setdefault(quote("id"), []).append(f"SELECT {quote(column)} FROM t{tags[parent]}")
        where = " OR ".join(_membership(column, " UNION ALL ".join(selects), postgresql)
                            for column, selects in sources.items())
    return f"t{tag} AS (SELECT * FROM {quote(name)} WHERE {where})"


@cache
def _statement(plan_name: str, dialect: Dialect) -> _Statement:
    """The plan as one statement for ``dialect``: the same text on every call, so that the
    driver and the database can keep it prepared."""
    plan = load_plan(plan_name)
    tables = [plan.root.table, *plan.order]
    tags = {name: tag for tag, name in enumerate(tables)}
    slots = _slots(tables, dialect)
    expressions = [_expression(name, tag, plan, tags, dialect) for tag, name in enumerate(tables)]
    arms, selects = zip(*(_arm(name, tag, slots, dialect) for tag, name in enumerate(tables)), strict=True)
    sql = f"WITH {', '.join(expressions)} {' UNION ALL '.join(selects)}"
    return _Statement(sql, tuple(arms), dialect.name == "postgresql")


_converters_made: dict[tuple[str, Dialect], tuple[tuple[Converter, ...], ...]] = {}


def _converters(plan_name: str, statement: _Statement, result: CursorResult[Any]) -> tuple[tuple[Converter, ...], ...]:
    """Per arm, the result conversions SQLAlchemy would apply to the table's columns.

    A dialect picks a column's processor from the type the driver reports in the cursor
    description (psycopg's type OID; SQLite reports none), so they are made from the first
    result. Columns needing no conversion (text and ids, most of them) are left out."""
    dialect = result.context.dialect
    made = _converters_made.get((plan_name, dialect))
    if made is None:
        description = result.cursor.description
        per_arm = []
        for arm in statement.arms:
            table = table_of(arm.table)
            pairs = ((name, table.c[name].type.dialect_impl(dialect).result_processor(dialect, description[slot][1]))
                     for name, slot in zip(arm.columns, arm.slots, strict=True))
            per_arm.append(tuple((name, p) for name, p in pairs if p is not None))
        made = _converters_made[(plan_name, dialect)] = tuple(per_arm)
    return made


def _chunks(ids: Sequence[str], size: int = 5000) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def load_rows(connection: Connection, plan_name: str, ids: Sequence[str]) -> Graph:
    """Every row the plan needs for ``ids``, in one statement (per 5,000 ids)."""
    statement = _statement(plan_name, connection.dialect)
    graph = Graph()
    for chunk in _chunks(ids):
        parameter: Any = chunk if statement.array_parameter else json.dumps(chunk)
        result = connection.exec_driver_sql(statement.sql, (parameter,))
        converters = _converters(plan_name, statement, result)
        by_arm: list[list[Row]] = [[] for _ in statement.arms]
        for found in result.fetchall():
            by_arm[found[0]].append(statement.arms[found[0]].values(found))
        for arm, rows, conversions in zip(statement.arms, by_arm, converters, strict=True):
            _convert(rows, conversions)
            graph.add(arm.table, rows)
    return graph


def _convert(rows: list[Row], conversions: tuple[Converter, ...]) -> None:
    for name, convert in conversions:
        for row in rows:
            value = row[name]
            if value is not None:
                row[name] = convert(value)


def compile_records(session: Session, name: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Nested records for ``ids`` in the order given, shaped by the plan ``name``."""
    if not ids:
        return []
    graph = load_rows(session.connection(), name, ids)
    root = load_plan(name).root
    rows = graph.rows[root.table]
    return [assemble(root, rows[i], graph) for i in ids if i in rows]
