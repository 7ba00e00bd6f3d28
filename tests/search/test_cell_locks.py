"""Concurrent re-indexing on PostgreSQL: two transactions moving services between the same grid
cells must not deadlock on ``search_cell`` (per-cell counts are applied once, in ascending cell
order, when a transaction commits: ``app.search.sql_query.apply_located``)."""

from __future__ import annotations

import dataclasses
import os
import threading

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import db
from app.search.backend import SearchDocument
from app.search.documents import documents_for
from app.search.sql import SqlBackend
from app.search.sql_query import apply_located
from app.search.sql_rows import cell

POSTGRESQL_ONLY = pytest.mark.skipif(not os.environ.get("WAYMARK_TEST_DATABASE_URL"),
                                     reason="row locks between transactions: PostgreSQL only")
CELLS_FROM_ENTRIES = ("SELECT cell, count(*) FROM search_entry WHERE at_location AND cell IS NOT NULL "
                      "GROUP BY cell ORDER BY cell")


def test_cell_counts_noted_in_a_transaction_reach_search_cell_at_commit(demo_app: Flask) -> None:
    """Changes are held back until commit, then applied; the counts then match the entries
    (a service moved away and back, each in a committed transaction of its own)."""
    backend = SqlBackend()
    with demo_app.app_context():
        engine = db.engine()
        with Session(engine) as session:
            service_id, latitude = session.execute(text(
                "SELECT service_id, min(latitude) FROM search_entry WHERE at_location AND cell IS NOT NULL "
                "GROUP BY service_id ORDER BY service_id")).first()  # type: ignore[misc]
            original = documents_for(session, [service_id])
            before = session.execute(text("SELECT cell, located FROM search_cell ORDER BY cell")).all()
            moved = [dataclasses.replace(d, latitude=latitude + 0.5) for d in original]
            try:
                backend.replace(session, [service_id], moved)
                session.commit()
                after = session.execute(text("SELECT cell, located FROM search_cell ORDER BY cell")).all()
                assert after != before
                assert after == session.execute(text(CELLS_FROM_ENTRIES)).all()
            finally:
                backend.replace(session, [service_id], original)
                session.commit()
            assert session.execute(text("SELECT cell, located FROM search_cell ORDER BY cell")).all() == before


@POSTGRESQL_ONLY


def test_two_transactions_swapping_services_between_cells_do_not_deadlock(demo_app: Flask) -> None:
    backend = SqlBackend()
    with demo_app.app_context():
        engine = db.engine()
        with Session(engine) as reader:
            alone = reader.execute(text(
                "SELECT service_id, min(cell), min(latitude), min(longitude) FROM search_entry "
                "WHERE at_location AND cell IS NOT NULL GROUP BY service_id HAVING count(*) = 1 "
                "ORDER BY service_id")).all()
            first = alone[0]
            second = next(row for row in alone if row[1] != first[1])
            # Each service moves to the other's cell: one transaction takes an entry out of cell A
            # and puts one into cell B, the other the reverse.
            moves = [(first[0], [dataclasses.replace(d, latitude=second[2], longitude=second[3])
                                 for d in documents_for(reader, [first[0]])]),
                     (second[0], [dataclasses.replace(d, latitude=first[2], longitude=first[3])
                                  for d in documents_for(reader, [second[0]])])]
    taken_out = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def move(service_id: str, documents: list[SearchDocument]) -> None:
        with Session(engine) as session:
            try:
                session.execute(text("SET LOCAL lock_timeout = '20s'"))
                backend.replace(session, [service_id], [])  # out of its cell ...
                taken_out.wait()  # ... both, before either is put into the other's cell
                backend.replace(session, [], documents)
                apply_located(session)  # what commit does; rolled back after to keep the demo intact
                moved_to = cell(documents[0].latitude or 0.0, documents[0].longitude or 0.0)
                counted = session.execute(text("SELECT located FROM search_cell WHERE cell = :c"),
                                          {"c": moved_to}).scalar_one()
                assert counted >= 1
            except BaseException as error:  # reported by the assertion below
                errors.append(error)
            finally:
                session.rollback()

    threads = [threading.Thread(target=move, args=move_args) for move_args in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

