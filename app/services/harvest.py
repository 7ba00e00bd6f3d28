"""Harvest one source into per-source staging, and publish what changed.

For every record a feed yields: hash it; if the source gave exactly this before,
write nothing; if it is new or changed, stage it (raw payload, normalised HSDS with
Waymark ids, hash, provenance) and publish it to the golden tables; if it has
problems, quarantine it with the stage and a reason a maintainer can read. After a
complete (not incremental) read, records the source no longer lists are withdrawn:
kept in staging with their history, no longer served (taxonomies and their terms,
which other sources share, stay published). A feed that fails part-way
keeps everything that was already there and withdraws nothing.

Until de-duplication exists, each staged record publishes one to one.
"""

from __future__ import annotations

import datetime
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.geo.geocoder import AddressGeocoder
from app.models.base import Base
from app.models.staging import HarvestRun, Source, StagedRecord
from app.services.geocode import place_coordinates
from app.services.publish import (
    RecordError,
    Written,
    insert_rows,
    publish,
    unpublish,
    update_rows,
    write_prepared,
)
from importers.base import KINDS, Feed, FeedError, SourceRecord
from importers.base import content_hash as record_hash
from importers.identity import SHARED_TABLES, Preparation, scope_ids
from schema.flatten import Flattened, flatten_record, stamp
from schema.records import load_value

BATCH = 500
PAGE_CACHE_MB = 128  # SQLite page cache while harvesting (see _larger_page_cache)
STALE_RUN = datetime.timedelta(hours=6)
OUTCOMES = ("new", "updated", "unchanged", "withdrawn", "quarantined")
log = logging.getLogger(__name__)


class HarvestBusy(RuntimeError):
    """Another harvest of the same source is still running."""


@dataclass
class RunSummary:
    source: str
    run_id: int
    status: str = "running"
    incremental: bool = False
    complete: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    quarantined: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    not_modified: bool = False
    notes: list[str] = field(default_factory=list)  # not fatal: e.g. a postcode not in the postcode table

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "run_id": self.run_id, "status": self.status,
            "incremental": self.incremental, "complete": self.complete, "not_modified": self.not_modified,
            "counts": {k: self.counts.get(k, 0) for k in OUTCOMES},
            "errors": self.errors, "quarantined": self.quarantined, "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def content_hash(item: SourceRecord) -> str:
    """The record's content hash: made by the adapter when it prepared the record, else here."""
    if item.digest is not None:
        return item.digest
    return record_hash(item.raw, item.record, item.problems)


def _known_hashes(session: Session, source: Source) -> dict[str, str]:
    """External id -> content hash of the records of ``source`` staged and not withdrawn."""
    return dict(session.execute(
        select(StagedRecord.external_id, StagedRecord.content_hash)
        .where(StagedRecord.source_id == source.id, StagedRecord.state != "withdrawn")).tuples().all())


def start_run(session: Session, source: Source, incremental: bool, now: datetime.datetime) -> HarvestRun:
    """Open a run, refusing if another run of this source is still going."""
    running = session.execute(
        select(HarvestRun.id).where(HarvestRun.source_id == source.id, HarvestRun.status == "running",
                                    HarvestRun.started_at > now - STALE_RUN)).first()
    if running is not None:
        raise HarvestBusy(f"source {source.name!r} is already being harvested (run {running[0]})")
    run = HarvestRun(source_id=source.id, started_at=now, status="running", incremental=incremental,
                     counts={}, errors=[])
    session.add(run)
    session.flush()
    return run


