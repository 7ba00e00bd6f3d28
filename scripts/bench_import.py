"""Measure harvesting speed and memory: a 100k-service HSDS tabular package and a
100k-row spreadsheet, first harvest and unchanged re-harvest.

    python scripts/bench_import.py                       # both feeds, 100,000 records each
    python scripts/bench_import.py --records 20000 --feeds tabular
    python scripts/bench_import.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/waymark_bench

Besides wall-clock rates, each result gives the CPU time per record of the harvest's
process and of its reader worker (if any): on a shared machine those vary far less.

"Unchanged" is measured twice: as a scheduled re-harvest runs it (the whole feed's
fingerprint matches the last clean harvest, so no record is read), and with
``--force`` semantics (every record read, hashed and compared with staging).

Each harvest runs in its own process (``waymark harvest NAME --json``) against a fresh
SQLite database (or, with ``--database-url``, a PostgreSQL database of that name made
afresh for each feed: it is dropped first), so peak RSS is that harvest's alone. Each
result is also printed to standard error as soon as it is measured. Prints one JSON object. Goals
(issue 3): >= 2,000 records/s first harvest, >= 10,000 records/s unchanged, peak RSS
< 500 MB. Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))  # also when a test loads this file by its path

import bench_machine  # noqa: E402

WAYMARK = [sys.executable, "-c", "from app.cli import main; main()"]
NS = uuid.UUID("2f5e3c1a-9d7b-4c8e-a1f0-6b2d4e8c0a13")
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA"]
WORDS = ["walking", "befriending", "debt", "advice", "art", "carers", "garden", "choir", "cafe", "support",
         "swimming", "yoga", "reading", "men's shed", "bereavement", "housing", "money", "digital", "language"]


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, ":".join(map(str, parts))))


def write_csv(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def make_tabular(folder: Path, n: int, rng: random.Random) -> None:
    """An HSDS 3.0 package: orgs, services, locations, addresses, SALs, phones, schedules, terms."""
    folder.mkdir(parents=True)
    descriptor = json.loads((ROOT / "schema" / "vendor" / "hsds-3.0" / "datapackage.json").read_text())
    names = ["organization", "service", "location", "address", "service_at_location", "phone", "schedule",
             "taxonomy", "taxonomy_term", "attribute"]
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] in names]
    (folder / "datapackage.json").write_text(json.dumps(descriptor))
    orgs, locations = max(1, n // 10), max(1, n // 3)
    write_csv(folder / "taxonomies.csv", ["id", "name", "description"], [[uid("tax"), "Needs", "Bench needs"]])
    write_csv(folder / "taxonomy_terms.csv", ["id", "name", "description", "taxonomy_id", "code"],
              ([uid("term", t), w.title(), f"About {w}", uid("tax"), f"t{t}"] for t, w in enumerate(WORDS)))
    write_csv(folder / "organizations.csv", ["id", "name", "description", "email", "website"],
              ([uid("org", o), f"Bench Charity {o}", f"A charity numbered {o}", f"info{o}@example.org",
                f"https://org{o}.example.org"] for o in range(orgs)))
    write_csv(folder / "locations.csv", ["id", "location_type", "name", "latitude", "longitude"],
              ([uid("loc", x), "physical", f"Community hall {x}", f"{rng.uniform(50.5, 55.5):.5f}",
                f"{rng.uniform(-4.5, 0.5):.5f}"] for x in range(locations)))
    write_csv(folder / "addresses.csv", ["id", "location_id", "address_1", "city", "state_province",
                                         "postal_code", "country", "address_type"],
              ([uid("adr", x), uid("loc", x), f"{x} High Street", "Leeds", "West Yorkshire",
                f"LS{x % 28 + 1} {x % 9}AB", "GB", "physical"] for x in range(locations)))
    write_csv(folder / "services.csv", ["id", "organization_id", "name", "description", "status", "email",
                                        "url", "last_modified"],
              ([uid("svc", s), uid("org", s % orgs), f"{rng.choice(WORDS).title()} group {s}",
                " ".join(rng.choices(WORDS, k=25)), "active", f"svc{s}@example.org",
                f"https://example.org/s/{s}", "2026-10-01T09:00:00Z"] for s in range(n)))
    write_csv(folder / "service_at_location.csv", ["id", "service_id", "location_id"],
              ([uid("sal", s), uid("svc", s), uid("loc", s % locations)] for s in range(n)))
    write_csv(folder / "phones.csv", ["id", "service_id", "number", "type"],
              ([uid("ph", s), uid("svc", s), f"0113 496 0{s % 1000:03d}", "voice"] for s in range(n)))
    write_csv(folder / "schedules.csv", ["id", "service_id", "freq", "byday", "opens_at", "closes_at",
                                         "description"],
              ([uid("sch", s), uid("svc", s), "WEEKLY", DAYS[s % 6], "10:00", "12:00", "Weekly"] for s in range(n)))
    write_csv(folder / "attributes.csv", ["id", "link_id", "link_entity", "taxonomy_term_id"],
              ([uid("att", s), uid("svc", s), "service", uid("term", s % len(WORDS))] for s in range(n)))


def make_spreadsheet(folder: Path, n: int, rng: random.Random) -> Path:
    folder.mkdir(parents=True)
    write_csv(folder / "directory.csv", ["Id", "Agency", "Program Name", "Site name", "Address", "Postcode",
                                         "Phone", "Website", "Email", "Opening hours"],
              ([f"R{r}", f"Bench Charity {r % (n // 10 or 1)}", f"{rng.choice(WORDS).title()} group {r}",
                f"Hall {r % 5000}", f"{r % 300} High Street", f"LS{r % 28 + 1} {r % 9}AB",
                f"0113 496 0{r % 1000:03d}", f"www.example.org/{r}", f"group{r}@example.org",
                rng.choice(["Mon-Fri 9am-5pm", "Tuesdays 10:00-12:00", "Third Saturday, call first"])]
               for r in range(n)))
    mapping = folder / "mapping.yaml"
    mapping.write_text("""format: csv
