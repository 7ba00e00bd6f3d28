#!/usr/bin/env python3
"""Time ``app.linkage.link`` on the synthetic directory and score it against the known truth (issue 5).

Goals on this 2-core machine: 100k records in <= 20 s and 1M in <= 100 s, F1 >= 0.98 at location
level, reading the rows included. For each size the directory is made by ``scripts/make_synthetic_directory.py``
(or read from ``--dir``, a folder it wrote), the rows are read straight from its CSVs into ``LinkRecord``s (no
database: the harvest has its own benchmark, ``bench_import.py``), and reading and ``link`` are timed::

    .venv/bin/python scripts/bench_linkage.py [--sizes 100000 1000000] [--entity location] [--work DIR]
    .venv/bin/python scripts/bench_linkage.py --dir /tmp/synth100k

One JSON object per size is printed (stdout), and progress goes to stderr: ``seconds`` (wall time of
``link``), ``cpu_seconds``, ``read_seconds`` and ``read_cpu_seconds`` (reading the rows into records), their sums
``total_seconds`` and ``total_cpu_seconds`` (what the goals are judged on; CPU time is much less affected by other
load on a shared machine) and ``cpu_us_per_record``, ``peak_rss_mb`` (``resource.getrusage``, the whole process:
it includes the records themselves), pairwise precision / recall / F1 from ``app.linkage.evaluate``, the
precision of auto-merged pairs, blocking recall (``--blocking-recall``, timed apart) and link's counts.
``--diagnose N`` also prints (stderr) N sampled false merges and missed pairs with their evidence.

**The adapter.** A row becomes the ``LinkRecord`` that ``app.linkage.from_hsds`` would make of the
location the spreadsheet importer builds from it (``importers/spreadsheet.py`` with the source's
mapping): the venue or site name, the address lines as the mapping joins them, the postcode, the
town, the coordinates where the source has them; no phones (the importer puts them on the service).
Like the importer, an address missing its first line, town or postcode is left out; a row whose
location is then empty has no location record at all, and stays a singleton in the scoring (its
truth still counts, as it would for the real pipeline). Organisations read the provider name, the
web site's domain, registrations and phones; services the service name, phones and the domain.
Keys are ``(source, row id)``, as in the truth files.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402

from app.linkage import Band, LinkRecord, LinkResult, Thresholds, link, pairwise_scores  # noqa: E402
from app.linkage.records import Entity, Key, ValueCache  # noqa: E402

SOURCES = ("council", "nhs", "cvs")
GOALS_SECONDS = {100_000: 20.0, 1_000_000: 100.0}
SCHEMES = {"charity": "GB-CHC", "company": "GB-COH", "ods": "GB-NHS"}


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _location(source: str, row: dict[str, str]) -> dict[str, Any] | None:
    """The location fields the importer keeps for ``row`` (``None``: it makes no location)."""
    if source == "council":
        name, lines, town, postcode = (
            row["Venue"],
            [row["Address line 1"], row["Address line 2"]],
            row["Town"],
            row["Post code"],
        )
        latitude, longitude = row["Latitude"] or None, row["Longitude"] or None
    elif source == "nhs":
        second = ", ".join(x for x in (row["ADDRESS_LINE_2"], row["ADDRESS_LINE_3"]) if x.strip())
        name, lines, town, postcode = row["SITE_NAME"], [row["ADDRESS_LINE_1"], second], row["TOWN"], row["POSTCODE"]
        latitude = longitude = None
    else:
        name, lines, town, postcode = "", [row["Address"]], row["Town"], row["Postcode"]
        latitude = longitude = None
    if not lines[0].strip() and name.strip():
        lines[0] = name  # a building name is a valid first line
    if not (lines[0].strip() and town.strip() and postcode.strip()):
        lines, town, postcode = [], "", ""  # HSDS needs address_1, city and postal_code: the address is left out
    if not (name.strip() or lines or latitude):
        return None
    return {
        "name": name,
        "address": lines,
        "locality": town,
        "postcode": postcode,
        "latitude": float(latitude) if latitude else None,
        "longitude": float(longitude) if longitude else None,
    }


def _organization(source: str, row: dict[str, str]) -> dict[str, Any]:
    if source == "council":
        scheme, ident = SCHEMES.get(row["Registration type"].lower()), row["Registration no"]
        return {
            "name": row["Provider"],
            "phones": [row["Phone"]],
            "website": row["Website"] or None,
            "registrations": [(scheme, ident)] if scheme else [],
            "postcode": row["Post code"],
        }
    if source == "nhs":
        scheme, ident = SCHEMES.get(row["ORG_CODE_TYPE"].lower()), row["ORG_CODE"]
        return {
            "name": row["ORGANISATION_NAME"],
            "phones": [row["TELEPHONE"]],
            "website": row["WEB_ADDRESS"] or None,
            "registrations": [(scheme, ident)] if scheme else [],
            "postcode": row["POSTCODE"],
        }
    ident = row["Charity number"]
    return {
        "name": row["Organisation"],
        "phones": [row["Telephone"]],
        "website": row["Website"] or None,
        "registrations": [("GB-CHC", ident)] if ident else [],
        "postcode": row["Postcode"],
    }


def _service(source: str, row: dict[str, str]) -> dict[str, Any]:
    name = {"council": "Service", "nhs": "SERVICE_NAME", "cvs": "Service / Activity"}[source]
    phone = {"council": "Phone", "nhs": "TELEPHONE", "cvs": "Telephone"}[source]
    website = {"council": "Website", "nhs": "WEB_ADDRESS", "cvs": "Website"}[source]
    postcode = {"council": "Post code", "nhs": "POSTCODE", "cvs": "Postcode"}[source]
    return {"name": row[name], "phones": [row[phone]], "website": row[website] or None, "postcode": row[postcode]}


ID_COLUMN = {"council": "Service ref", "nhs": "RECORD_ID", "cvs": "Ref"}


def read_records(folder: Path, entity: Entity) -> tuple[list[LinkRecord], int]:
    """The directory's rows as ``LinkRecord``s of ``entity``, and how many rows made none."""
    records: list[LinkRecord] = []
    skipped = 0
    values = ValueCache()  # as ``link_records`` does: each distinct raw value normalised once
    for source in SOURCES:
        for row in _rows(folder / f"{source}.csv"):
            key: Key = (source, row[ID_COLUMN[source]])
            if entity == "location":
                fields = _location(source, row)
                if fields is None:
                    skipped += 1
                    continue
            elif entity == "organization":
                fields = _organization(source, row)
            else:
                fields = _service(source, row)
            records.append(LinkRecord.build(key, entity, country="GB", values=values, **fields))
    return records, skipped