def harvest(session: Session, source: Source, run: HarvestRun, feed: Feed | Callable[[], Feed],
            progress: Callable[[int], None] | None = None,
            clock: Callable[[], datetime.datetime] | None = None,
            geocoder: AddressGeocoder | None = None) -> RunSummary:
    """Run a started harvest of ``source`` from ``feed`` (or a function opening it); flushes,
    never commits. A FeedError, even from opening the feed, gives a failed run, not an exception.
    Locations without coordinates get their postcode's point (or the ``geocoder``'s)."""
    now = run.started_at
    started = time.perf_counter()
    incremental = run.incremental
    summary = RunSummary(source.name, run.id, incremental=incremental)
    seen: set[str] = set()
    written = Written()  # shared rows this harvest wrote, for as long as its batches run
    try:
        feed = feed() if callable(feed) else feed
        if hasattr(feed, "prepare_for"):  # the feed hashes and scopes its records as it reads them
            setattr(feed, "prepare_for", Preparation(source.name, partial(_known_hashes, session, source)))  # noqa: B010
        statistics = _FreshStatistics(session)
        # Counting and withdrawing read every staged row of the source too: still with the harvest's settings.
        with _larger_page_cache(session):
            with _collecting_per_batch() as collect:
                for batch in _batches(feed.records(), BATCH):
                    _stage_batch(session, source, run, batch, now, seen, summary, written, geocoder)
                    size = len(batch)
                    batch.clear()  # its records are written: gone before the collector looks
                    collect()
                    statistics.after(sum(summary.counts[k] for k in ("new", "updated", "quarantined")))
                    if progress:
                        progress(size)
            if getattr(feed, "not_modified", False):
                _count_unchanged(session, source, summary)
            summary.complete = bool(feed.complete) and not incremental
            if summary.complete:
                _refuse_to_empty(session, source, seen)
                _withdraw_missing(session, source, run, seen, now, summary)
                source.last_complete_at = now
                _remember(source, "fingerprint", getattr(feed, "fingerprint", None))
        summary.status = "succeeded"
    except FeedError as exc:
        summary.status = "failed"
        summary.errors.append(str(exc))
    flag_modified(source, "http_cache")  # feeds keep ETags there, changing the dict in place
    _finish(session, run, summary, started, clock)
    return summary


