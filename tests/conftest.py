"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL + PostGIS when
``WAYMARK_TEST_DATABASE_URL`` is set (``scripts/test.sh`` does both). Each run starts
from an empty database and builds it with the real migrations.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app, db
from app.cli import build_demo, main

pytest_plugins = ("tests.importers.feed_server",)  # the fake feed server fixture, for any test

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
HSDS_EXAMPLES = SHARED / "hsds" / "openreferral-specification" / "3.0" / "examples"
ORUK_MOCKS = SHARED / "hsds" / "oruk-validator-mocks"
DEMO = ROOT / "app" / "demo" / "leeds"


def _fresh_database(tmp: Path) -> str:
    url = os.environ.get("WAYMARK_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'waymark-test.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app over a migrated database holding the Leeds demo, built as `waymark demo` builds it:
    the three overlapping demo feeds (CVS sheet, council API served from its recording, NHS
    tabular package) registered as sources and harvested through the real importers (read-only tests)."""
    tmp = tmp_path_factory.mktemp("demo")
    app = create_app({"database_url": _fresh_database(tmp), "instance_path": str(tmp)})
    with app.app_context():
        summaries = build_demo()
    assert len(summaries) == 3
    for summary in summaries:
        assert summary.status == "succeeded" and not summary.counts.get("quarantined") and not summary.quarantined, \
            summary.to_dict()
    yield app
    with app.app_context():
        db.engine().dispose()


@pytest.fixture()
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture()
def session(demo_app: Flask) -> Iterator[Session]:
    """A session whose writes are rolled back after the test."""
    with demo_app.app_context():
        connection = db.engine().connect()
        outer = connection.begin()
        scoped = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield scoped
        finally:
            scoped.close()
            outer.rollback()
            connection.close()


@pytest.fixture(scope="session")
def live_server(demo_app: Flask) -> Iterator[str]:
    """The demo app behind a real HTTP server on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture()
def runner(tmp_path: Path) -> CliRunner:
    """The `waymark` command line over a fresh, migrated SQLite instance in ``tmp_path``."""
    if os.environ.get("WAYMARK_TEST_DATABASE_URL"):
        pytest.skip("the command-line runs use their own SQLite file")
    cli = CliRunner(env={"WAYMARK_INSTANCE_PATH": str(tmp_path), "WAYMARK_DATABASE_URL": ""})
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    return cli