def read_truth(folder: Path, entity: Entity) -> dict[Key, str]:
    return {(r["source"], r["external_id"]): r["truth_id"] for r in _rows(folder / f"truth_{entity}.csv")}


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kilobytes on Linux


def bench(
    folder: Path,
    entity: Entity,
    *,
    with_blocking_recall: bool,
    diagnose_sample: int = 0,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    started, started_cpu = time.perf_counter(), time.process_time()
    records, skipped = read_records(folder, entity)
    read_seconds, read_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    truth = read_truth(folder, entity)
    rss_before = _peak_rss_mb()
    print(f"{folder}: {len(records)} {entity} records read in {read_seconds:.1f} s; linking", file=sys.stderr)
    wall, cpu = time.perf_counter(), time.process_time()
    result = link(records, thresholds=thresholds or Thresholds())
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    scores = pairwise_scores(result.clusters, truth)
    auto = result.keys_in_band(Band.AUTO_MERGE)
    out: dict[str, Any] = {
        "entity": entity,
        "rows": len(truth),
        "records": len(records),
        "rows_without_a_record": skipped,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "read_seconds": round(read_seconds, 2),
        "read_cpu_seconds": round(read_cpu, 2),
        "total_seconds": round(read_seconds + seconds, 2),
        "total_cpu_seconds": round(read_cpu + cpu_seconds, 2),
        "cpu_us_per_record": round((read_cpu + cpu_seconds) / max(len(records), 1) * 1e6, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "peak_rss_mb_before_link": rss_before,
        "pairwise": scores.as_dict(),
        "auto_merge_pair_precision": round(sum(truth.get(a, a) == truth.get(b, b) for a, b in auto) / len(auto), 4)
        if auto
        else 1.0,
        "blocking": {
            "candidate_pairs": result.blocking.candidate_pairs,
            "skipped_blocks": result.blocking.skipped_blocks,
            "skipped_pairs": result.blocking.skipped_pairs,
            "largest_kept_block": result.blocking.largest_kept_block,
            "ruled_out_pairs": result.blocking.ruled_out_pairs,
        },
        "counts": result.counts,
    }
    if diagnose_sample:
        diagnose(records, truth, result, diagnose_sample)
    if with_blocking_recall:
        from app.linkage.blocking import blocking_recall, candidate_pairs
        from app.linkage.features import features

        pairs, _ = candidate_pairs(features(records))
        out["blocking_recall"] = round(blocking_recall(pairs, [r.key for r in records], truth), 4)
    return out


def _describe(record: LinkRecord) -> str:
    where = f"{record.latitude},{record.longitude}" if record.latitude is not None else "-"
    return (
        f"{record.key} name={record.name!r} address={list(record.address)} number={record.house_number} "
        f"postcode={record.postcode} locality={record.locality!r} coordinates={where}"
    )


def diagnose(records: list[LinkRecord], truth: dict[Key, str], result: LinkResult, sample: int, seed: int = 0) -> None:
    """Print (stderr) a sample of false merges and of missed pairs, each with its records and field evidence.

    False merges are auto-merged pairs whose records have different truth ids; missed pairs are records with one
    truth id that ended in different clusters, scored here afresh (blocking may not have proposed them) with the
    run's model, and with the hard rule that kept them apart if one did.
    """
    import random

    from app.linkage.features import features
    from app.linkage.scoring import compare, hard_rules

    rng = random.Random(seed)
    by_key = {r.key: r for r in records}
    wrong = [p for p in result.pairs if p.band == "auto_merge" and truth.get(p.a, p.a) != truth.get(p.b, p.b)]
    print(f"--- {len(wrong)} false auto-merges; a sample:", file=sys.stderr)
    for pair in rng.sample(wrong, min(sample, len(wrong))):
        evidence = ", ".join(f"{e.field} {e.level} {e.weight:+}" for e in pair.evidence if e.level != "missing")
        print(
            f"p={pair.probability:.3f} [{evidence}]\n  {_describe(by_key[pair.a])}\n  {_describe(by_key[pair.b])}",
            file=sys.stderr,
        )
    groups: dict[str, list[Key]] = {}
    for key in by_key:
        if key in truth:
            groups.setdefault(truth[key], []).append(key)
    missed = [
        (a, b)
        for members in groups.values()
        for n, a in enumerate(members)
        for b in members[n + 1 :]
        if result.clusters[a] != result.clusters[b]
    ]
    print(f"--- {len(missed)} missed pairs; a sample:", file=sys.stderr)
    chosen = rng.sample(missed, min(sample, len(missed)))
    if not chosen:
        return
    index = {r.key: i for i, r in enumerate(records)}
    left = np.array([min(index[a], index[b]) for a, b in chosen], dtype=np.int64)
    right = np.array([max(index[a], index[b]) for a, b in chosen], dtype=np.int64)
    entity = records[0].entity
    levels = compare(features(records), (left, right), entity)
    rules = hard_rules(levels, entity)
    weights = result.model.match_weights(levels)
    for n, (a, b) in enumerate(chosen):
        evidence = ", ".join(f"{f} {lvl} {w:+}" for f, lvl, w in result.model.explain(levels[n]) if lvl != "missing")
        print(f"weight={weights[n]:.2f} rule={rules[n]} [{evidence}]", file=sys.stderr)
        print(f"  {_describe(by_key[a])}\n  {_describe(by_key[b])}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, help="bench this directory (made by make_synthetic_directory.py) only")
    parser.add_argument("--work", type=Path, help="where to write the directories (default: a temporary folder)")
    parser.add_argument("--entity", choices=("location", "organization", "service"), default="location")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--blocking-recall", action="store_true", help="also measure blocking recall (slower)")
    parser.add_argument("--auto-merge", type=float, default=Thresholds().auto_merge, help="auto-merge threshold")
    parser.add_argument("--review", type=float, default=Thresholds().review, help="review band threshold")
    parser.add_argument(
        "--diagnose",
        type=int,
        default=0,
        metavar="N",
        help="print N sampled false merges and N missed pairs with their evidence (stderr)",
    )
    args = parser.parse_args(argv)
    thresholds = Thresholds(auto_merge=args.auto_merge, review=args.review)
    if args.dir:
        result = bench(
            args.dir,
            args.entity,
            with_blocking_recall=args.blocking_recall,
            diagnose_sample=args.diagnose,
            thresholds=thresholds,
        )
        print(json.dumps({"dir": str(args.dir), **result}), flush=True)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as scratch:
        work = args.work or Path(scratch)
        for size in args.sizes:
            folder = work / f"synthetic-{size}"
            if not (folder / "manifest.json").exists():  # made in a child process, so its memory is not counted
                subprocess.run(
                    [
                        sys.executable,
                        str(REPO_ROOT / "scripts" / "make_synthetic_directory.py"),
                        "--size",
                        str(size),
                        "--out",
                        str(folder),
                        "--seed",
                        str(args.seed),
                    ],
                    check=True,
                    stdout=sys.stderr,
                )
            result = bench(
                folder,
                args.entity,
                with_blocking_recall=args.blocking_recall,
                diagnose_sample=args.diagnose,
                thresholds=thresholds,
            )
            goal = GOALS_SECONDS.get(size)
            print(
                json.dumps(
                    {
                        "size": size,
                        "seed": args.seed,
                        **result,
                        "goal_seconds": goal,
                        "within_goal": goal is None or result["total_seconds"] <= goal,
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