@contextmanager
def _collecting_per_batch() -> Iterator[Callable[[], None]]:
    """Run the cyclic garbage collector once per batch instead of whenever it likes.

    A batch makes hundreds of thousands of short-lived containers (nested records, rows,
    parameters) that reference counting frees, and keeps a batch's worth alive until it is
    written. Left automatic, the collector runs every 700 allocations and, as survivors
    pile up, keeps rescanning the whole heap: a fifth of a harvest's time or more. Between
    batches nearly everything is gone, so one young-generation collection there is cheap
    and still frees any cycles. Automatic collection comes back when the harvest ends."""
    def collect() -> None:
        gc.collect(1)

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield collect
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _larger_page_cache(session: Session) -> Iterator[None]:
    """On SQLite, give the harvest's connection a page cache of ``PAGE_CACHE_MB`` and no memory
    map while it runs.

    SQLite keeps 2 MB of pages per connection. A harvest inserts into a dozen indexes keyed
    by random UUIDs, so beyond a few thousand records most inserts miss that cache and read
    and spill pages through the OS; at 100,000 records that was a third of the write time.
    The pages are only taken as they are needed. The application maps up to 256 MB of the
    database file for searches (``app.db``); a harvest reads staging (raw and normalised
    payloads) and the golden tables through it once, and every page it touches counts in the
    process's resident memory: 250 MB more at 100,000 records, for reads the page cache
    serves as fast. Both settings are put back afterwards."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = {name: int(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one())
                for name in ("cache_size", "mmap_size")}
    connection.exec_driver_sql(f"PRAGMA cache_size = -{PAGE_CACHE_MB * 1024}")
    connection.exec_driver_sql("PRAGMA mmap_size = 0")
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):  # a failed transaction must not hide the harvest's own error
            for name, value in previous.items():
                connection.exec_driver_sql(f"PRAGMA {name} = {value}")


class _FreshStatistics:
    """On PostgreSQL, ANALYZE the tables a harvest fills each time it has written ``growth`` times
    as many records as at the last time (from ``ANALYZE_FROM`` records on).

    The planner judges a table by its last statistics, and a first harvest starts from empty
    tables: it then reads ``staged_record WHERE source_id = ? AND external_id IN (...)`` through
    the source_id index and filters every record of the source, and a service's attributes
    through the link_entity index: 300 ms a batch at 20,000 records, more with every batch, so
    quadratic in the feed. ANALYZE inside the transaction counts the rows it has written,
    so the plans use the (source, external id) and link_id indexes again. A harvest of 100,000
    records analyses four times; each is a savepoint, so a refusal costs no more than the plans."""

    ANALYZE_FROM = 1000

    def __init__(self, session: Session, growth: int = 4):
        self.session = session
        self.growth = growth
        self.enabled = session.get_bind().dialect.name == "postgresql"
        self.next_at = self.ANALYZE_FROM

    def after(self, written: int) -> None:
        if not self.enabled or written < self.next_at:
            return
        self.next_at = written * self.growth
        try:
            with self.session.begin_nested():
                for table in _filled_tables():
                    self.session.execute(text(f'ANALYZE "{table}"'))
        except SQLAlchemyError:
            log.warning("Could not ANALYZE the harvested tables; the harvest goes on with older statistics",
                        exc_info=True)
            self.enabled = False


def _filled_tables() -> list[str]:
    """The tables a harvest writes many rows to: staging, the golden HSDS tables and the search index."""
    modules = {"app.models.hsds", "app.models.search"}
    tables = {table.name for mapper in Base.registry.mappers if mapper.class_.__module__ in modules
              for table in mapper.tables}
    return ["staged_record", *sorted(tables)]


def _count_unchanged(session: Session, source: Source, summary: RunSummary) -> None:
    """The source said nothing changed: every record stands as it is."""
    states = dict(session.execute(
        select(StagedRecord.state, func.count()).where(StagedRecord.source_id == source.id)
        .group_by(StagedRecord.state)).tuples().all())
    summary.counts["unchanged"] += states.get("active", 0)
    summary.counts["quarantined"] += states.get("quarantined", 0)
    summary.not_modified = True


def _refuse_to_empty(session: Session, source: Source, seen: set[str]) -> None:
    """A feed that suddenly lists nothing is far likelier broken than emptied."""
    if seen:
        return
    active = session.execute(select(func.count()).select_from(StagedRecord).where(
        StagedRecord.source_id == source.id, StagedRecord.state == "active")).scalar_one()
    if active:
        raise FeedError(f"the feed listed no records at all; refusing to withdraw all {active} records of "
                        f"{source.name!r} (if the source really closed, disable it)")


def _remember(source: Source, key: str, value: str | None) -> None:
    cache = dict(source.http_cache or {})
    if value is None:
        cache.pop(key, None)
    else:
        cache[key] = value
    source.http_cache = cache


def abandon_run(session: Session, run_id: int, error: str) -> None:
    """Mark a run that died unexpectedly as failed, so the source can be harvested again."""
    run = session.get(HarvestRun, run_id)
    if run is not None:
        run.status = "failed"
        run.errors = [*run.errors, error]
        run.finished_at = _utcnow()
        session.flush()


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _batches(items: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _finish(session: Session, run: HarvestRun, summary: RunSummary, started: float,
            clock: Callable[[], datetime.datetime] | None) -> None:
    summary.seconds = time.perf_counter() - started
    run.status = summary.status
    run.complete = summary.complete
    run.counts = {k: summary.counts.get(k, 0) for k in OUTCOMES}
    run.errors = (summary.errors + [f"{q['external_id']} ({q['origin']}): {q['stage']}: {q['reason']}"
                                    for q in summary.quarantined] + [f"note: {n}" for n in summary.notes])
    run.finished_at = (clock or _utcnow)()
    session.flush()


@dataclass
class _Staging:
    """One batch's staging work: classified first, published, then written in bulk."""

    new_rows: list[dict[str, Any]] = field(default_factory=list)
    changed_rows: list[dict[str, Any]] = field(default_factory=list)  # with the staged row's "id"

    def write(self, session: Session) -> None:
        connection = session.connection()
        table = StagedRecord.__table__
        assert isinstance(table, Table)
        if self.new_rows:
            insert_rows(connection, table, tuple(self.new_rows[0]), self.new_rows)
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in self.changed_rows:
            by_keys.setdefault(tuple(k for k in row if k != "id"), []).append(row)
        for keys, rows in by_keys.items():
            update_rows(connection, table, keys, rows)


@dataclass
class _Candidate:
    """A new or changed record to publish: as read, its hash, its normalised record and, if the
    feed's reader made them, its rows (``schema.flatten``)."""

    item: SourceRecord
    digest: str
    normalised: dict[str, Any]
    flattened: Flattened | None


