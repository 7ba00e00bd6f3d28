"""Accuracy of de-duplication on the labelled sets in ../shared/data/dedup, loaded the way a maintainer would.

Each set becomes spreadsheet sources with a mapping file, is harvested through the spreadsheet importer into a
fresh SQLite directory, and is linked by ``waymark linkage run``; ``waymark linkage evaluate`` then scores the
golden records against the set's truth. It is scored again after at most ``--labels`` reviewer answers: the
waiting pairs of the review queue, most uncertain first, answered from the truth as a maintainer would, then
another run. Prints one JSON object.

    python scripts/eval_dedup_through_importer.py [--data ../shared/data/dedup] [--labels 50] [--keep DIR]

Unlike ``eval_linkage_datasets.py`` (which reads the CSVs straight into the linkage core), this goes through
everything a real directory does, including what the importer must leave out: HSDS addresses need a postal
code, which the restaurant lists do not have, so the importer leaves their addresses out (with a note) and the
mapping names each site by its street and town, which linkage reads as its address. Reviewers answer pairs of the
set's first entity (restaurants: organisations, since its truth names restaurants, not buildings).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WAYMARK = str(Path(sys.executable).with_name("waymark"))


@dataclass(frozen=True)
class Feed:
    name: str
    path: Path
    mapping: dict[str, Any]


@dataclass(frozen=True)
class LabelledSet:
    name: str
    entities: tuple[str, ...]  # scored; reviewers answer pairs of the first
    feeds: tuple[Feed, ...]
    truth: Callable[[Path], dict[tuple[str, str], str]]  # (source, external id) -> true cluster


def _restaurants(data: Path) -> LabelledSet:
    folder = data / "fodors_zagats"
    # HSDS 3.0 addresses need a postal code, which these lists lack: the importer leaves the address out (with a
    # note), so the site is named by its street and town, as a maintainer would name it, and linkage reads that.
    # Each row is a restaurant of its own, so its id (not its name, the importer's default) identifies its
    # organisation: "hard rock cafe" in Los Angeles and in New York are two rows, two restaurants.
    fields = {"organization.id": "id", "organization.name": "name", "service.name": "name",
              "location.name": ["addr", "city"],
              "address.address_1": "addr", "address.city": "city", "phone.number": "phone"}

    def truth(_: Path) -> dict[tuple[str, str], str]:
        out = {("fodors", r["id"]): f"f{r['id']}" for r in _rows(folder / "fodors.csv")}
        out |= {("zagats", r["id"]): f"z{r['id']}" for r in _rows(folder / "zagats.csv")}
        for match in _rows(folder / "matches_fodors_zagats.csv"):
            out[("zagats", match["zagats_id"])] = f"f{match['fodors_id']}"
        return out

    feeds = tuple(Feed(name, folder / f"{name}.csv", {"format": "csv", "external_id": "id", "country": "US",
                                                       "fields": fields}) for name in ("fodors", "zagats"))
    # The truth names restaurants, so reviewers answer organisation pairs. Scored at location level too, where it
    # overstates the errors: restaurants sharing a building (a hotel's or a casino's) are one place, one location.
    return LabelledSet("restaurants", ("organization", "location"), feeds, truth)


def _patstat(data: Path) -> LabelledSet:
    folder = data / "patstat"
    mapping = {"format": "csv", "external_id": "person_id", "country": "GB",
               "fields": {"organization.name": "Name", "service.name": "=Patents"}}

    def truth(_: Path) -> dict[tuple[str, str], str]:
        return {("patstat", r["person_id"]): r["leuven_id"] for r in _rows(folder / "patstat_reference.csv")}

    return LabelledSet("patstat", ("organization",), (Feed("patstat", folder / "patstat_input.csv", mapping),), truth)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _waymark(env: Mapping[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([WAYMARK, *args], env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"waymark {' '.join(args)} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done.stdout


def _answer_from_truth(env: Mapping[str, str], entity: str, truth: Mapping[tuple[str, str], str],
                       limit: int) -> int:
    """Answer up to ``limit`` waiting pairs from the truth, as a reviewer would; returns how many were answered."""
    os.environ.update(env)
    from sqlalchemy import select

    from app import create_app, db
    from app.models.staging import Source, StagedRecord
    from app.services import linkage

    app = create_app()
    with app.app_context():
        session = db.new_session()
        try:
            # a review pair names the records' own ids; the truth names staged rows
            rows: dict[tuple[str, str], str] = {}
            for source, external_id, record in session.execute(
                    select(Source.name, StagedRecord.external_id, StagedRecord.normalised)
                    .join(Source, Source.id == StagedRecord.source_id).where(StagedRecord.state == "active")):
                ident = _own_id(record or {}, entity)
                if ident and (source, external_id) in truth:
                    rows[(source, str(ident))] = truth[(source, external_id)]
            answered = 0
            for pair in linkage.review_pairs(session, entity)[:limit]:
                a = rows.get((pair["a"]["source"], pair["a"]["external_id"]))
                b = rows.get((pair["b"]["source"], pair["b"]["external_id"]))
                if a is None or b is None:
                    continue
                linkage.decide(session, pair["id"], a == b, decided_by="eval: answered from the truth")
                answered += 1
            session.commit()
            return answered
        finally:
            session.close()


def _own_id(record: Mapping[str, Any], entity: str) -> str | None:
    """The id of a harvested service record's organisation, first location, or its own."""
    if entity == "organization":
        return (record.get("organization") or {}).get("id")
    if entity == "location":
        return next(((sal.get("location") or {}).get("id") for sal in record.get("service_at_locations") or ()),
                    None)
    return record.get("id")