external_id: Id
country: GB
fields:
  organization.name: Agency
  service.name: Program Name
  location.name: Site name
  address.address_1: Address
  address.city: "=Leeds"
  address.postal_code: Postcode
  phone.number: Phone
  service.url: Website
  service.email: Email
  schedule.description: Opening hours
""")
    return mapping


def waymark(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*WAYMARK, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"waymark {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


# The harvest's child process. The worker's peak RSS is not ``RUSAGE_CHILDREN``'s ru_maxrss:
# the kernel counts in it the memory the worker shared with the harvest between its fork and
# its exec, so it reads as the harvest's own size at the moment the worker started. A thread
# reads instead each child's VmHWM (peak resident memory since its exec) while it runs.
HARVEST = """
import json, os, resource, sys, threading, time
from app import create_app
from app.jobs import harvest_one

peaks = {}

def children():
    me = str(os.getpid())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[1] != me:
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"-m" not in cmdline.read().split(b"\\0"):  # not exec'd yet: still the harvest's memory
                    continue
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks[pid] = max(peaks.get(pid, 0), int(line.split()[1]))
        except (OSError, IndexError, ValueError):
            continue

def watch():
    while True:
        children()
        time.sleep(0.05)

threading.Thread(target=watch, daemon=True).start()
app = create_app()
with app.app_context():
    s = harvest_one(sys.argv[1], force=sys.argv[2] == "force")
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({**s.to_dict(), "peak_rss_mb": me.ru_maxrss / 1024,
                  "worker_rss_mb": max(peaks.values(), default=0) / 1024,
                  "cpu_s": me.ru_utime + me.ru_stime, "worker_cpu_s": kids.ru_utime + kids.ru_stime}))