def _stage_batch(session: Session, source: Source, run: HarvestRun, batch: list[SourceRecord],
                 now: datetime.datetime, seen: set[str], summary: RunSummary, written: Written | None = None,
                 geocoder: AddressGeocoder | None = None) -> None:
    existing = {row.external_id: row for row in session.execute(
        select(StagedRecord.id, StagedRecord.external_id, StagedRecord.content_hash, StagedRecord.state)
        .where(StagedRecord.source_id == source.id,
               StagedRecord.external_id.in_([item.external_id for item in batch])))}
    candidates: list[_Candidate] = []
    staging = _Staging()
    for item in batch:
        if item.external_id in seen:
            item = _repeated(item)
        seen.add(item.external_id)
        digest = content_hash(item)
        previous = existing.get(item.external_id)
        if previous is not None and previous.content_hash == digest and previous.state != "withdrawn":
            summary.counts["unchanged" if previous.state == "active" else "quarantined"] += 1
            continue
        if item.unchanged:  # cannot happen: a source's harvests never overlap (HarvestBusy)
            raise RuntimeError(f"{item.external_id}: the feed left it out as staged, but staging has changed")
        normalised = _normalised(source, item)
        if item.problems or normalised is None:
            _quarantine(session, staging, source, run, item, digest, normalised, now, previous, summary,
                        item.stage, "; ".join(item.problems) or "no record could be made")
        else:
            flattened = item.flattened if item.scoped_for == source.name else None
            candidates.append(_Candidate(item, digest, normalised, flattened))
    _place_locations(session, candidates, summary, geocoder)
    failures = _publish(session, candidates, now, written)
    for candidate in candidates:
        item, digest, normalised = candidate.item, candidate.digest, candidate.normalised
        previous = existing.get(item.external_id)
        if item.external_id in failures:
            _quarantine(session, staging, source, run, item, digest, normalised, now, previous, summary,
                        "publish", failures[item.external_id])
            continue
        summary.counts["updated" if previous is not None else "new"] += 1
        _write_staged(session, staging, source, run, item, digest, normalised, now, previous, "active")
    staging.write(session)


def _place_locations(session: Session, candidates: list[_Candidate], summary: RunSummary,
                     geocoder: AddressGeocoder | None) -> None:
    """Points for locations that came without: one postcode query per batch; problems are notes.
    A record flattened already gets the points in its location rows too."""
    placed = place_coordinates(session, [(c.item.kind, c.normalised) for c in candidates], geocoder)
    for candidate, (notes, locations) in zip(candidates, placed, strict=True):
        summary.notes += [f"{candidate.item.external_id} ({candidate.item.origin}): {note}" for note in notes]
        if locations and candidate.flattened is not None and not _with_points(candidate.flattened, locations):
            candidate.flattened = None  # flattened again, from the record with its points


def _with_points(flattened: Flattened, locations: list[dict[str, Any]]) -> bool:
    """Give the location rows of a flattened record the points placed on its ``locations``, as
    flattening the record with them would have. False if that cannot be told row by row (the
    record has the location again with a point of its own): then it must be flattened again."""
    rows = flattened.rows.get("location", {})
    given: set[str] = set()
    for location in locations:
        location_id = load_value("location", "id", location.get("id"))
        row = rows.get(location_id)
        if row is None or (location_id not in given
                           and (row.get("latitude") is not None or row.get("longitude") is not None)):
            return False
        row["latitude"] = load_value("location", "latitude", location["latitude"])
        row["longitude"] = load_value("location", "longitude", location["longitude"])
        given.add(location_id)
    return True


def _repeated(item: SourceRecord) -> SourceRecord:
    problems = item.problems or [f"id {item.external_id} appeared again in this harvest; the first was kept"]
    return SourceRecord(f"{item.external_id}#again at {item.origin}", item.kind, item.raw, None, item.origin,
                        problems, "fetch")


def _normalised(source: Source, item: SourceRecord) -> dict[str, Any] | None:
    if item.record is None or item.kind not in KINDS:
        return None
    if item.scoped_for == source.name:
        return item.record
    return scope_ids(source.name, item.kind, item.record)


def _publish(session: Session, candidates: list[_Candidate], now: datetime.datetime,
             written: Written | None = None) -> dict[str, str]:
    """Publish by kind, referenced kinds first; returns external id -> reason for records refused.
    Records come flattened from the feed's reader, or are flattened here."""
    failures: dict[str, str] = {}
    for kind in KINDS:
        valid: list[_Candidate] = []
        for candidate in candidates:
            if candidate.item.kind != kind:
                continue
            if candidate.flattened is None:
                candidate.flattened = flatten_record(kind, candidate.normalised)
            if candidate.flattened.problems:
                failures[candidate.item.external_id] = _readable(candidate.flattened.problems)
            else:
                valid.append(candidate)
        if valid:
            failures.update(_publish_each_if_refused(session, kind, valid, now, written))
    return failures


