"""`waymark search`: rebuild the search index and see whether it is complete.

The index follows every publish on its own (``app.search.sync``); a rebuild is for a new
backend, a changed analyser or synonyms list, or an index that fell behind.
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from app import db
from app.search import backend_of
from app.search.sync import expected_documents, reindex


@click.group("search")
def search_group() -> None:
    """The search index behind the directory's list endpoints."""


@search_group.command("reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild the configured backend's index from the golden records (searches go on from
    the old index until the new one is complete)."""
    session = db.new_session()
    try:
        started = time.perf_counter()
        count = reindex(session)
        session.commit()
        click.echo(f"Indexed {count:,} documents in {time.perf_counter() - started:.1f} s "
                   f"({backend_of(session).name} backend).")
    finally:
        session.close()


@search_group.command("status")
@with_appcontext
def search_status() -> None:
    """The backend in use and how many documents it holds against how many the golden
    records make (exit status 1 when they differ: run `waymark search reindex`)."""
    session = db.new_session()
    try:
        backend = backend_of(session)
        indexed, expected = backend.count(session), expected_documents(session)
    finally:
        session.close()
    click.echo(f"backend: {backend.name}\ndocuments indexed: {indexed:,}\ndocuments expected: {expected:,}")
    if indexed != expected:
        click.echo("The index is incomplete: run `waymark search reindex`.", err=True)
        raise SystemExit(1)
