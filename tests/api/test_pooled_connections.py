"""PostgreSQL connections whose server process went away are replaced before a request uses
them once they have been idle a while (app.db: tested after ``PING_AFTER_IDLE_S``, not before
every request)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine, text

from app import db

URL = os.environ.get("WAYMARK_TEST_DATABASE_URL", "")
POSTGRESQL_ONLY = pytest.mark.skipif(not URL, reason="server-side disconnects: PostgreSQL only")


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine: Engine, pid: int) -> None:
    with engine.connect() as other:  # a second pooled connection: the first stays in the pool
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


@POSTGRESQL_ONLY
def test_an_idle_connection_killed_on_the_server_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(URL)
    try:
        with engine.connect() as first, engine.connect():  # two pooled connections
            killed = int(first.execute(text("SELECT pg_backend_pid()")).scalar_one())
        _terminate(engine, killed)
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # every pooled connection counts as idle
        for _ in range(3):  # whichever pooled connection comes first, each request succeeds
            assert _backend_pid(engine) != killed
    finally:
        engine.dispose()


@POSTGRESQL_ONLY
def test_a_connection_in_steady_use_is_not_tested_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``SELECT 1`` round trip before each request of a busy server."""
    engine = db.make_engine(URL)
    pings: list[object] = []
    try:
        first = _backend_pid(engine)  # the connection is in the pool, just used
        monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
        assert _backend_pid(engine) == first
        assert pings == []
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
        assert _backend_pid(engine) == first
        assert len(pings) == 1
    finally:
        engine.dispose()
