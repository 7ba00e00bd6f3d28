"""`waymark sources`: register and inspect the feeds Waymark harvests."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app import db
from app.models.staging import SOURCE_TYPES
from app.services import sources as registry


def _fail(error: registry.SourceError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@contextmanager
def _registry() -> Iterator[Session]:
    """A session for one command: committed if the command succeeds; a SourceError exits 2 with its reason."""
    session = db.new_session()
    try:
        yield session
        session.commit()
    except registry.SourceError as error:
        session.rollback()
        _fail(error)
    finally:
        session.close()


def _location(value: str) -> str:
    """URLs as given; file paths made absolute so harvests work from any folder."""
    if value.startswith(("http://", "https://")):
        return value
    return str(Path(value).expanduser().resolve())


def _credentials(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise registry.SourceError("credential", f"{pair.split('=')[0]!r} must look like HEADER=VALUE")
        out[name] = value
    return out


@click.group("sources")
def sources_group() -> None:
    """Register, list, show, edit and disable sources (feeds)."""


@sources_group.command("add")
@with_appcontext
@click.argument("name")
@click.option("--type", "type_", required=True, type=click.Choice(SOURCE_TYPES), help="Kind of feed.")
@click.option("--location", required=True, help="URL, or path to a folder, zip or spreadsheet.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mapping file (YAML or JSON) for spreadsheets, or options for other types.")
@click.option("--schedule", help="Cron expression for the scheduler, e.g. '0 3 * * *'.")
@click.option("--credential", "credentials", multiple=True, metavar="HEADER=VALUE",
              help="HTTP header sent with every request (e.g. an API key). Never shown again.")
@click.option("--disabled", is_flag=True, help="Register without scheduling it.")
def add(name: str, type_: str, location: str, config_file: Path | None, schedule: str | None,
        credentials: tuple[str, ...], disabled: bool) -> None:
    """Register a source NAME."""
    with _registry() as session:
        config = registry.read_config_file(config_file) if config_file else {}
        source = registry.add_source(session, name, type_, _location(location), config, schedule,
                                     _credentials(credentials), enabled=not disabled)
        click.echo(json.dumps(registry.describe(session, source), indent=2))


@sources_group.command("list")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
def list_(as_json: bool) -> None:
    """List sources with their state and last harvest."""
    session = db.new_session()
    try:
        described = [registry.describe(session, s) for s in registry.list_sources(session)]
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    click.echo(f"{'name':20} {'type':13} {'on':3} {'schedule':14} {'active':>7} {'quar.':>6} last run")
    for s in described:
        run = s["last_run"] or {}
        click.echo(f"{s['name']:20} {s['type']:13} {'yes' if s['enabled'] else 'no':3} "
                   f"{s['schedule'] or '-':14} {s['records']['active']:7} {s['records']['quarantined']:6} "
                   f"{run.get('status', '-')} {run.get('finished_at') or ''}")


@sources_group.command("show")
@with_appcontext
@click.argument("name")
def show(name: str) -> None:
    """Show one source as JSON (credential names only, never values)."""
    with _registry() as session:
        click.echo(json.dumps(registry.describe(session, registry.get_source(session, name)), indent=2))


@sources_group.command("edit")
@with_appcontext
@click.argument("name")
@click.option("--location", help="New URL or path.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--schedule", help="New cron expression; '' to unschedule.")
@click.option("--credential", "credentials", multiple=True, metavar="HEADER=VALUE",
              help="Replace the credentials.")
@click.option("--enable/--disable", "enabled", default=None, help="Turn harvesting on or off.")
def edit(name: str, location: str | None, config_file: Path | None, schedule: str | None,
         credentials: tuple[str, ...], enabled: bool | None) -> None:
    """Change a source."""
    changes: dict[str, Any] = {}
    if location is not None:
        changes["location"] = _location(location)
    if schedule is not None:
        changes["schedule"] = schedule
    if enabled is not None:
        changes["enabled"] = enabled
    with _registry() as session:
        if config_file is not None:
            changes["config"] = registry.read_config_file(config_file)
        if credentials:
            changes["credentials"] = _credentials(credentials)
        source = registry.edit_source(session, name, **changes)
        click.echo(json.dumps(registry.describe(session, source), indent=2))


@sources_group.command("disable")
@with_appcontext
@click.argument("name")
def disable(name: str) -> None:
    """Stop harvesting a source (its records stay as they are)."""
    with _registry() as session:
        registry.edit_source(session, name, enabled=False)
    click.echo(f"{name} disabled")


@sources_group.command("runs")
@with_appcontext
@click.argument("name")
@click.option("--limit", type=int, default=20, show_default=True, help="How many recent runs.")
def runs(name: str, limit: int) -> None:
    """The harvest history of a source, newest first."""
    with _registry() as session:
        history = registry.run_history(session, registry.get_source(session, name), limit)
    click.echo(f"{'run':>5} {'started':25} {'status':10} {'new':>6} {'upd':>6} {'same':>7} {'gone':>6} {'quar':>6}")
    for run in history:
        c = run["counts"]
        click.echo(f"{run['id']:5} {run['started_at'][:25]:25} {run['status']:10} {c.get('new', 0):6} "
                   f"{c.get('updated', 0):6} {c.get('unchanged', 0):7} {c.get('withdrawn', 0):6} "
                   f"{c.get('quarantined', 0):6}")
        for problem in run["errors"][:5]:
            click.echo(f"      {problem}")
