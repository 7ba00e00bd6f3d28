"""`waymark harvest`: harvest sources now, with a progress bar and a summary, then link what they brought."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app import db
from app.jobs import harvest_one, link_now
from app.services import sources as registry
from app.services.harvest import OUTCOMES, HarvestBusy, RunSummary


def _harvest_with_progress(name: str, incremental: bool, force: bool, show: bool) -> RunSummary:
    if not show:
        return harvest_one(name, incremental, force=force)
    with click.progressbar(length=0, label=f"{name:20}", show_pos=True, file=sys.stderr) as bar:
        return harvest_one(name, incremental, progress=bar.update, force=force)


def _table(summaries: list[RunSummary]) -> str:
    head = f"{'source':20} {'status':10} " + " ".join(f"{o:>11}" for o in OUTCOMES) + f" {'seconds':>8}"
    lines = [head]
    for s in summaries:
        lines.append(f"{s.source:20} {s.status:10} " + " ".join(f"{s.counts.get(o, 0):11d}" for o in OUTCOMES)
                     + f" {s.seconds:8.1f}")
        lines += [f"  error: {e}" for e in s.errors]
        lines += [f"  note: {n}" for n in s.notes[:10]]
        if len(s.notes) > 10:
            lines.append(f"  ... and {len(s.notes) - 10} more notes (waymark sources runs {s.source})")
        lines += [f"  quarantined {q['external_id']} ({q['origin']}) at {q['stage']}: {q['reason']}"
                  for q in s.quarantined[:20]]
        if len(s.quarantined) > 20:
            lines.append(f"  ... and {len(s.quarantined) - 20} more quarantined (waymark sources show {s.source})")
    return "\n".join(lines)


def print_summaries(summaries: list[RunSummary], as_json: bool, linkage: dict[str, Any] | None = None) -> None:
    """The harvest table (or JSON), and the linkage run that followed, if one did."""
    if as_json:
        payload: dict[str, Any] = (summaries[0].to_dict() if len(summaries) == 1
                                   else {"runs": [s.to_dict() for s in summaries]})
        if linkage is not None:
            payload["linkage"] = linkage
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(_table(summaries))
        if linkage is not None:
            from app.cli.linkage import describe_summary

            click.echo(describe_summary(linkage))


def link_after(summaries: list[RunSummary]) -> dict[str, Any] | None:
    """Run linkage after harvests that succeeded (``linkage_after_harvest``), so merged members a harvest published
    again one to one are folded back into their golden records. A failure is reported, not raised."""
    if not current_app.config["WAYMARK"].linkage_after_harvest or not any(s.status == "succeeded" for s in summaries):
        return None
    try:
        return link_now()
    except Exception as error:  # the harvests are committed; say what went wrong with linkage
        click.echo(f"error: linkage after the harvest failed: {error}", err=True)
        return {"status": "failed", "run_id": None, "counts": {}, "timings": {}, "errors": [str(error)]}


@click.command("harvest")
@with_appcontext
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every enabled source.")
@click.option("--incremental", is_flag=True, help="Only what changed since the last clean run (withdraws nothing).")
@click.option("--force", is_flag=True, help="Read every record even if the source looks unchanged.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as one JSON object.")
def harvest_command(names: tuple[str, ...], all_: bool, incremental: bool, force: bool, as_json: bool) -> None:
    """Harvest sources NAMES (or --all) now, then run linkage (unless WAYMARK_LINKAGE_AFTER_HARVEST is false).

    Exits 1 if any harvest or the linkage run failed."""
    if all_:
        session = db.new_session()
        names = tuple(s.name for s in registry.list_sources(session) if s.enabled)
        session.close()
    if not names:
        raise click.UsageError("name at least one source, or --all")
    summaries: list[RunSummary] = []
    try:
        for name in names:
            summaries.append(_harvest_with_progress(name, incremental, force, show=not as_json))
    except (registry.SourceError, HarvestBusy) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    linkage = link_after(summaries)
    print_summaries(summaries, as_json, linkage)
    if any(s.status != "succeeded" for s in summaries) or (linkage is not None and linkage["status"] == "failed"):
        sys.exit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process: harvest each enabled source on its cron schedule.

    Jobs persist in the database; sources added or changed are picked up within a
    minute. Stop with Ctrl-C or SIGTERM."""
    import signal

    from flask import current_app

    from app.jobs import run_scheduler

    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    click.echo("scheduler running; Ctrl-C to stop", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        run_scheduler(current_app._get_current_object(), stop=lambda: bool(stopping))  # type: ignore[attr-defined]
