"""Engine and session handling.

One engine per application. A request gets its session from ``session()``; the
session is closed when the request ends. Services receive a session and flush;
only the edges (write views, CLI commands, jobs) commit.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "waymark.db"
# A pooled PostgreSQL connection idle longer than this is tested (``SELECT 1``) before use.
PING_AFTER_IDLE_S = 5.0


def make_engine(url: str, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("postgresql"):
        # JIT compiling pays off for long analytical queries; for the directory's short
        # indexed searches its start-up cost dominates (tens of milliseconds per query).
        kwargs.update(pool_size=5, max_overflow=10, connect_args={"options": "-c jit=off"})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it has been idle a while, as ``pool_pre_ping``
    does before every use: that costs a round trip per request (~0.13 ms of CPU between client and
    server and ~0.4 ms of waiting on a busy 2-core machine, a search request being ~10 ms of CPU).
    A connection that fails the test is replaced and the pool's older connections with it (as
    ``pool_pre_ping`` does); one that dies while in steady use fails its statement, and SQLAlchemy
    then replaces the pool's connections too."""

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:  # e.g. the server ended it: AdminShutdown
            alive = False
        if not alive:
            raise exc.InvalidatePoolError()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A larger page cache and memory-mapped reads: searches over the index's cell and text
    # structures touch many pages (measured ~30% faster at 200k documents).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def init_app(app: Flask, engine: Engine, info: dict[str, Any] | None = None) -> None:
    """``info`` starts every session's ``Session.info`` (the app's settings ride there)."""
    app.extensions[EXTENSION_KEY] = sessionmaker(bind=engine, expire_on_commit=False, info=info or {})
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    bind = current_app.extensions[EXTENSION_KEY].kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def new_session() -> Session:
    """A fresh session for the current app (CLI commands and jobs own theirs)."""
    factory: sessionmaker[Session] = current_app.extensions[EXTENSION_KEY]
    return factory()


def session() -> Session:
    """The session of the current request or app context."""
    if "db_session" not in g:
        g.db_session = new_session()
    current: Session = g.db_session
    return current


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("db_session", None)
    if current is not None:
        current.close()