def _publish_each_if_refused(session: Session, kind: str, group: list[_Candidate], now: datetime.datetime,
                             written: Written | None) -> dict[str, str]:
    """Write valid records' rows together; if that is refused (a reference to a row that does not
    exist), publish them one at a time, to tell whose reference it is. Returns external id -> reason."""
    merged = Flattened()
    for candidate in group:
        assert candidate.flattened is not None
        merged.absorb(candidate.flattened)
        candidate.flattened = None  # its rows are the merged ones now
    try:
        write_prepared(session, stamp(kind, merged, now), written)
        return {}
    except RecordError:  # refused before anything was written
        pass
    failures: dict[str, str] = {}
    for candidate in group:
        try:
            publish(session, kind, [candidate.normalised], now=now, written=written)
        except RecordError as exc:
            failures[candidate.item.external_id] = _readable(exc.problems)
    return failures


def _readable(problems: dict[str, list[str]]) -> str:
    return "; ".join(f"{path}: {' '.join(messages)}" for path, messages in sorted(problems.items()))


def _quarantine(session: Session, staging: _Staging, source: Source, run: HarvestRun, item: SourceRecord,
                digest: str, normalised: dict[str, Any] | None, now: datetime.datetime, previous: Any,
                summary: RunSummary, stage: str, reason: str) -> None:
    summary.counts["quarantined"] += 1
    summary.quarantined.append({"external_id": item.external_id, "origin": item.origin,
                                "stage": stage, "reason": reason})
    _write_staged(session, staging, source, run, item, digest, normalised, now, previous, "quarantined",
                  stage, reason)


def _write_staged(session: Session, staging: _Staging, source: Source, run: HarvestRun, item: SourceRecord,
                  digest: str, normalised: dict[str, Any] | None, now: datetime.datetime, previous: Any,
                  state: str, stage: str | None = None, reason: str | None = None) -> None:
    values: dict[str, Any] = {
        "kind": item.kind, "origin": item.origin, "raw": item.raw, "normalised": normalised,
        "content_hash": digest, "state": state, "quarantine_stage": stage, "quarantine_reason": reason,
        "golden_id": normalised.get("id") if normalised and state == "active" else None,
        "last_seen": now, "last_changed": now, "run_id": run.id,
    }
    if previous is None:
        staging.new_rows.append({"source_id": source.id, "external_id": item.external_id, "first_seen": now,
                                 **values})
        return
    if state == "quarantined" and previous.state == "active":
        values.pop("golden_id")  # the last good version stays served
    staging.changed_rows.append({"id": previous.id, **values})


def _withdraw_missing(session: Session, source: Source, run: HarvestRun, seen: set[str],
                      now: datetime.datetime, summary: RunSummary) -> None:
    """After a complete read: records the source no longer lists stop being served.

    Each stops being served under its own id, the one it was published under one to one
    (``normalised["id"]``), never under ``golden_id``: linkage points that at the merged
    cluster's golden record, which the other members still serve; the next linkage run
    merges them again without the withdrawn one."""
    rows = session.execute(
        select(StagedRecord.id, StagedRecord.external_id, StagedRecord.kind, StagedRecord.golden_id)
        .where(StagedRecord.source_id == source.id, StagedRecord.state != "withdrawn")).all()
    gone = [row for row in rows if row.external_id not in seen]
    own = _own_ids(session, [row.id for row in gone if row.golden_id and row.kind not in SHARED_TABLES])
    for kind in reversed(KINDS):
        if kind in SHARED_TABLES:  # vocabularies other sources may use stay published
            continue
        served = [own[row.id] for row in gone if row.kind == kind and row.id in own]
        for start in range(0, len(served), BATCH):
            unpublish(session, kind, served[start:start + BATCH])
    ids = [row.id for row in gone]
    for start in range(0, len(ids), BATCH):
        session.execute(update(StagedRecord).where(StagedRecord.id.in_(ids[start:start + BATCH]))
                        .values(state="withdrawn", last_changed=now, run_id=run.id))
    summary.counts["withdrawn"] += len(gone)


def _own_ids(session: Session, staged_ids: list[int]) -> dict[int, str]:
    """Staged record id -> the id its record was published under one to one (its normalised id).
    Read for the records withdrawn only: the normalised payloads are the biggest column."""
    found: dict[int, str] = {}
    for start in range(0, len(staged_ids), BATCH):
        for staged_id, normalised in session.execute(
                select(StagedRecord.id, StagedRecord.normalised)
                .where(StagedRecord.id.in_(staged_ids[start:start + BATCH]))).tuples():
            if isinstance(normalised, dict) and normalised.get("id"):
                found[staged_id] = str(normalised["id"])
    return found
