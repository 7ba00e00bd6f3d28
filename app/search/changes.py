"""Which golden rows a transaction changed, so the search index can follow.

``app.services.publish`` (the single write path) notes every row it writes, detaches or
deletes, by table; ``app.search.sync`` takes the notes when the session commits and
re-indexes the services they affect. Nothing else needs to remember to update the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

_KEY = "waymark_changed_rows"


def note(session: Session, table: str, ids: Iterable[str]) -> None:
    """Remember that rows ``ids`` of ``table`` changed in this session's transaction."""
    changed: defaultdict[str, set[str]] = session.info.setdefault(_KEY, defaultdict(set))
    changed[table].update(ids)


def take(session: Session) -> dict[str, set[str]]:
    """The rows changed since the last ``take`` (table -> ids), forgetting them."""
    return dict(session.info.pop(_KEY, {}))


def forget(session: Session) -> None:
    session.info.pop(_KEY, None)
