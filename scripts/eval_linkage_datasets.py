"""Accuracy of ``app.linkage`` on the labelled de-duplication sets in ../shared/data/dedup; prints JSON.

For each set: pairwise precision/recall/F1 without labels; again after at most 50 reviewer answers (the most
uncertain pairs of the review band, answered from the ground truth, as a maintainer would); blocking recall; seconds.

    python scripts/eval_linkage_datasets.py [--data ../shared/data/dedup] [--labels 50] [--synthetic DIR]

The sets are read straight from CSV into ``LinkRecord``s here; loading them through the spreadsheet importer is
the database layer's job.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

from app.linkage import Decision, LinkRecord, Thresholds, link, pairwise_scores
from app.linkage.blocking import blocking_recall, candidate_pairs
from app.linkage.features import features
from app.linkage.records import Key

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dedup"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def restaurants(data: Path) -> tuple[list[LinkRecord], dict[Key, str]]:
    """Fodor's and Zagat's restaurants as locations (US phones), and the truth: matched pairs share an id."""
    folder = data / "fodors_zagats"
    records = []
    for source in ("fodors", "zagats"):
        for row in _rows(folder / f"{source}.csv"):
            records.append(
                LinkRecord.build(
                    (source, row["id"]),
                    "organization",
                    name=row["name"],
                    address=[row["addr"]],
                    locality=row["city"],
                    phones=[row["phone"]],
                    country="US",
                )
            )
    truth = {}
    for row in _rows(folder / "matches_fodors_zagats.csv"):
        truth[("fodors", row["fodors_id"])] = truth[("zagats", row["zagats_id"])] = f"match-{row['fodors_id']}"
    return records, truth


def patstat(data: Path) -> tuple[list[LinkRecord], dict[Key, str]]:
    """Patent applicants as organisations (name and, where geocoded, coordinates); truth is the Leuven id."""
    folder = data / "patstat"
    records = [
        LinkRecord.build(
            ("patstat", row["person_id"]),
            "organization",
            name=row["Name"],
            latitude=float(row["Lat"] or 0),
            longitude=float(row["Lng"] or 0),
            country="NL",
        )
        for row in _rows(folder / "patstat_input.csv")
    ]
    truth = {("patstat", row["person_id"]): row["leuven_id"] for row in _rows(folder / "patstat_reference.csv")}
    return records, truth


def synthetic(folder: Path) -> tuple[list[LinkRecord], dict[Key, str]]:
    """A directory written by ``make_synthetic_directory.py``, at location level, read as ``bench_linkage`` reads it."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling script, run from anywhere
    from bench_linkage import read_records, read_truth

    records, _ = read_records(folder, "location")
    return records, read_truth(folder, "location")


def evaluate(
    records: list[LinkRecord], truth: dict[Key, str], *, link_only: bool, labels: int, thresholds: Thresholds
) -> dict[str, Any]:
    """Scores without labels, with up to ``labels`` answers from the truth, and blocking recall."""
    started = time.perf_counter()
    result = link(records, link_only=link_only, thresholds=thresholds)
    seconds = time.perf_counter() - started
    unlabelled = pairwise_scores(result.clusters, truth, link_only=link_only)
    auto = [p for p in result.pairs if p.band == "auto_merge"]
    auto_precision = sum(truth.get(p.a, p.a) == truth.get(p.b, p.b) for p in auto) / len(auto) if auto else 1.0
    asked = result.review_queue()[:labels]
    decisions = [Decision(p.a, p.b, truth.get(p.a, ("none", p.a)) == truth.get(p.b, ("none", p.b))) for p in asked]
    labelled = link(records, link_only=link_only, thresholds=thresholds, decisions=decisions)
    with_labels = pairwise_scores(labelled.clusters, truth, link_only=link_only)
    pairs, _ = candidate_pairs(features(records), link_only=link_only)
    return {
        "records": len(records),
        "without_labels": unlabelled.as_dict(),
        "auto_merge_pair_precision": round(auto_precision, 4),
        "labels_used": len(decisions),
        "labels_answered_same": sum(d.same for d in decisions),
        "with_labels": with_labels.as_dict(),
        "blocking_recall": round(blocking_recall(pairs, [r.key for r in records], truth, link_only=link_only), 4),
        "blocking": {
            "candidate_pairs": result.blocking.candidate_pairs,
            "skipped_blocks": result.blocking.skipped_blocks,
            "skipped_pairs": result.blocking.skipped_pairs,
        },
        "counts": result.counts,
        "prior": round(result.model.prior, 5),
        "seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--synthetic", type=Path, help="also a synthetic directory (make_synthetic_directory.py)")
    parser.add_argument("--auto-merge", type=float, default=Thresholds().auto_merge)
    parser.add_argument("--review", type=float, default=Thresholds().review)
    args = parser.parse_args(argv)
    thresholds = Thresholds(auto_merge=args.auto_merge, review=args.review)
    report = {
        "thresholds": {"auto_merge": thresholds.auto_merge, "review": thresholds.review},
        "fodors_zagats": evaluate(*restaurants(args.data), link_only=True, labels=args.labels, thresholds=thresholds),
        "patstat": evaluate(*patstat(args.data), link_only=False, labels=args.labels, thresholds=thresholds),
    }
    if args.synthetic:
        report["synthetic_location"] = evaluate(
            *synthetic(args.synthetic), link_only=False, labels=args.labels, thresholds=thresholds
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
