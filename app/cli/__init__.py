"""The ``waymark`` command. Each subcommand is thin: it delegates to a service and commits."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from app import create_app, db, migrate
from app.config import Settings


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Waymark: a community service directory for social prescribing (HSDS 3 / ORUK).

    Settings come from WAYMARK_* environment variables; `waymark config` lists them.
    """
    ctx.obj = ScriptInfo(create_app=lambda: create_app(), load_dotenv_defaults=False)


@main.command("demo")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print the harvest summaries as JSON.")
def demo(as_json: bool) -> None:
    """Migrate, register the Leeds demo feeds as sources and harvest them."""
    from app.cli.harvest import print_summaries
    from app.jobs import harvest_one
    from app.services.demo import register_demo_sources

    migrate.upgrade(db.engine())
    session = db.new_session()
    try:
        names = register_demo_sources(session)
        session.commit()
    finally:
        session.close()
    summaries = [harvest_one(name) for name in names]
    print_summaries(summaries, as_json)
    if any(s.status != "succeeded" or s.counts.get("quarantined") for s in summaries):
        sys.exit(1)


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
    from app.cli import db_commands, harvest, postcodes, sources

    main.add_command(db_commands.db_group)
    main.add_command(sources.sources_group)
    main.add_command(harvest.harvest_command)
    main.add_command(harvest.scheduler_command)
    main.add_command(postcodes.postcodes_group)


_register_groups()

if __name__ == "__main__":
    main()
