"""The SQL search backend: the index lives in the directory's own database.

Index rows are written in the caller's transaction (``transactional``), so a change to the
golden records and the index entries describing it commit or roll back together, and a
rebuild is invisible to readers until it commits. One class serves SQLite and PostgreSQL: the
portable tables and query (``app.search.sql_query``) are shared; each dialect supplies its
text and spatial structures (``app.search.sql_sqlite``, ``app.search.sql_postgresql``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.orm import Session

from app.models.base import Base
from app.models.search import SearchEntry, SearchOpen, SearchShape, SearchTag
from app.search import sql_query
from app.search.backend import SearchDocument, SearchQuery, SearchResult
from app.search.sql_postgresql import PostgresDialect
from app.search.sql_query import Dialect
from app.search.sql_rows import number_shapes, rows
from app.search.sql_sqlite import SqliteDialect
from app.services.publish import insert_rows

BATCH = 1000  # documents per round of bulk inserts
IN_CHUNK = 500  # ids per IN (...) list

_DIALECTS: dict[str, Dialect] = {"sqlite": SqliteDialect(), "postgresql": PostgresDialect()}
_TABLES = (SearchTag, SearchOpen, SearchShape)  # side tables keyed by entry
T = TypeVar("T")


def dialect_of(session: Session) -> Dialect:
    name = session.get_bind().dialect.name
    try:
        return _DIALECTS[name]
    except KeyError:
        raise ValueError(f"The SQL search backend supports SQLite and PostgreSQL, not {name}.") from None


def _chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlBackend:
    name = "sql"
    transactional = True  # writes join the caller's transaction (see the module docstring)

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        return sql_query.search(session, query, dialect_of(session))

    def replace(self, session: Session, service_ids: Iterable[str], documents: Sequence[SearchDocument]) -> None:
        dialect = dialect_of(session)
        for chunk in _chunks(sorted(set(service_ids)), IN_CHUNK):
            entries = list(session.scalars(select(SearchEntry.entry).where(SearchEntry.service_id.in_(chunk))))
            self._delete(session, dialect, entries)
        for batch in _chunks(documents, BATCH):
            self._insert(session, dialect, batch)

    def rebuild(self, session: Session, documents: Iterable[SearchDocument]) -> int:
        dialect = dialect_of(session)
        dialect.clear(session)
        for table in (*_TABLES, SearchEntry):
            session.execute(delete(table))
        total = 0
        for batch in _chunks(documents, BATCH):
            self._insert(session, dialect, batch)
            total += len(batch)
        dialect.optimize(session)
        return total

    def count(self, session: Session) -> int:
        return int(session.execute(select(func.count()).select_from(SearchEntry)).scalar_one())

    @staticmethod
    def _delete(session: Session, dialect: Dialect, entries: list[int]) -> None:
        for chunk in _chunks(entries, IN_CHUNK):
            dialect.forget(session, chunk)
            for table in _TABLES:
                session.execute(delete(table).where(table.entry.in_(chunk)))
            session.execute(delete(SearchEntry).where(SearchEntry.entry.in_(chunk)))

    @staticmethod
    def _insert(session: Session, dialect: Dialect, documents: list[SearchDocument]) -> None:
        # Drop duplicate ids within the batch (the last wins), as an upsert would.
        unique = list({document.id: document for document in documents}.values())
        batch = rows(unique, dialect.next_numbers(session, "search_entry", "entry", len(unique)))
        number_shapes(batch, dialect.next_numbers(session, "search_shape", "shape", len(batch.shapes))
                      if batch.shapes else [])
        connection = session.connection()
        _insert_rows(connection, SearchEntry, batch.entries)
        _insert_rows(connection, SearchTag, batch.tags)
        _insert_rows(connection, SearchOpen, batch.opens)
        _insert_rows(connection, SearchShape, [{key: row[key] for key in ("shape", "entry", "geojson")}
                                               for row in batch.shapes])
        dialect.write(session, batch)


def _insert_rows(connection: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One executemany of ``rows`` (dicts with the same keys) into ``model``'s table, through the
    driver as publishing writes (``app.services.publish.insert_rows``): the ORM's bulk insert
    spent more time preparing parameters than the database did inserting them."""
    if rows:
        table = model.__table__
        assert isinstance(table, Table)
        insert_rows(connection, table, tuple(rows[0]), rows)
