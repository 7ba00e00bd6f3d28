"""Harvesting into staging: new, unchanged, updated, withdrawn, quarantined, failed."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from app.models.hsds import Location, Service
from app.models.search import SearchEntry
from app.models.staging import HarvestRun, StagedRecord
from app.services import harvest as harvest_module
from app.services import sources as registry
from app.services.compile import compile_records
from app.services.harvest import HarvestBusy, RunSummary, harvest, start_run
from importers.base import FeedError, SourceRecord
from importers.hsds_tabular import TabularFeed
from importers.identity import waymark_id
from tests.conftest import DEMO
from tests.search.test_sync import index_matches_golden


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    copy = tmp_path / "package"
    shutil.copytree(DEMO, copy)
    return copy


def _run(session: Session, name: str, feed: Any, incremental: bool = False,
         progress: Callable[[int], None] | None = None) -> RunSummary:
    source = registry.get_source(session, name)
    run = start_run(session, source, incremental, registry.utcnow())
    return harvest(session, source, run, feed, progress=progress)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _golden_services(session: Session, name: str) -> dict[str, str]:
    """golden id -> name of every service of one source that is served."""
    source = registry.get_source(session, name)
    golden = session.execute(select(StagedRecord.golden_id).where(
        StagedRecord.source_id == source.id, StagedRecord.kind == "service",
        StagedRecord.golden_id.is_not(None), StagedRecord.state != "withdrawn")).scalars().all()
    return dict(session.execute(select(Service.id, Service.name).where(Service.id.in_(golden))).tuples().all())


def test_first_harvest_stages_and_publishes_everything(session: Session, package: Path) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    summary = _run(session, "copy", TabularFeed(package))
    services = len(_rows(package / "services.csv"))
    assert summary.status == "succeeded" and summary.complete
    assert summary.counts["new"] == services + len(_rows(package / "organizations.csv")) + len(
        _rows(package / "taxonomy_terms.csv")) + len(_rows(package / "taxonomies.csv"))
    published = _golden_services(session, "copy")
    assert len(published) == services
    one = compile_records(session, "service", [next(iter(published))])[0]
    assert one["organization"]["name"] and one["id"] == next(iter(published))


def test_unchanged_reharvest_writes_nothing(session: Session, package: Path) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    first = _run(session, "copy", TabularFeed(package))
    session.flush()
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement.split("(")[0][:60])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        again = _run(session, "copy", TabularFeed(package))
        session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert again.counts["unchanged"] == first.counts["new"]
    assert again.counts["new"] == again.counts["updated"] == again.counts["withdrawn"] == 0
    touched = {w.split()[2] if w.upper().startswith("INSERT") else w.split()[1] for w in writes}
    assert touched <= {"harvest_run", "source"}, writes


def test_changed_removed_and_bad_rows(session: Session, package: Path) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    _run(session, "copy", TabularFeed(package))
    before = _golden_services(session, "copy")
    services = _rows(package / "services.csv")
    renamed, removed, broken = services[0], services[1], services[2]
    renamed["name"] = "Renamed walking group"
    broken["status"] = "sometimes"
    _write(package / "services.csv", [r for r in services if r is not removed])
    summary = _run(session, "copy", TabularFeed(package))
    assert summary.counts["updated"] == 1 and summary.counts["withdrawn"] == 1
    assert summary.counts["quarantined"] == 1
    [problem] = summary.quarantined
    assert problem["external_id"] == broken["id"] and problem["stage"] == "publish"
    assert "status" in problem["reason"] and "sometimes" not in before.values()
    after = _golden_services(session, "copy")
    assert "Renamed walking group" in after.values()
    assert len(after) == len(before) - 1  # the removed one; the broken one keeps its last good version
    source_id = registry.get_source(session, "copy").id
    withdrawn = session.execute(select(StagedRecord).where(
        StagedRecord.source_id == source_id, StagedRecord.external_id == removed["id"])).scalar_one()
    assert withdrawn.state == "withdrawn" and withdrawn.raw["name"] == removed["name"]
    assert session.get(Service, withdrawn.golden_id) is None
    quarantined = session.execute(select(StagedRecord).where(
        StagedRecord.source_id == source_id, StagedRecord.external_id == broken["id"])).scalar_one()
    assert quarantined.state == "quarantined" and quarantined.golden_id is not None
    assert session.get(Service, quarantined.golden_id) is not None


def test_a_withdrawn_member_of_a_merged_record_stops_only_its_own_copy(session: Session, package: Path) -> None:
    """Linkage points a merged member's golden_id at its cluster's golden record, which other
    members still serve: withdrawing the member takes down its own one-to-one copy only."""
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    _run(session, "copy", TabularFeed(package))
    services = _rows(package / "services.csv")
    member, holder = services[0], services[1]
    source_id = registry.get_source(session, "copy").id
    staged = {r.external_id: r for r in session.execute(select(StagedRecord).where(
        StagedRecord.source_id == source_id, StagedRecord.external_id.in_((member["id"], holder["id"])))).scalars()}
    member_id, golden = (waymark_id("copy", "service", row["id"]) for row in (member, holder))
    assert {staged[row["id"]].golden_id for row in (member, holder)} == {member_id, golden}
    staged[member["id"]].golden_id = golden  # as linkage leaves it after merging the two
    session.flush()
    _write(package / "services.csv", [r for r in services if r is not member])
    summary = _run(session, "copy", TabularFeed(package))
    assert summary.counts["withdrawn"] == 1
    session.expire_all()
    assert session.get(Service, member_id) is None
    kept = session.get(Service, golden)
    assert kept is not None and kept.name == holder["name"]


class FailingFeed:
    """Yields some records of a real feed, then fails as a dropped connection would."""

    def __init__(self, inner: TabularFeed, after: int):
        self.inner, self.after, self.complete = inner, after, False

    def records(self) -> Iterator[SourceRecord]:
        for number, item in enumerate(self.inner.records()):
            if number == self.after:
                raise FeedError("connection reset after 100 records")
            yield item


def test_a_feed_failing_part_way_keeps_what_was_there(session: Session, package: Path) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    _run(session, "copy", TabularFeed(package))
    count = len(_golden_services(session, "copy"))
    summary = _run(session, "copy", FailingFeed(TabularFeed(package), after=100))
    assert summary.status == "failed" and "connection reset" in summary.errors[0]
    assert summary.counts["withdrawn"] == 0 and not summary.complete
    assert len(_golden_services(session, "copy")) == count
    run = session.get(HarvestRun, summary.run_id)
    assert run is not None and run.status == "failed" and run.finished_at is not None


def test_an_incremental_harvest_withdraws_nothing(session: Session, package: Path) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    _run(session, "copy", TabularFeed(package))
    services = _rows(package / "services.csv")
    _write(package / "services.csv", services[:10])
    summary = _run(session, "copy", TabularFeed(package), incremental=True)
    assert summary.counts["withdrawn"] == 0 and not summary.complete
    source_id = registry.get_source(session, "copy").id
    assert session.execute(select(func.count()).select_from(StagedRecord).where(
        StagedRecord.source_id == source_id, StagedRecord.state == "withdrawn")).scalar_one() == 0


def test_no_two_runs_of_one_source_at_once(session: Session, package: Path) -> None:
    source = registry.add_source(session, "copy", "hsds_tabular", str(package))
    start_run(session, source, False, registry.utcnow())
    with pytest.raises(HarvestBusy, match="already being harvested"):
        start_run(session, source, False, registry.utcnow())


def test_unreadable_package_is_a_failed_run_not_a_crash(session: Session, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    registry.add_source(session, "empty", "hsds_tabular", str(tmp_path / "empty"))
    summary = _run(session, "empty", lambda: TabularFeed(tmp_path / "empty"))
    assert summary.status == "failed" and "no datapackage.json" in summary.errors[0]


def test_a_broken_reference_is_quarantined_not_a_crash(session: Session, package: Path) -> None:
    attributes = _rows(package / "attributes.csv")
    service_id = attributes[0]["link_id"]
    attributes[0]["taxonomy_term_id"] = "6a1b5e0e-0000-4000-8000-000000000000"  # a term nobody has
    _write(package / "attributes.csv", attributes)
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    summary = _run(session, "copy", TabularFeed(package))
    assert summary.status == "succeeded"
    [problem] = summary.quarantined
    assert problem["external_id"] == service_id and problem["stage"] == "publish"
    assert "attribute.taxonomy_term_id: refers to taxonomy_term" in problem["reason"]
    assert "which does not exist" in problem["reason"]
    assert summary.counts["new"] == sum(1 for _ in TabularFeed(package).records()) - 1


def test_locations_without_coordinates_get_their_postcodes_point(session: Session, package: Path) -> None:
    locations = _rows(package / "locations.csv")
    addresses = {a["location_id"]: a for a in _rows(package / "addresses.csv")}
    target = next(loc for loc in locations if loc["id"] in addresses and loc["latitude"])
    target["latitude"] = target["longitude"] = ""
    _write(package / "locations.csv", locations)
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    summary = _run(session, "copy", TabularFeed(package))
    assert summary.status == "succeeded" and not summary.quarantined
    placed = session.get(Location, waymark_id("copy", "location", target["id"]))
    assert placed is not None and placed.latitude is not None
    postcode = addresses[target["id"]]["postal_code"]
    assert abs(placed.latitude - 53.8) < 0.3, postcode  # somewhere in Leeds, from the postcode table


def test_on_postgresql_a_growing_harvest_refreshes_the_planners_statistics(
        session: Session, package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ANALYZE runs inside the harvest's transaction and counts the rows it has written so far:
    without it a first harvest's lookups are planned for the empty tables it started from."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the planner statistics are PostgreSQL's")
    monkeypatch.setattr("app.services.harvest._FreshStatistics.ANALYZE_FROM", 1)
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    summary = _run(session, "copy", TabularFeed(package))
    assert summary.status == "succeeded"
    staged = session.scalar(select(func.count()).select_from(StagedRecord))
    estimated = session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'staged_record'")).scalar_one()
    # the first ANALYZE came after the first batch, which held the whole (small) package
    assert estimated == staged


def test_on_sqlite_a_harvest_gives_back_the_connections_cache_and_memory_map(session: Session, package: Path) -> None:
    """While harvesting, SQLite gets a larger page cache and no memory map (the map would count
    every staged payload read in the process's memory); searches afterwards get theirs back."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's connection settings")
    connection = session.connection()
    before = [connection.exec_driver_sql(f"PRAGMA {name}").scalar_one() for name in ("cache_size", "mmap_size")]
    seen: list[Any] = []
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    _run(session, "copy", TabularFeed(package), progress=lambda _n: seen.append(
        connection.exec_driver_sql("PRAGMA mmap_size").scalar_one()))
    assert seen and set(seen) == {0}
    after = [connection.exec_driver_sql(f"PRAGMA {name}").scalar_one() for name in ("cache_size", "mmap_size")]
    assert after == before


@pytest.fixture()
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7 records: many per harvest, each publishing and indexing on its own."""
    monkeypatch.setattr(harvest_module, "BATCH", 7)


def test_the_index_matches_the_golden_records_after_multi_batch_harvests(
        session: Session, package: Path, small_batches: None) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    first = _run(session, "copy", TabularFeed(package))
    assert first.counts["new"] > 3 * 7  # several batches
    assert index_matches_golden(session)
    services = _rows(package / "services.csv")
    services[0]["name"] = "Renamed walking group"
    _write(package / "services.csv", services[2:] + services[:1])  # one renamed, one withdrawn
    again = _run(session, "copy", TabularFeed(package))
    assert again.counts["updated"] == 1 and again.counts["withdrawn"] == 1
    assert index_matches_golden(session)
    renamed, withdrawn = (waymark_id("copy", "service", row["id"]) for row in services[:2])
    assert set(session.scalars(select(SearchEntry.name).where(SearchEntry.service_id == renamed))) \
        <= {"Renamed walking group"}
    assert session.scalar(select(func.count()).where(SearchEntry.service_id == withdrawn)) == 0


class BrokenFeed(FailingFeed):
    """Fails part-way with an error no feed is expected to raise (a bug, a lost database)."""

    def records(self) -> Iterator[SourceRecord]:
        for number, item in enumerate(self.inner.records()):
            if number == self.after:
                raise RuntimeError("unexpected")
            yield item


def test_the_index_matches_after_a_harvest_fails_part_way_or_is_rolled_back(
        session: Session, package: Path, small_batches: None) -> None:
    registry.add_source(session, "copy", "hsds_tabular", str(package))
    before_services = sum(len(_rows(package / f"{kind}.csv")) for kind in ("taxonomies", "taxonomy_terms",
                                                                           "organizations"))
    failed = _run(session, "copy", FailingFeed(TabularFeed(package), after=before_services + 40))
    assert failed.status == "failed" and len(_golden_services(session, "copy")) > 7  # several batches
    assert index_matches_golden(session)  # what the failed run published stays, indexed
    # (The tests' database is shared: a savepoint stands for the transaction a failed harvest's caller rolls back.)
    served = _golden_services(session, "copy")
    savepoint = session.begin_nested()
    with pytest.raises(RuntimeError):
        _run(session, "copy", BrokenFeed(TabularFeed(package), after=before_services + 80))
    savepoint.rollback()
    assert index_matches_golden(session)
    assert _golden_services(session, "copy") == served
