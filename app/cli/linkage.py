"""`waymark linkage`: de-duplicate staged records into golden records, export and evaluate the result, review pairs.

Each command delegates to ``app.services.linkage`` and commits. Mistakes (an unknown entity, a truth file without
the right columns, a review pair that does not exist) exit with status 2 and say what was wrong.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from app import db
from app.linkage.survivorship import TrustError
from app.services import linkage as service
from app.services.linkage_records import ENTITIES

ENTITY = click.Choice(ENTITIES)
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _read(work: Callable[[Session], T]) -> T:
    """``work`` in a session of its own that is closed afterwards (reading commands commit nothing)."""
    session = db.new_session()
    try:
        return work(session)
    finally:
        session.close()


def _options() -> service.LinkageOptions:
    try:
        return service.LinkageOptions.from_settings(current_app.config["WAYMARK"])
    except (service.LinkageError, TrustError) as error:
        _fail(str(error))


def describe_summary(summary: dict[str, Any]) -> str:
    """A linkage run as a few lines of text: per entity, records in, golden records out, pairs waiting."""
    counts, timings = summary["counts"], summary["timings"]
    lines = [f"linkage run {summary['run_id']}: {summary['status']} in {timings.get('seconds', 0):.1f} s "
             f"(CPU {timings.get('cpu_seconds', 0):.1f} s)"]
    if summary["status"] == "skipped":
        lines.append(f"  {counts.get('reason', 'nothing to do')}")
        return "\n".join(lines)
    lines.append(f"  re-scored {counts['rescored']} records ({counts['refreshed_staged']} staged records harvested "
                 "since the last run)")
    for entity in ENTITIES:
        c = counts[entity]
        lines.append(f"  {entity:12} {c['records']:7d} records -> {c['golden_records']:7d} golden; "
                     f"{c['auto_merge']} merged pairs, {c['review_waiting']} waiting for review")
    golden = counts["golden"]
    lines.append(f"  published {golden['published']}; unchanged {golden['unchanged']}; "
                 f"unpublished merged copies {golden['unpublished']}")
    lines += [f"  error: {e}" for e in summary["errors"][:20]]
    return "\n".join(lines)


@click.group("linkage")
def linkage_group() -> None:
    """De-duplicate staged records into golden records; review the pairs linkage is unsure about."""


@linkage_group.command("run")
@with_appcontext
@click.option("--force", is_flag=True, help="Link every record again, refitting the model, even if nothing changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
def run_command(force: bool, as_json: bool) -> None:
    """Link locations, then organisations, then services, and publish one golden record per cluster.

    Skipped (quickly) when no staged record, decision, override or setting changed since the last run."""
    from app.jobs import link_now

    _options()
    summary = link_now(force=force)
    click.echo(json.dumps(summary, indent=2) if as_json else describe_summary(summary))
    if summary["status"] == "failed" or summary["errors"]:
        sys.exit(1)


@linkage_group.command("export")
@with_appcontext
@click.option("--entity", type=ENTITY, required=True, help="Which golden id to write for each staged record.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="CSV file to write: source, external_id, golden_id.")
def export_command(entity: str, out: Path) -> None:
    """Write source, external_id, golden_id for every staged record (golden_id empty when not linked)."""
    rows = _read(lambda session: service.export_rows(session, entity))
    try:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source", "external_id", "golden_id"])
            writer.writerows(rows)
    except OSError as error:
        _fail(f"--out {out}: {error.strerror or error}")
    click.echo(f"wrote {len(rows)} rows to {out}", err=True)


@linkage_group.command("evaluate")
@with_appcontext
@click.option("--entity", type=ENTITY, required=True)
@click.option("--truth", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV with columns source, external_id, truth_id (one line per staged record).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(entity: str, truth: Path, as_json: bool) -> None:
    """Pairwise precision, recall and F1 of the golden records against a truth file, and blocking recall."""
    try:
        with truth.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"source", "external_id", "truth_id"} - set(reader.fieldnames or ())
            if missing:
                _fail(f"--truth {truth}: missing column(s) {', '.join(sorted(missing))} "
                      "(columns must be source, external_id, truth_id)")
            labels = service.read_truth(reader, str(truth))
    except (service.LinkageError, UnicodeDecodeError, csv.Error) as error:
        _fail(str(error))
    options = _options()
    figures = _read(lambda session: service.evaluate(session, entity, labels, options))
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(f"{entity}: {figures['records']} staged records in the truth file ({figures['not_staged']} not staged)")
    for name in ("precision", "recall", "f1", "blocking_recall"):
        click.echo(f"  {name:16} {figures[name]:.4f}")
    click.echo(f"  pairs: {figures['true_positives']} right of {figures['predicted_pairs']} predicted, "
               f"{figures['true_pairs']} true")


@linkage_group.group("review")
def review_group() -> None:
    """The pairs linkage is unsure about: list them, accept (same) or reject (different)."""


@review_group.command("list")
@with_appcontext
@click.option("--entity", type=ENTITY, default=None)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def review_list(entity: str | None, limit: int, as_json: bool) -> None:
    """Pairs waiting, most uncertain first, with the evidence for and against (in bits)."""
    pairs = _read(lambda session: service.review_pairs(session, entity))
    if as_json:
        click.echo(json.dumps(pairs[:limit], indent=2))
        return
    click.echo(f"{len(pairs)} pairs waiting" + (f" (showing {limit})" if len(pairs) > limit else ""))
    for pair in pairs[:limit]:
        evidence = ", ".join(f"{e['field']} {e['level']} {e['weight']:+.1f}" for e in pair["evidence"]
                             if e["weight"])
        a, b = pair["a"], pair["b"]
        click.echo(f"{pair['id']:6d} {pair['entity']:12} p={pair['probability']:.2f} "
                   f"{a['name'] or '?'!r} ({a['source']}/{a['external_id']}) ~ "
                   f"{b['name'] or '?'!r} ({b['source']}/{b['external_id']})\n       {evidence}")


def _decide(pair_id: int, same: bool) -> None:
    session = db.new_session()
    try:
        decided = service.decide(session, pair_id, same, decided_by="cli")
        session.commit()
    except service.LinkageError as error:
        _fail(str(error))
    finally:
        session.close()
    verdict = "the same" if same else "different"
    click.echo(f"pair {pair_id}: {decided['a']} and {decided['b']} are {verdict}; "
               "the next `waymark linkage run` applies it")


@review_group.command("accept")
@with_appcontext
@click.argument("pair_id", type=int)
def review_accept(pair_id: int) -> None:
    """PAIR_ID is one thing: merge the two records."""
    _decide(pair_id, True)


@review_group.command("reject")
@with_appcontext
@click.argument("pair_id", type=int)
def review_reject(pair_id: int) -> None:
    """PAIR_ID is two things: keep the records apart for good."""
    _decide(pair_id, False)


@linkage_group.command("override")
@with_appcontext
@click.argument("golden_id")
@click.argument("field")
@click.argument("value", required=False)
@click.option("--clear", is_flag=True, help="Remove the override: the sources decide again.")
def override_command(golden_id: str, field: str, value: str | None, clear: bool) -> None:
    """Set FIELD of golden record GOLDEN_ID to VALUE whatever the sources say (VALUE as JSON if it parses, else
    text); --clear removes it. The next `waymark linkage run` publishes it."""
    if clear == (value is not None):
        _fail("give a VALUE or --clear (not both)")
    parsed: Any = None
    if value is not None:
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
    session = db.new_session()
    try:
        done = service.set_override(session, golden_id, field, parsed, set_by="cli")
        session.commit()
    except service.LinkageError as error:
        _fail(str(error))
    finally:
        session.close()
    if clear:
        click.echo(f"{done['entity']} {golden_id}: {field} " + ("follows the sources again" if done["removed"]
                                                               else "had no override"))
    else:
        click.echo(f"{done['entity']} {golden_id}: {field} = {json.dumps(parsed)} from the next linkage run")
