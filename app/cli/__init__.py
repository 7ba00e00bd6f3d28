"""The ``waymark`` command. Each subcommand is thin: it delegates to a service and commits."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from app import create_app, db, migrate
from app.config import Settings
from app.services.harvest import RunSummary


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Waymark: a community service directory for social prescribing (HSDS 3 / ORUK).

    Settings come from WAYMARK_* environment variables; `waymark config` lists them.
    """
    ctx.obj = ScriptInfo(create_app=lambda: create_app(), load_dotenv_defaults=False)


@main.command("demo")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print the harvest and linkage summaries as JSON.")
def demo(as_json: bool) -> None:
    """Migrate, then build the Leeds demo from three overlapping feeds, and link it.

    The feeds in app/demo/feeds (a Leeds CVS spreadsheet, Leeds City Council's HSDS API
    and an NHS HSDS tabular package) are registered as the sources leeds-cvs,
    leeds-council and leeds-health (disabled: never scheduled) and harvested through
    their importers. The council's API is a recording served on a free local port, and
    the leeds-council source's URL is only alive while this command runs: to harvest it
    again, run `waymark demo` again. Linkage then merges the copies the feeds share into
    golden records. Exit status 1 if a harvest failed or quarantined anything.
    """
    from app.cli.harvest import print_summaries

    summaries = build_demo()
    linkage = link_built_demo() if any(s.status == "succeeded" for s in summaries) else None
    print_summaries(summaries, as_json, linkage)
    if any(s.status != "succeeded" or s.counts.get("quarantined") for s in summaries):
        sys.exit(1)


def build_demo() -> list[RunSummary]:
    """Migrate, load the demo area's postcodes if missing, then register and harvest the
    demo sources while the council's recorded API is served. Needs an app context."""
    from app.jobs import harvest_one
    from app.services.demo import COUNCIL_FEED, ensure_demo_postcodes, register_demo_sources, serve_recorded_api

    migrate.upgrade(db.engine())
    session = db.new_session()
    try:
        ensure_demo_postcodes(session)
        session.commit()
        with serve_recorded_api(COUNCIL_FEED) as council_url:
            names = register_demo_sources(session, council_url)
            session.commit()
            return [harvest_one(name) for name in names]
    finally:
        session.close()


def link_built_demo() -> dict[str, Any]:
    """Link the harvested demo into golden records and commit; returns the linkage summary. Needs an app context."""
    from app.services.demo import link_demo

    session = db.new_session()
    try:
        summary = link_demo(session, current_app.config["WAYMARK"])
        session.commit()
        return summary
    finally:
        session.close()


@main.command("serve")
@with_appcontext
@click.option("--host", default=None, help="Interface (default WAYMARK_HOST).")
@click.option("--port", type=int, default=None, help="Port (default WAYMARK_PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (default WAYMARK_WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the directory and its API (gunicorn when more than one worker)."""
    settings: Settings = current_app.config["WAYMARK"]
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    click.echo(f"Waymark on http://{host}:{port}/ (API: http://{host}:{port}{settings.api_prefix}/docs)")
    if workers > 1:
        from app.server import run_gunicorn

        run_gunicorn(host, port, workers)
    else:
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
                   threaded=True, use_reloader=False)


@main.command("validate", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def validate(args: tuple[str, ...]) -> None:
    """Check an HSDS / ORUK API as the ORUK validator does: URL [--json] [--sample N].

    Exit status 1 when it fails a required (level 1) check.
    """
    from importers import oruk_validator

    sys.exit(oruk_validator.main(list(args)))


@main.command("config")
@with_appcontext
def show_config() -> None:
    """List every setting: environment variable, default, meaning, current value."""
    settings: Settings = current_app.config["WAYMARK"]
    for name, default, doc in Settings.documentation():
        value = getattr(settings, name.removeprefix("WAYMARK_").lower())
        click.echo(f"{name}\n    default {default}; now {value!r}\n    {doc}")


def _register_groups() -> None:
    """Each command group lives in its own module of this package."""
    from app.cli import db_commands, harvest, linkage, postcodes, search, sources

    main.add_command(db_commands.db_group)
    main.add_command(sources.sources_group)
    main.add_command(harvest.harvest_command)
    main.add_command(harvest.scheduler_command)
    main.add_command(postcodes.postcodes_group)
    main.add_command(search.search_group)
    main.add_command(linkage.linkage_group)


_register_groups()

if __name__ == "__main__":
    main()