"""


def measured_harvest(env: dict[str, str], name: str, force: bool = False) -> dict[str, Any]:
    """Harvest in a child process, so that its peak RSS (ru_maxrss) is that harvest's alone
    (and its reader worker's, if any, is the worker's: see ``HARVEST``).
    ``force`` skips the whole-feed fingerprint and compares every record."""
    code = HARVEST
    started = time.perf_counter()
    argv = [sys.executable, "-c", code, name, "force" if force else "-"]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"harvest {name} failed:\n{done.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    records = sum(summary["counts"].values())
    return {"records": records, "seconds": round(summary["seconds"], 2), "process_seconds": round(wall, 2),
            "records_per_s": round(records / summary["seconds"]), "peak_rss_mb": round(summary["peak_rss_mb"]),
            "worker_peak_rss_mb": round(summary["worker_rss_mb"]),
            # CPU time per record (whole process, start-up included), less at the mercy of a busy machine
            "cpu_us_per_record": round(summary["cpu_s"] / records * 1e6),
            "worker_cpu_us_per_record": round(summary["worker_cpu_s"] / records * 1e6),
            "counts": summary["counts"], "status": summary["status"]}


def fresh_database(url: str, kind: str) -> str:
    """``url`` with ``_<kind>`` added to its database name, dropped and created again; "" stays SQLite."""
    if not url:
        return ""
    from sqlalchemy import create_engine, make_url

    target = make_url(url)
    target = target.set(database=f"{target.database}_{kind}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()
    return target.render_as_string(hide_password=False)


def bench_feed(kind: str, n: int, work: Path, rng: random.Random, database_url: str = "") -> dict[str, Any]:
    env = {**os.environ, "WAYMARK_INSTANCE_PATH": str(work / f"instance-{kind}"),
           "WAYMARK_DATABASE_URL": fresh_database(database_url, kind), "WAYMARK_LOG_LEVEL": "WARNING"}
    waymark(env, "db", "upgrade")
    if kind == "tabular":
        make_tabular(work / "package", n, rng)
        waymark(env, "sources", "add", "bench", "--type", "hsds_tabular", "--location", str(work / "package"))
    else:
        mapping = make_spreadsheet(work / "sheet", n, rng)
        waymark(env, "sources", "add", "bench", "--type", "spreadsheet", "--location",
                str(work / "sheet" / "directory.csv"), "--config", str(mapping))
    print(f"{kind}: first harvest of {n} records", file=sys.stderr)
    first = measured_harvest(env, "bench")
    print(f"{kind}: {json.dumps(first)}\n{kind}: unchanged re-harvest", file=sys.stderr)
    unchanged = measured_harvest(env, "bench")
    print(f"{kind}: {json.dumps(unchanged)}\n{kind}: unchanged re-harvest comparing every record (--force)",
          file=sys.stderr)
    forced = measured_harvest(env, "bench", force=True)
    print(f"{kind}: {json.dumps(forced)}", file=sys.stderr)
    return {"first_harvest": first, "unchanged_reharvest": unchanged, "unchanged_reharvest_per_record": forced}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--feeds", choices=["tabular", "spreadsheet", "both"], default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL URL; each feed gets a fresh database named after it plus _<feed>")
    args = parser.parse_args()
    feeds = ["tabular", "spreadsheet"] if args.feeds == "both" else [args.feeds]
    machine = bench_machine.describe()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as scratch:
        for kind in feeds:
            results[kind] = bench_feed(kind, args.records, Path(scratch) / kind, random.Random(args.seed),
                                       args.database_url)
    backend = "postgresql" if args.database_url else "sqlite"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    print(json.dumps({"records": args.records, "backend": backend, "commit": commit,
                      "machine": machine,
                      "feeds": results,
                      "goals": {"first_records_per_s": 2000, "unchanged_records_per_s": 10000,
                                "peak_rss_mb": 500}}, indent=2))


if __name__ == "__main__":
    main()
