"""Bare SQL search backend time at 200,000 documents, on SQLite and on PostgreSQL.

Fills the index directly with ``SqlBackend.rebuild`` from synthetic documents placed at sample
postcodes (so density follows population) with a little jitter, then runs the issue's query mix
many times and prints JSON: median and p95 milliseconds per query, plus the total each finds.

    python scripts/bench_search_sql.py                       # SQLite in a temporary file
    python scripts/bench_search_sql.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/waymark_bench
    python scripts/bench_search_sql.py --explain             # also print each query's plans

Filled databases are kept (``--cache``, a directory for the SQLite file and fingerprints) and
reused while the schema, the row-writing code and the documents are unchanged: a fill takes
minutes. ``--refill`` forces one. A PostgreSQL database being filled is emptied (schema public
dropped) and migrated first.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import inspect
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.search.backend import GeoPoint, OpenAt, SearchDocument, SearchQuery  # noqa: E402
from app.search.opening import MINUTES_PER_DAY, OpenInterval  # noqa: E402
from app.search.sql import SqlBackend  # noqa: E402
from app.search.sql_postgresql import PostgresDialect  # noqa: E402
from app.search.sql_sqlite import SqliteDialect  # noqa: E402

POSTCODES = ROOT.parent / "shared" / "data" / "geo" / "sample_postcodes_20k.csv"
WORDS = [
    "walk", "group", "social", "isol", "debt", "advic", "money", "carer", "support", "art", "club", "youth", "sport",
    "garden", "allot", "cafe", "memori", "dementia", "mental", "health", "wellb", "befriend", "lunch", "older",
    "peopl", "famili", "parent", "babi", "music", "choir", "food", "bank", "employ", "skill", "digit", "volunt",
    "english", "languag", "bereav", "counsel", "exercis", "swim", "yoga",
]
PARENTS = [f"term-{p}" for p in range(10)]
LEAVES = {parent: [f"{parent}-{c}" for c in range(5)] for parent in PARENTS}
LONDON = GeoPoint(51.5074, -0.1278)
DALE = GeoPoint(54.3066, -2.0530)  # Wensleydale
LEAF = LEAVES[PARENTS[3]][2]


def postcodes() -> list[tuple[float, float, str]]:
    with POSTCODES.open() as handle:
        return [(float(row["lat"]), float(row["lon"]), row["lad"]) for row in csv.DictReader(handle)]


def documents(count: int, seed: int = 4) -> Iterator[SearchDocument]:
    rng = random.Random(seed)
    places = postcodes()
    modified = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    service = 0
    for number in range(count):
        if rng.random() < 0.8:  # one in five documents is another location of the previous service
            service += 1
        lat, lon, lad = rng.choice(places)
        lat, lon = lat + rng.gauss(0, 0.004), lon + rng.gauss(0, 0.006)
        words = rng.sample(WORDS, 3)
        parents = rng.sample(PARENTS, rng.choice((1, 1, 2)))
        leaves = [rng.choice(LEAVES[parent]) for parent in parents]
        weekday = rng.randrange(7) * MINUTES_PER_DAY
        opens = rng.choice((9, 10, 13, 18)) * 60
        nth = rng.choice((None, None, None, None, 1, -1))
        national = rng.random() < 0.01
        yield SearchDocument(
            id=f"sal-{number}", service_id=f"svc-{service}", location_id=None if national else f"loc-{number}",
            organization_id=f"org-{service % 5000}", name=" ".join(w.title() for w in words),
            last_modified=modified + datetime.timedelta(minutes=number),
            latitude=None if national else lat, longitude=None if national else lon,
            name_text=" ".join(words), body_text=" ".join(rng.sample(WORDS, 12)),
            term_ids=frozenset(parents + leaves), taxonomy_ids=frozenset({"taxonomy-1"}),
            minimum_age=rng.choice((None, None, 18, 11)), maximum_age=rng.choice((None, None, None, 17, 65)),
            free=rng.random() < 0.4, languages=frozenset(rng.choice(((), (), ("pl", "polish"), ("ur", "urdu")))),
            delivery=frozenset({"in_person"} | ({"telephone"} if rng.random() < 0.3 else set())),
            coverage_codes=frozenset({"UK"} if national else {lad}),
            intervals=(OpenInterval(weekday + opens, weekday + opens + 180, nth=nth),),
        )


QUERIES = {
    "nearest_london": SearchQuery(point=LONDON, proximity=16000, sort="distance", per_page=20),
    "nearest_dale": SearchQuery(point=DALE, proximity=16000, sort="distance", per_page=20),
    "text_distance": SearchQuery(point=LONDON, proximity=16000, text=((("garden",), ("allot",)), (("group",),)),
                                 sort="relevance", per_page=20),
    "term_open_distance": SearchQuery(point=LONDON, proximity=16000, term_ids=frozenset({LEAF}), sort="distance",
                                      open_at=OpenAt(MINUTES_PER_DAY + 11 * 60, datetime.date(2026, 12, 8)),
                                      per_page=20),
    "coverage": SearchQuery(point=LONDON, coverage=frozenset({"E09000033", "UK"}), sort="distance", per_page=20),
    "nearest_london_service": SearchQuery(point=LONDON, proximity=16000, sort="distance", per_page=20,
                                          unit="service"),
}


def fingerprint(count: int) -> str:
    """What a filled database depends on: migrations, index models and row code, the documents."""
    digest = hashlib.sha256(str(count).encode())
    for path in sorted((ROOT / "app" / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    for name in ("app/models/search.py", "app/search/sql_rows.py", "app/search/sql.py"):
        digest.update((ROOT / name).read_bytes())
    for code in (documents, SqliteDialect.write, SqliteDialect.clear, PostgresDialect.write, PostgresDialect.clear):
        digest.update(inspect.getsource(code).encode())
    return digest.hexdigest()


def fill(engine: Engine, count: int) -> float:
    started = time.perf_counter()
    with Session(engine) as session:
        SqlBackend().rebuild(session, documents(count))
        session.commit()
    # Statistics for the planner; on PostgreSQL VACUUM also sets the visibility map that
    # index-only scans need after a bulk load.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - started


def measure(engine: Engine, runs: int, explain: bool) -> dict[str, Any]:
    backend = SqlBackend()
    out: dict[str, Any] = {}
    with Session(engine) as session:
        for name, query in QUERIES.items():
            result = backend.search(session, query)  # warm up
            times, cpu = [], []
            for _ in range(runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                backend.search(session, query)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            times.sort()
            cpu.sort()
            # CPU time next to wall-clock: far less affected by other work on the machine.
            out[name] = {"p50_ms": round(statistics.median(times), 2),
                         "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
                         "cpu_p50_ms": round(statistics.median(cpu), 2),
                         "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 2), "total": result.total}
            if explain:
                print(f"-- {name}", file=sys.stderr)
                for statement in _statements(engine, backend, session, query):
                    print(statement, file=sys.stderr)
        session.rollback()
    return out


def _statements(engine: Engine, backend: SqlBackend, session: Session, query: SearchQuery) -> list[str]:
    """The plans of the statements one search runs."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        backend.search(session, query)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    connection = session.connection().connection.dbapi_connection
    assert connection is not None
    for statement, parameters in seen:
        cursor = connection.cursor()
        cursor.execute(prefix + statement, parameters)
        plans.append(statement[:160] + "\n  " + "\n  ".join(str(row[-1]) for row in cursor.fetchall()))
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgresql", help="a PostgreSQL URL to benchmark as well (its schema is replaced)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print query plans to stderr")
    parser.add_argument("--only", action="append", choices=sorted(QUERIES), help="run only this query (repeatable)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "waymark-bench-search-sql",
                        help="where the SQLite database and the fingerprints of filled databases are kept")
    parser.add_argument("--refill", action="store_true", help="fill even when the cached database is current")
    args = parser.parse_args()
    for name in set(QUERIES) - set(args.only or QUERIES):
        del QUERIES[name]
    report: dict[str, Any] = {"documents": args.documents, "runs": args.runs}
    args.cache.mkdir(parents=True, exist_ok=True)
    current = fingerprint(args.documents)
    targets = [] if args.no_sqlite else [("sqlite", f"sqlite:///{args.cache / 'bench.db'}")]
    if args.postgresql:
        targets.append(("postgresql", args.postgresql))
    for label, url in targets:
        stamp = args.cache / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}.fingerprint"
        engine = make_engine(url)
        filled: float | None = None
        if args.refill or not stamp.exists() or stamp.read_text() != current:
            stamp.unlink(missing_ok=True)
            with engine.begin() as connection:
                if label == "postgresql":
                    connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                    connection.execute(text("CREATE SCHEMA public"))
            if label == "sqlite":
                engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(args.cache / "bench.db") + suffix).unlink(missing_ok=True)
                engine = make_engine(url)
            upgrade(engine)
            filled = round(fill(engine, args.documents), 1)
            stamp.write_text(current)
        report[label] = {"fill_s": filled, **measure(engine, args.runs, args.explain)}
        engine.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