def evaluate(labelled: LabelledSet, work: Path, labels: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    # the code beside this script is evaluated, whichever checkout the ``waymark`` command was installed from
    paths = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": paths, "WAYMARK_INSTANCE_PATH": str(work), "WAYMARK_DATABASE_URL": "",
           "WAYMARK_LINKAGE_AFTER_HARVEST": "false", "WAYMARK_LOG_LEVEL": "WARNING"}
    _waymark(env, "db", "upgrade")
    for feed in labelled.feeds:
        mapping = work / f"{feed.name}.json"
        mapping.write_text(json.dumps(feed.mapping))
        _waymark(env, "sources", "add", feed.name, "--type", "spreadsheet", "--location", str(feed.path),
                 "--config", str(mapping))
    harvest = json.loads(_waymark(env, "harvest", "--all", "--json"))
    truth = labelled.truth(work)
    truth_file = work / "truth.csv"
    with truth_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source", "external_id", "truth_id"))
        writer.writerows((source, external_id, cluster) for (source, external_id), cluster in truth.items())

    def link_and_score() -> dict[str, Any]:
        # a run that succeeded with errors (golden records it could not publish as asked) exits 1: they are reported
        run = json.loads(_waymark(env, "linkage", "run", "--force", "--json", ok=(0, 1)))
        if run.get("status") != "succeeded":
            raise SystemExit(f"waymark linkage run did not succeed: {json.dumps(run)}")
        scores = {entity: json.loads(_waymark(env, "linkage", "evaluate", "--entity", entity,
                                              "--truth", str(truth_file), "--json"))
                  for entity in labelled.entities}
        return {"seconds": run.get("timings", {}).get("seconds"), "run_errors": run.get("errors", []), **scores}

    unlabelled = link_and_score()
    answered = _answer_from_truth(env, labelled.entities[0], truth, labels)
    return {"harvest": harvest, "no_labels": unlabelled,
            "labels_answered": answered, "with_labels": link_and_score() if answered else unlabelled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "dedup")
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="keep the directories built here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        results = {s.name: evaluate(s, base / s.name, args.labels) for s in (_restaurants(args.data),
                                                                              _patstat(args.data))}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
