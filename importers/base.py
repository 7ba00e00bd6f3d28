"""What every source adapter yields, and how it fails.

An adapter reads one feed and yields ``SourceRecord``s: the raw payload as the
source gave it, the normalised nested HSDS record (or ``None`` when it could not
be made), and the problems found on the way. It never touches the database.

Ids inside ``record`` are the source's own (any strings); the harvest turns them
into stable Waymark UUIDs with ``importers.identity.scope_ids``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from schema.flatten import Flattened

# Kinds of record, in the order they must be published (referenced things first).
KINDS = ("taxonomy", "taxonomy_term", "organization", "service")


class FeedError(Exception):
    """The feed as a whole failed (unreachable, unreadable, lying about its paging).

    The message says what and where, for a maintainer to read. Records yielded before
    the failure are still good; a failed harvest withdraws nothing.
    """


@dataclass
class SourceRecord:
    external_id: str  # the record's stable id in its source
    kind: str  # one of KINDS
    raw: Any  # the payload as fetched (JSON-serialisable)
    record: dict[str, Any] | None  # normalised nested HSDS record; None if it could not be made
    origin: str = ""  # where in the feed: "services.csv row 12", "page 3 item 7"
    problems: list[str] = field(default_factory=list)  # readable reasons to quarantine
    stage: str = "normalise"  # the stage the problems arose in
    # Set by ``importers.identity.prepare`` (an adapter may do it while reading, see there):
    digest: str | None = None  # content_hash(raw, record, problems) of the record as read
    scoped_for: str | None = None  # the source whose Waymark ids ``record`` now has
    unchanged: bool = False  # the harvest has this very record (same digest) staged: raw and record left out
    flattened: Flattened | None = None  # ``record`` (as scoped) validated and flattened into rows (schema.flatten)


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str, separators=(",", ":"))  # made once, not per record


def content_hash(raw: Any, record: dict[str, Any] | None, problems: list[str]) -> str:
    """sha256 of a record as its source gave it: the harvest writes nothing when this is unchanged."""
    return hashlib.sha256(_HASH_ENCODER.encode([raw, record, problems]).encode()).hexdigest()


class Feed(Protocol):
    """One read of a source. ``complete`` is true once ``records()`` has been read to
    the end of a full (not incremental) feed: only then may missing records be withdrawn.
    ``not_modified`` is true when the source said (HTTP 304) or showed (same content
    fingerprint) that nothing changed since the last clean harvest: no records follow.
    ``fingerprint`` (or None) identifies the content read, for the next harvest to compare."""

    complete: bool
    not_modified: bool
    fingerprint: str | None

    def records(self) -> Iterator[SourceRecord]: ...


# Reading a feed in a worker process.
#
# Reading and normalising records (joining CSV tables, parsing phone numbers and opening
# hours), hashing them, scoping their ids and flattening them into rows needs nothing from
# the harvest, and is half of a first harvest's time and nearly all of a re-read's. A large feed is
# read by a second Python process (``python -m <the adapter's module>``: a fresh
# interpreter, sharing nothing with the caller), which pickles its records to its standard
# output a batch at a time while the harvest writes the batch before. A pipe holds little,
# so the worker is at most a batch ahead and memory stays flat. Records, problems and
# errors are the same as read in-process; a FeedError raised in the worker is raised here,
# with its message, once the records before it have been yielded.

WORKER_BATCH = 500
# request -> (the records, a function giving what the caller needs once they are read)
Reader = Callable[[Any], tuple[Iterable[SourceRecord], Callable[[], Any]]]


def read_in_worker(module: str, request: Any) -> Generator[SourceRecord, None, Any]:
    """Yield the records that ``python -m module`` serves (see ``worker_main``) for ``request``,
    which goes to it pickled; return what its reader gives once they are read."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    worker = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env=environment)
    assert worker.stdin is not None and worker.stdout is not None
    try:
        with worker.stdin:
            pickle.dump(request, worker.stdin, pickle.HIGHEST_PROTOCOL)
        while True:
            try:
                what, payload = pickle.load(worker.stdout)
            except EOFError:
                raise RuntimeError(f"the {module} reader process stopped unexpectedly "
                                   f"(exit code {worker.wait()})") from None
            if what == "records":
                payload.reverse()
                while payload:  # each record let go as it is taken: none kept once the harvest has them all
                    yield payload.pop()
            elif what == "done":
                return payload
            elif what == "feed error":
                raise FeedError(payload)
            else:
                raise RuntimeError(f"the {module} reader process failed:\n{payload}")
    finally:
        worker.stdout.close()
        if worker.poll() is None:  # stopped early: the worker is blocked on the pipe, or still reading
            worker.kill()
        worker.wait()


def serve_records(reader: Reader, request: Any, out: BinaryIO) -> None:
    """The worker's side: ``reader(request)``'s records pickled to ``out`` as ("records", [...])
    batches, then ("done", what it gives at the end), or ("feed error", message) or ("error", traceback)."""
    try:
        records, finish = reader(request)
        batch: list[SourceRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) >= WORKER_BATCH:
                pickle.dump(("records", batch), out, pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(("records", batch), out, pickle.HIGHEST_PROTOCOL)
        message: tuple[str, Any] = ("done", finish())
    except FeedError as exc:
        message = ("feed error", str(exc))
    except Exception:
        message = ("error", traceback.format_exc())
    with contextlib.suppress(OSError):  # the harvest may have stopped reading
        pickle.dump(message, out, pickle.HIGHEST_PROTOCOL)
        out.flush()


def worker_main(reader: Reader) -> None:
    """``python -m <adapter>``: read the pickled request from standard input and serve its records
    on standard output; anything else printed goes to standard error, not into the records."""
    records_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve_records(reader, pickle.load(sys.stdin.buffer), records_out)
    records_out.close()
