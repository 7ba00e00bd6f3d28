"""Benchmark the HSDS API over real HTTP on SQLite and PostgreSQL.

Loads N synthetic services (with organizations, locations, addresses, phones,
schedules, taxonomy attributes, cost options, contacts and languages) through the
single write path ``app.services.publish.publish``, serves the app with werkzeug's threaded
server on 127.0.0.1, and times ``GET /api/services/{id}`` and ``GET /api/services?per_page=50``
with one keep-alive ``requests.Session`` (50 warm-up requests first). The same requests are
then timed against ``waymark serve --workers 2`` (gunicorn, as in production). Prints one
JSON object on stdout; progress goes to stderr. The database is dropped and rebuilt on every run.

Per backend the report gives ``load_seconds`` (time inside publish + commit, batches of
500 records; generating the records is not counted), ``load_records_per_s``,
``analyze_seconds`` (the ``maintenance`` statement after the load, timed apart: ANALYZE,
and on PostgreSQL VACUUM ANALYZE), the inserted ``rows`` per table, p50/p95/p99/mean
milliseconds of ``detail`` and ``page_of_50`` (werkzeug) and the same under
``gunicorn_<N>_workers``, and the number of SQL ``statements`` one request of each kind executes.

Usage::

    .venv/bin/python scripts/bench_api.py                       # 50,000 services, both backends
    .venv/bin/python scripts/bench_api.py --services 2000 --requests 200 --backend sqlite
    .venv/bin/python scripts/bench_api.py --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/waymark_bench > /tmp/bench_api.json

Options: ``--services N`` (default 50000), ``--requests N`` per measurement (default 500),
``--seed N`` (default 1), ``--backend sqlite|postgresql|both`` (default both),
``--postgres-url URL``, ``--sqlite-path PATH`` (default /tmp/waymark_bench.db),
``--gunicorn-workers N`` (default 2; 0 skips the gunicorn measurement), ``--no-vacuum``
(PostgreSQL: ANALYZE only, as when autovacuum is off and has not run yet).
The numbers are reported, never asserted: compare them with ``goals`` by eye.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import logging
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests
from flask import Flask
from psycopg import sql
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_machine  # noqa: E402

from app import create_app, db, migrate  # noqa: E402
from app.services.publish import publish  # noqa: E402

Record = dict[str, Any]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/waymark_bench"
DEFAULT_SQLITE_PATH = "/tmp/waymark_bench.db"
GOALS = {"detail_p95_ms": 15, "page_of_50_p95_ms": 40}
BATCH = 500
WARMUP = 50
PER_PAGE = 50
NAMESPACE = uuid.UUID("5f0c6a2e-7d1b-4e8a-9c3f-2b6d8e4a1c70")

TOWNS = [  # (town, region, latitude, longitude, outcode)
    ("Leeds", "West Yorkshire", 53.80, -1.55, "LS"), ("Bradford", "West Yorkshire", 53.79, -1.75, "BD"),
    ("Manchester", "Greater Manchester", 53.48, -2.24, "M"), ("Liverpool", "Merseyside", 53.41, -2.98, "L"),
    ("Sheffield", "South Yorkshire", 53.38, -1.47, "S"), ("Newcastle upon Tyne", "Tyne and Wear", 54.98, -1.61, "NE"),
    ("Birmingham", "West Midlands", 52.49, -1.89, "B"), ("Bristol", "Bristol", 51.45, -2.59, "BS"),
    ("Norwich", "Norfolk", 52.63, 1.30, "NR"), ("Exeter", "Devon", 50.72, -3.53, "EX"),
    ("London", "Greater London", 51.51, -0.13, "E"), ("Cardiff", "Cardiff", 51.48, -3.18, "CF"),
    ("Glasgow", "Glasgow City", 55.86, -4.25, "G"), ("Edinburgh", "City of Edinburgh", 55.95, -3.19, "EH"),
    ("Inverness", "Highland", 57.48, -4.22, "IV"), ("Plymouth", "Devon", 50.38, -4.14, "PL"),
]
STREETS = ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane",
           "Green Street", "King Street", "Queens Road", "North Street", "Albert Road", "School Lane"]
ACTIVITIES = ["Walking group", "Men's shed", "Befriending", "Art for wellbeing", "Community garden",
              "Debt advice", "Carers support", "Chair yoga", "Food bank", "Bereavement support",
              "Singing for the brain", "Parent and toddler group", "Digital skills", "Peer support"]
CATEGORIES = ["Physical activity", "Mental wellbeing", "Social connection", "Money and debt",
              "Food", "Carers", "Learning and skills", "Health conditions"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
LANGUAGES = [("English", "en"), ("Welsh", "cy"), ("Polish", "pl"), ("Urdu", "ur"), ("Punjabi", "pa")]
TERMS_PER_CATEGORY = 4  # 8 categories + 8 * 4 subterms = 40 taxonomy terms


# --- synthetic data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """Deterministic synthetic records, generated batch by batch in publishing order.

    ~N/10 organizations (1 phone, 1 identifier each), ~N/3 locations (1 address each) in
    the town of their organization and shared by its services, 40 taxonomy terms. Records
    are built lazily so that the whole data set never sits in the benchmarked process.
    """

    services: int
    seed: int

    @property
    def organizations(self) -> int:
        return max(1, self.services // 10)

    @property
    def locations(self) -> int:
        return max(1, self.services // 3)

    @property
    def record_count(self) -> int:
        return 1 + len(CATEGORIES) * (1 + TERMS_PER_CATEGORY) + self.organizations + self.services

    def service_ids(self) -> list[str]:
        synth = Synth(random.Random(self.seed), self.seed)
        return [synth.ident("service", n) for n in range(self.services)]

    def batches(self) -> Iterator[tuple[str, list[Record]]]:
        synth = Synth(random.Random(self.seed), self.seed)
        terms = synth.terms()
        yield "taxonomy", [synth.taxonomy()]
        yield "taxonomy_term", terms
        organizations = [synth.organization(n) for n in range(self.organizations)]
        for start in range(0, len(organizations), BATCH):
            yield "organization", organizations[start:start + BATCH]
        locations_of: list[list[Record]] = [[] for _ in organizations]
        for n in range(self.locations):
            owner = n % len(organizations)
            locations_of[owner].append(synth.location(n, organizations[owner]))
        for start in range(0, self.services, BATCH):
            batch = []
            for n in range(start, min(start + BATCH, self.services)):
                owner = synth.rng.randrange(len(organizations))
                batch.append(synth.service(n, organizations[owner], locations_of[owner] or locations_of[0], terms))
            yield "service", batch


@dataclass
class Synth:
    """Builders of HSDS records; ids are uuid5 of (seed, kind, number), values come from ``rng``."""

    rng: random.Random
    seed: int
    town_of: dict[str, tuple[str, str, float, float, str]] = field(default_factory=dict)  # organization id -> town

    def ident(self, kind: str, n: int | str) -> str:
        return str(uuid.uuid5(NAMESPACE, f"{self.seed}:{kind}:{n}"))

    def phone(self, kind: str, n: int | str) -> Record:
        number = f"0{self.rng.randint(1130, 1999)} {self.rng.randint(100000, 999999)}"
        return {"id": self.ident(f"phone-{kind}", n), "number": number, "type": "voice"}

    def taxonomy(self) -> Record:
        return {"id": self.ident("taxonomy", 0), "name": "Waymark social prescribing",
                "description": "Synthetic benchmark taxonomy of social prescribing activities.", "version": "1"}

    def terms(self) -> list[Record]:
        taxonomy_id = self.ident("taxonomy", 0)
        out: list[Record] = []
        for c, category in enumerate(CATEGORIES):
            parent = {"id": self.ident("term", c), "code": f"SP{c + 1}", "name": category,
                      "description": f"{category} activities.", "taxonomy_id": taxonomy_id}
            out.append(parent)
            for t in range(TERMS_PER_CATEGORY):
                out.append({"id": self.ident("term", f"{c}.{t}"), "code": f"SP{c + 1}.{t + 1}",
                            "name": f"{category}: {ACTIVITIES[(c * TERMS_PER_CATEGORY + t) % len(ACTIVITIES)]}",
                            "description": f"A kind of {category.lower()} activity.",
                            "taxonomy_id": taxonomy_id, "parent_id": parent["id"]})
        return out

    def organization(self, n: int) -> Record:
        organization_id = self.ident("organization", n)
        self.town_of[organization_id] = town = self.rng.choice(TOWNS)
        name = f"{town[0]} {self.rng.choice(['Community', 'Wellbeing', 'Neighbourhood'])} " \
               f"{self.rng.choice(['Trust', 'Network', 'Association', 'Partnership'])} {n}"
        return {
            "id": organization_id, "name": name,
            "description": f"{name} runs community activities for local people.",
            "email": f"hello@org{n}.example.org", "website": f"https://org{n}.example.org",
            "phones": [self.phone("organization", n)],
            "organization_identifiers": [{
                "id": self.ident("organization_identifier", n), "identifier_scheme": "GB-CHC",
                "identifier_type": "Registered charity number", "identifier": str(1000000 + n)}],
        }

    def location(self, n: int, organization: Record) -> Record:
        """A community venue in the town of its organization."""
        town, region, lat, lon, outcode = self.town_of[organization["id"]]
        street = f"{self.rng.randint(1, 250)} {self.rng.choice(STREETS)}"
        unit = "".join(self.rng.choice("ABDEFGHJLNPQRSTUWXY") for _ in range(2))
        postcode = f"{outcode}{self.rng.randint(1, 20)} {self.rng.randint(1, 9)}{unit}"
        return {
            "id": self.ident("location", n), "location_type": "physical", "organization_id": organization["id"],
            "name": f"{town} community hub {n}",
            "latitude": round(lat + self.rng.uniform(-0.08, 0.08), 6),
            "longitude": round(lon + self.rng.uniform(-0.12, 0.12), 6),
            "addresses": [{
                "id": self.ident("address", n), "address_1": street, "city": town, "region": region,
                "state_province": region, "postal_code": postcode, "country": "GB", "address_type": "physical"}],
        }

    def schedule(self, key: str) -> Record:
        opens = self.rng.choice([9, 10, 13, 18])
        days = sorted(self.rng.sample(range(7), self.rng.randint(1, 3)))
        return {"id": self.ident("schedule", key), "freq": "WEEKLY", "byday": ",".join(DAYS[d] for d in days),
                "opens_at": f"{opens:02d}:00:00", "closes_at": f"{opens + self.rng.choice([1, 2, 3]):02d}:00:00",
                "description": "Weekly session."}

    def attribute(self, key: str, term: Record) -> Record:
        return {"id": self.ident("attribute", key), "taxonomy_term_id": term["id"], "taxonomy_term": term}

    def service(self, n: int, organization: Record, locations: Sequence[Record], terms: Sequence[Record]) -> Record:
        rng = self.rng
        activity = rng.choice(ACTIVITIES)
        service_id = self.ident("service", n)
        modified = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            minutes=rng.randint(0, 60 * 24 * 365))
        record: Record = {
            "id": service_id, "name": f"{activity} {n}", "status": "active",
            "description": f"{activity} run by {organization['name']}.",
            "email": f"service{n}@org.example.org", "url": f"https://example.org/services/{n}",
            "organization": {k: organization[k] for k in ("id", "name", "description")},
            "service_at_locations": [
                {"id": self.ident("service_at_location", f"{n}.{i}"), "location": location}
                for i, location in enumerate(rng.sample(list(locations), min(len(locations), rng.randint(1, 2))))],
            "phones": [self.phone("service", f"{n}.{i}") for i in range(rng.randint(1, 2))],
            "schedules": [self.schedule(f"{n}.{i}") for i in range(rng.randint(1, 2))],
            "attributes": [self.attribute(f"{n}.{i}", term)
                           for i, term in enumerate(rng.sample(terms, rng.randint(1, 3)))],
            "languages": [self.language(n)],
            "last_modified": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if rng.random() < 0.5:
            record["cost_options"] = [{"id": self.ident("cost_option", n), "option": "Session fee", "currency": "GBP",
                                       "amount": rng.choice([0, 2, 3.5, 5])}]
        if rng.random() < 0.5:
            record["contacts"] = [{"id": self.ident("contact", n), "name": f"Coordinator {n}",
                                   "title": "Activity coordinator", "email": f"contact{n}@org.example.org"}]
        return record

    def language(self, n: int) -> Record:
        name, code = LANGUAGES[0] if self.rng.random() < 0.8 else self.rng.choice(LANGUAGES)
        return {"id": self.ident("language", n), "name": name, "code": code}


# --- databases --------------------------------------------------------------------------------


def reset_sqlite(path: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    return f"sqlite:///{Path(path).resolve()}"


def reset_postgres(url: str) -> str:
    """Drop and create the database named in ``url`` (connecting to the ``postgres`` database)."""
    parsed = make_url(url)
    if not parsed.database:
        raise SystemExit(f"--postgres-url needs a database name: {url}")
    params: dict[str, Any] = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
                              "user": parsed.username, "password": parsed.password, "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
        name = sql.Identifier(parsed.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return url


def load(app: Flask, dataset: Dataset, vacuum: bool) -> dict[str, Any]:
    """Migrate, publish every batch and commit it, then ANALYZE (VACUUM ANALYZE on PostgreSQL).

    ``load_seconds`` is the time spent in ``publish`` and ``commit`` only (generating the
    records is not counted). The maintenance is timed apart: PostgreSQL's autovacuum would
    run it after a bulk load, but it may be switched off, and SQLite never runs it by itself.
    """
    inserted: Counter[str] = Counter()
    with app.app_context():
        migrate.upgrade(db.engine())
        session = db.new_session()
        seconds = 0.0
        try:
            for kind, batch in dataset.batches():
                started = time.perf_counter()
                result = publish(session, kind, batch)
                session.commit()
                seconds += time.perf_counter() - started
                inserted.update(result.inserted)
                if kind == "service" and inserted["service"] % (BATCH * 10) == 0:
                    progress(f"  published {inserted['service']}/{dataset.services} services ({seconds:.0f}s)")
        finally:
            session.close()
        maintenance, analyze_seconds = analyze(db.engine(), vacuum)
    return {"load_seconds": round(seconds, 2), "load_records": dataset.record_count,
            "load_records_per_s": round(dataset.record_count / seconds, 1),
            "load_services_per_s": round(dataset.services / seconds, 1),
            "maintenance": maintenance, "analyze_seconds": round(analyze_seconds, 2),
            "rows": dict(sorted(inserted.items()))}


def analyze(engine: Engine, vacuum: bool) -> tuple[str, float]:
    """Refresh the planner statistics; return the statement and the seconds it took.

    On PostgreSQL, VACUUM also sets the visibility map, without which an index-only scan
    (counting the services, skipping to page N in name order) visits the table for every
    row. Autovacuum does the same soon after a bulk load when it is on."""
    statement = "VACUUM ANALYZE" if vacuum and engine.dialect.name == "postgresql" else "ANALYZE"
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))
    return statement, time.perf_counter() - started


# --- measurements -----------------------------------------------------------------------------


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a threaded werkzeug server at 127.0.0.1:<free port>; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def timed_gets(http: requests.Session, urls: Sequence[str]) -> list[float]:
    """Wall time of each GET in milliseconds; any non-200 answer stops the benchmark."""
    out: list[float] = []
    for url in urls:
        started = time.perf_counter()
        response = http.get(url)
        response.content  # noqa: B018 - read the whole body inside the timing
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return out


def summary(samples_ms: Sequence[float]) -> dict[str, float | int]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {"requests": len(samples_ms), "p50_ms": round(cuts[49], 2), "p95_ms": round(cuts[94], 2),
            "p99_ms": round(cuts[98], 2), "mean_ms": round(statistics.fmean(samples_ms), 2)}


def request_paths(rng: random.Random, service_ids: Sequence[str], count: int) -> dict[str, list[str]]:
    pages = max(1, math.ceil(len(service_ids) / PER_PAGE))
    return {
        "detail": [f"/api/services/{rng.choice(service_ids)}" for _ in range(count)],
        "page_of_50": [f"/api/services?per_page={PER_PAGE}&page={rng.randint(1, pages)}" for _ in range(count)],
    }


@contextmanager
def gunicorn_serving(url: str, workers: int) -> Iterator[str]:
    """``waymark serve --workers N`` (gunicorn) over the database at ``url``; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "WAYMARK_DATABASE_URL": url, "WAYMARK_INSTANCE_PATH": "/tmp/waymark_bench_instance"}
    command = [str(Path(sys.executable).with_name("waymark")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/api/", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def measure_http(base: str, paths: dict[str, list[str]], warmup: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with requests.Session() as http:
        timed_gets(http, [base + p for p in warmup])
        for name, urls in paths.items():
            out[name] = summary(timed_gets(http, [base + p for p in urls]))
    return out


def count_statements(app: Flask, path: str) -> int:
    """SQL statements one request executes, counted on the app's engine."""
    count = 0

    def before_cursor_execute(*_args: Any) -> None:
        nonlocal count
        count += 1

    with app.app_context():
        engine: Engine = db.engine()
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        response = app.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return count


def bench_backend(name: str, url: str, dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    requests_per, seed = args.requests, args.seed
    app = create_app({"database_url": url, "instance_path": "/tmp/waymark_bench_instance"})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    progress(f"[{name}] loading {dataset.services} services ({dataset.record_count} records) into {url}")
    result = load(app, dataset, vacuum=not args.no_vacuum)
    progress(f"[{name}] loaded in {result['load_seconds']}s ({result['load_records_per_s']} records/s), "
             f"{result['maintenance']} {result['analyze_seconds']}s")
    rng = random.Random(seed + 1)
    service_ids = dataset.service_ids()
    paths = request_paths(rng, service_ids, requests_per)
    warmup = [p for pair in zip(*request_paths(rng, service_ids, WARMUP // 2).values(), strict=True) for p in pair]
    gc.collect()  # start the timings without garbage left over from loading
    result["load_average_before_timing"] = [round(x, 2) for x in os.getloadavg()]
    progress(f"[{name}] timing {requests_per} requests per measurement after {len(warmup)} warm-up requests "
             f"(load average {result['load_average_before_timing']})")
    with serving(app) as base:
        result.update(measure_http(base, paths, warmup))
    progress(f"[{name}] werkzeug: detail p95 {result['detail']['p95_ms']} ms, "
             f"page_of_50 p95 {result['page_of_50']['p95_ms']} ms")
    result["statements"] = {key: count_statements(app, urls[0]) for key, urls in paths.items()}
    with app.app_context():
        db.engine().dispose()
    if args.gunicorn_workers:
        key = f"gunicorn_{args.gunicorn_workers}_workers"
        with gunicorn_serving(url, args.gunicorn_workers) as base:
            result[key] = measure_http(base, paths, warmup)
        progress(f"[{name}] gunicorn: detail p95 {result[key]['detail']['p95_ms']} ms, "
                 f"page_of_50 p95 {result[key]['page_of_50']['p95_ms']} ms")
    return result


# --- command line -----------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=50_000, help="synthetic services to load")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE_PATH)
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="0: skip the gunicorn measurement")
    parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: ANALYZE only, no VACUUM")
    args = parser.parse_args(argv)
    if args.services < 1 or args.requests < 2 or args.gunicorn_workers < 0:
        parser.error("--services must be at least 1, --requests at least 2, --gunicorn-workers at least 0")
    return args


def backends(args: argparse.Namespace) -> dict[str, Callable[[], str]]:
    chosen = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    resets = {"sqlite": lambda: reset_sqlite(args.sqlite_path), "postgresql": lambda: reset_postgres(args.postgres_url)}
    return {name: resets[name] for name in chosen}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dataset = Dataset(args.services, args.seed)
    report: dict[str, Any] = {
        "services": args.services,
        "machine": bench_machine.describe(),
        "backends": {},
        "goals": GOALS,
    }
    for name, reset in backends(args).items():
        report["backends"][name] = bench_backend(name, reset(), dataset, args)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
