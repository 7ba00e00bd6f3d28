"""Search documents built from the rows a harvest has just written are the documents the golden
tables give: over the demo feeds and the bench feeds, several batches each, with locations that
come again in later batches, a second harvest that changes every service, and records that leave
fields and arrays out (then what the batch cannot settle is read from the database)."""

from __future__ import annotations

import csv
import importlib.util
import random
import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.search import changes
from app.search.documents import documents_for
from app.search.published import PublishedRows
from app.search.sync import affected_services
from app.services import sources as registry
from app.services.demo import COUNCIL_FEED, demo_sources, serve_recorded_api
from app.services.feeds import open_feed
from app.services.harvest import RunSummary, harvest, start_run
from app.services.publish import publish

ROOT = Path(__file__).resolve().parents[2]


class _Ids(dict[str, str]):
    def __missing__(self, name: str) -> str:
        self[name] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"waymark-test:{name}"))
        return self[name]


ID = _Ids()


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "scripts" / "bench_import.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_import", module)
    spec.loader.exec_module(module)
    return module


class Comparison:
    """At every publish, the documents of the services it touched both ways."""

    def __init__(self) -> None:
        self.publishes = 0
        self.documents = 0
        self.from_rows = 0  # services whose row the batch settled
        self.differences: list[tuple[Any, Any]] = []

    def __call__(self, session: Session, changed: dict[str, set[str]], published: PublishedRows | None) -> None:
        if published is None:
            return
        ids = sorted(affected_services(session, changed))
        built = sorted(documents_for(session, ids, published), key=lambda d: d.id)
        read = sorted(documents_for(session, ids), key=lambda d: d.id)
        self.publishes += 1
        self.documents += len(read)
        self.from_rows += sum(published.row("service", i, ("name",)) is not None for i in ids)
        if built != read:
            self.differences += [(b, r) for b, r in zip(built, read, strict=False) if b != r][:3] or [
                (len(built), len(read))]


@pytest.fixture()
def compared() -> Iterator[Comparison]:
    comparison = Comparison()
    changes.follow_with(comparison)
    try:
        yield comparison
    finally:
        changes._followers.remove(comparison)


def _harvest(session: Session, name: str, kind: str, location: str, config: dict[str, Any] | None = None,
             force: bool = False) -> RunSummary:
    try:
        source = registry.get_source(session, name)
    except registry.SourceError:
        registry.add_source(session, name, kind, location, config or {}, enabled=False)
        source = registry.get_source(session, name)
    run = start_run(session, source, False, registry.utcnow())
    summary = harvest(session, source, run, partial(open_feed, source, False, force))
    assert summary.status == "succeeded", summary.to_dict()
    return summary


def test_documents_of_the_demo_feeds_from_their_rows(session: Session, compared: Comparison) -> None:
    with serve_recorded_api(COUNCIL_FEED) as council_url:
        for spec in demo_sources(council_url):
            summary = _harvest(session, f"rows-{spec.name}", spec.type, spec.location, spec.config)
            assert summary.counts["new"] > 0
    assert compared.differences == []
    assert compared.documents > 50 and compared.from_rows > 50


def _rewrite_services(folder: Path, rng: random.Random) -> None:
    """Every service renamed and described anew; half of them without an email (left out)."""
    path = folder / "services.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    for n, row in enumerate(body):
        row[header.index("name")] = f"Renamed group {n}"
        row[header.index("description")] = " ".join(rng.choices(["swim", "sing", "cook"], k=5))
        if n % 2:
            row[header.index("email")] = ""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *body])


def test_documents_of_the_bench_feeds_from_their_rows(session: Session, compared: Comparison,
                                                      tmp_path: Path) -> None:
    bench = _bench()
    rng = random.Random(3)
    records = 1300  # three batches; a location serves services 433 apart, so it comes again in later batches
    bench.make_tabular(tmp_path / "package", records, rng)
    mapping = bench.make_spreadsheet(tmp_path / "sheet", records, rng)
    first = _harvest(session, "rows-bench-tabular", "hsds_tabular", str(tmp_path / "package"))
    assert first.counts["new"] > records
    _rewrite_services(tmp_path / "package", rng)
    again = _harvest(session, "rows-bench-tabular", "hsds_tabular", str(tmp_path / "package"))
    assert again.counts["updated"] == records
    _harvest(session, "rows-bench-sheet", "spreadsheet", str(tmp_path / "sheet" / "directory.csv"),
             registry.read_config_file(mapping))
    assert compared.differences == []
    assert compared.documents >= 3 * records and compared.from_rows >= 3 * records


def test_what_the_batch_leaves_out_is_read_from_the_database(session: Session, compared: Comparison) -> None:
    """A shared location given again without its name, addresses or schedules, a term without its
    parent, an organisation referred to by id: the documents still carry what the tables hold."""
    publish(session, "taxonomy_term", [{"id": ID["rows-parent"], "name": "Physical activity", "description": "x"}])
    term = {"id": ID["rows-term"], "name": "Walking", "description": "x", "parent_id": ID["rows-parent"]}
    place = {"id": ID["rows-hall"], "name": "Chapel Hall", "location_type": "physical",
             "languages": [{"id": ID["rows-cy"], "code": "cy", "name": "Welsh"}],
             "addresses": [{"id": ID["rows-adr"], "address_1": "1 Road", "city": "Leeds", "state_province": "WY",
                            "postal_code": "LS6 1AB", "country": "GB", "address_type": "physical"}],
             "schedules": [{"id": ID["rows-open"], "freq": "WEEKLY", "byday": "MO", "opens_at": "09:00",
                            "closes_at": "17:00"}]}
    first = {"id": ID["rows-s1"], "name": "Walk", "status": "active", "description": "Walks",
             "organization": {"id": ID["rows-org"], "name": "Ramblers", "description": "x"},
             "attributes": [{"id": ID["rows-att1"], "taxonomy_term_id": ID["rows-term"], "taxonomy_term": term}],
             "service_at_locations": [{"id": ID["rows-sal1"], "location": place}]}
    publish(session, "service", [first])
    second = {"id": ID["rows-s2"], "name": "Talk", "status": "active", "organization_id": ID["rows-org"],
              "attributes": [{"id": ID["rows-att2"], "taxonomy_term_id": ID["rows-term"],
                              "taxonomy_term": {"id": ID["rows-term"], "name": "Walking", "description": "x"}}],
              "service_at_locations": [{"id": ID["rows-sal2"], "location": {"id": ID["rows-hall"],
                                                                        "location_type": "physical"}}]}
    publish(session, "service", [second])
    assert compared.differences == [] and compared.from_rows == 2
    [document] = documents_for(session, [ID["rows-s2"]])
    assert {"rambler", "chapel", "physic", "activ"} <= set(document.body_text.split())
    assert "cy" in document.languages and document.intervals and document.delivery == {"in_person"}
