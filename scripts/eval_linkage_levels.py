#!/usr/bin/env python3
"""Location, organisation and service accuracy of ``waymark linkage run`` on a synthetic directory, end to end.

``bench_linkage.py`` scores ``app.linkage.link`` on rows read straight from the CSVs; this script measures what a
maintainer gets: the directory made by ``scripts/make_synthetic_directory.py`` is harvested through the spreadsheet
importer into a fresh instance (``waymark sources add`` / ``waymark harvest``), ``run_linkage`` links locations,
then organisations, then services, and ``app.services.linkage.evaluate`` (what ``waymark linkage evaluate`` prints)
scores each level against the directory's truth files, per staged record::

    .venv/bin/python scripts/eval_linkage_levels.py --size 10000 --work /tmp/levels
    .venv/bin/python scripts/eval_linkage_levels.py --dir /tmp/synth --work /tmp/levels

The harvested database is kept in ``--work`` (``harvested.db``) and copied afresh before each linkage run, so a
second call with the same ``--work`` re-links without harvesting again (``--reharvest`` forces it). Linkage runs in
its own process on that copy: nothing is reused from an earlier run. One JSON object is printed: per entity
precision, recall, F1 and blocking recall, linkage counts, and the CPU seconds of the linkage run
(``time.process_time``; wall time is noisy on a shared machine).

"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("council", "nhs", "cvs")
ENTITIES = ("location", "organization", "service")


def _waymark(env: dict[str, str], *args: str) -> None:
    """Run a ``waymark`` command in ``env``; stop with its output if it fails."""
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"waymark {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _env(instance: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "WAYMARK_INSTANCE_PATH": str(instance),
        "WAYMARK_LINKAGE_AFTER_HARVEST": "false",
        "PYTHONPATH": str(REPO_ROOT),
    }
    return env


def harvest(directory: Path, work: Path) -> Path:
    """A fresh instance with every source of ``directory`` harvested; returns its database file."""
    instance = work / "harvest"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    env = _env(instance)
    _waymark(env, "db", "upgrade")
    _waymark(env, "postcodes", "load")  # the importers geocode addresses without coordinates by postcode
    for source in SOURCES:
        _waymark(
            env,
            "sources",
            "add",
            source,
            "--type",
            "spreadsheet",
            "--location",
            str(directory / f"{source}.csv"),
            "--config",
            str(directory / f"{source}.yaml"),
        )
        print(f"harvesting {source}", file=sys.stderr)
        _waymark(env, "harvest", source)
    database = work / "harvested.db"
    shutil.copyfile(instance / "waymark.db", database)
    return database


def link_and_evaluate(directory: Path) -> dict[str, Any]:
    """In this process (its environment names the instance): link everything, then score each entity."""
    import csv
    import time

    from app import create_app, db
    from app.services.linkage import LinkageOptions, evaluate, read_truth, run_linkage

    app = create_app()
    with app.app_context():
        session = db.new_session()
        options = LinkageOptions.from_settings(app.config["WAYMARK"])
        cpu = time.process_time()
        summary = run_linkage(session, options)
        seconds = time.process_time() - cpu
        session.commit()
        report: dict[str, Any] = {"cpu_seconds": round(seconds, 2)}
        for entity in ENTITIES:
            path = directory / f"truth_{entity}.csv"
            with path.open(newline="", encoding="utf-8") as handle:
                truth = read_truth(csv.DictReader(handle), str(path))
            figures = evaluate(session, entity, truth, options)
            counts = summary["counts"][entity]
            report[entity] = {
                **figures,
                "auto_merge_pairs": counts.get("auto_merge"),
                "review_waiting": counts.get("review_waiting"),
                "golden_records": counts.get("golden_records"),
            }
        return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, help="a folder make_synthetic_directory.py wrote (else one is made)")
    parser.add_argument("--size", type=int, default=10_000, help="rows to make when --dir is not given")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--work", type=Path, required=True, help="folder for the instance and the harvested copy")
    parser.add_argument("--reharvest", action="store_true", help="harvest again even if --work holds a copy")
    parser.add_argument("--link-only", action="store_true", help=argparse.SUPPRESS)  # the child process's step
    args = parser.parse_args(argv)
    work = args.work.resolve()
    directory = args.dir.resolve() if args.dir else work / f"synthetic-{args.size}-{args.seed}"
    if args.link_only:
        print(json.dumps(link_and_evaluate(directory), indent=2))
        return
    if not args.dir and not (directory / "manifest.json").exists():
        subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "scripts" / "make_synthetic_directory.py"),
                "--size",
                str(args.size),
                "--seed",
                str(args.seed),
                "--out",
                str(directory),
            ],
            check=True,
        )
    database = work / "harvested.db"
    if args.reharvest or not database.exists():
        database = harvest(directory, work)
    instance = work / "link"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    shutil.copyfile(database, instance / "waymark.db")
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--work",
        str(work),
        "--dir",
        str(directory),
        "--link-only",
    ]
    done = subprocess.run(command, env=_env(instance), cwd=REPO_ROOT, check=False)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
