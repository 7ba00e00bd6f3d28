#!/usr/bin/env python3
"""Time a full ``link`` against an incremental one after a small change (issue 5), on the synthetic directory.

A full run links the records of ``--dir`` (a folder ``scripts/make_synthetic_directory.py`` wrote); then
``--changed`` (a share) of the records get a changed name (a word added) and an incremental run links them again
with the full run's ``compared`` state, and a forced full run does too. Prints one JSON object: CPU and wall
seconds of each (medians of ``--repeat``), pairs compared, and whether the incremental clusters equal the forced
full run's (``same_clusters``, and how many records differ)::

    .venv/bin/python scripts/bench_incremental.py --dir /tmp/synth100k --entity organization --changed 0.01
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for path in (REPO_ROOT, REPO_ROOT / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import numpy as np  # noqa: E402
from bench_linkage import read_records  # noqa: E402

from app.linkage import LinkResult, link  # noqa: E402


def _timed(run: Callable[[], LinkResult]) -> tuple[LinkResult, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--entity", choices=("location", "organization", "service"), default="location")
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    records, _ = read_records(args.dir, args.entity)
    first = link(records)
    rng = np.random.default_rng(0)
    picked = set(rng.choice(len(records), int(len(records) * args.changed), replace=False).tolist())
    changed_records = [dataclasses.replace(r, name=f"{r.name} annex") if i in picked else r
                       for i, r in enumerate(records)]
    changed = {records[i].key for i in picked}
    runs: dict[str, list[tuple[float, float]]] = {"full": [], "incremental": []}
    for _ in range(args.repeat):
        full, cpu, wall = _timed(lambda: link(changed_records, previous=first.clusters))
        runs["full"].append((cpu, wall))
        incremental, cpu, wall = _timed(lambda: link(changed_records, previous=first.clusters,
                                                     reuse=first.compared, changed=changed))
        runs["incremental"].append((cpu, wall))
    differ = sum(full.clusters[k] != incremental.clusters[k] for k in full.clusters)
    out = {"entity": args.entity, "records": len(records), "changed": len(changed),
           **{f"{name}_cpu_seconds": round(statistics.median(c for c, _ in r), 3) for name, r in runs.items()},
           **{f"{name}_seconds": round(statistics.median(w for _, w in r), 3) for name, r in runs.items()},
           "full_compared_pairs": full.counts["compared_pairs"],
           "incremental_compared_pairs": incremental.counts["compared_pairs"],
           "same_clusters": differ == 0, "records_in_other_clusters": differ}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
