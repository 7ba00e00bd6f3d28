"""Settings from WAYMARK_* variables, the `waymark` command, and migrations that match the models."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, inspect

from app import db
from app.cli import main
from app.config import Settings
from app.models import Base
from app.models.search import include_name
from tests.conftest import ROOT


def test_environment_overrides_defaults() -> None:
    settings = Settings.load(environ={"WAYMARK_PORT": "8080", "WAYMARK_SQL_ECHO": "yes"})
    assert settings.port == 8080 and settings.sql_echo is True
    assert Settings.load(environ={}).per_page_max == 200


def test_bad_setting_says_which_and_why() -> None:
    with pytest.raises(ValueError, match="WAYMARK_PORT must be a whole number, not 'eighty'"):
        Settings.load(environ={"WAYMARK_PORT": "eighty"})
    with pytest.raises(ValueError, match="unknown Waymark setting 'colour'"):
        Settings.load({"colour": "blue"})


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = Settings.load({"instance_path": str(tmp_path)}, environ={})
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'waymark.db'}"


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, _default, _doc in Settings.documentation():
        assert name in readme, f"{name} missing from README"


@pytest.mark.parametrize("command", [["--help"], ["db", "--help"], ["db", "upgrade", "--help"],
                                     ["demo", "--help"], ["serve", "--help"], ["config", "--help"],
                                     ["validate", "--help"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0 and "Usage:" in result.output


def test_db_upgrade_and_demo_from_the_command_line(tmp_path: Path) -> None:
    if os.environ.get("WAYMARK_TEST_DATABASE_URL"):
        pytest.skip("the command-line run uses its own SQLite file")
    env = {"WAYMARK_INSTANCE_PATH": str(tmp_path), "WAYMARK_DATABASE_URL": ""}
    runner = CliRunner(env=env)
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    tables = set(inspect(create_engine(f"sqlite:///{tmp_path / 'waymark.db'}")).get_table_names())
    assert {"service", "organization", "location", "service_at_location", "taxonomy_term", "url"} <= tables
    loaded = runner.invoke(main, ["demo", "--json"])
    assert loaded.exit_code == 0, loaded.output
    body = json.loads(loaded.output)
    runs = body.get("runs", [body])
    assert all(run["status"] == "succeeded" and run["quarantined"] == [] for run in runs)
    assert sum(run["counts"]["new"] for run in runs) >= 200
    again = runner.invoke(main, ["demo", "--json"])  # the council's recorded API only runs inside `demo`
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.output)
    for first, second in zip(runs, rerun.get("runs", [rerun]), strict=True):
        counts = second["counts"]
        assert counts["unchanged"] == first["counts"]["new"] and counts["new"] == counts["updated"] == 0


def test_migrations_match_the_models(demo_app: Flask) -> None:
    with demo_app.app_context(), db.engine().connect() as connection:
        # include_name skips the search index's dialect DDL (FTS5/R*Tree tables, PostGIS and tsvector
        # objects), which only migration 0005 creates: see app.models.search.RAW_DDL_TABLES.
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = [d for d in compare_metadata(context, Base.metadata)
                       if not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")]
    assert differences == []


def test_postgis_is_enabled_on_postgresql(demo_app: Flask) -> None:
    with demo_app.app_context():
        engine = db.engine()
        if engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT postgis_version()").scalar_one()
    assert version
