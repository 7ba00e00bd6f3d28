"""What every source adapter yields, and how it fails.

An adapter reads one feed and yields ``SourceRecord``s: the raw payload as the
source gave it, the normalised nested HSDS record (or ``None`` when it could not
be made), and the problems found on the way. It never touches the database.

Ids inside ``record`` are the source's own (any strings); the harvest turns them
into stable Waymark UUIDs with ``importers.identity.scope_ids``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

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
