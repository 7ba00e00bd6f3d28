"""Production serving with gunicorn (also used by the Docker image)."""

from __future__ import annotations

import gc
from typing import Any

from gunicorn.app.base import BaseApplication

from app import create_app

# Threads per worker process. A search request spends much of its time waiting on the database
# (several round trips to PostgreSQL; SQLite releases the GIL while it reads), and a synchronous
# worker sits idle through those waits: with two workers on two cores, four threads each served
# ~30-40% more requests/s on PostgreSQL under the search benchmark's mixed load (wrk, 8 connections)
# and no fewer on SQLite. Threaded workers also keep HTTP connections alive between requests.
THREADS = 4
# Python's cyclic garbage collector, per worker: everything loaded before serving (the app, its
# models, schemas and compiled statements) is frozen out of the collections, and young objects are
# collected every 7,000 allocations instead of 700: a request allocates thousands of short-lived
# rows and dicts, and each collection also walked the long-lived objects. CPU per search request
# in-process, bench mix, 3 alternating rounds: SQLite 5.0 -> 4.8 ms, PostgreSQL 2.8 -> 2.5 ms.
GC_THRESHOLDS = (7000, 50, 50)


def _collect_less(_worker: Any) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class WaymarkServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app()


def run_gunicorn(host: str, port: int, workers: int, threads: int = THREADS) -> None:
    WaymarkServer({"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
                   "accesslog": "-", "timeout": 60, "post_worker_init": _collect_less}).run()
