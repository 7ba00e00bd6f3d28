"""`waymark db`: create, upgrade and inspect the database schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app import db, migrate


@click.group("db")
def db_group() -> None:
    """Create, upgrade and inspect the database schema."""


@db_group.command("upgrade")
@with_appcontext
@click.option("--revision", default="head", show_default=True, help="Target migration.")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema (SQLite, or PostgreSQL with PostGIS)."""
    migrate.upgrade(db.engine(), revision)
    click.echo(f"database at {db.engine().url.render_as_string()} is at revision "
               f"{migrate.current(db.engine())}")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision of the database."""
    click.echo(migrate.current(db.engine()) or "empty (run: waymark db upgrade)")


@db_group.command("revision")
@with_appcontext
@click.option("-m", "--message", required=True, help="What the migration changes.")
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    migrate.revision(db.engine(), message)
