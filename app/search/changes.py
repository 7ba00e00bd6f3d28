"""Which golden rows a transaction changed, so the search index can follow.

``app.services.publish`` (the single write path) notes every row it writes, detaches or
deletes, by table, and settles the notes at the end of each call: ``app.search.sync``
re-indexes the services they affect. Nothing else needs to remember to update the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

_KEY = "waymark_changed_rows"
Follower = Callable[[Session, dict[str, set[str]], Any], None]
_followers: list[Follower] = []


def follow_with(follower: Follower) -> Follower:
    """Register ``follower(session, changed, published)`` to be called by ``settle`` (``app.search.sync`` does)."""
    _followers.append(follower)
    return follower


def settle(session: Session, published: Any = None) -> None:
    """Hand the rows changed so far to the followers (called at the end of each publish), with
    the rows just written if the caller has them (``app.search.published.PublishedRows``)."""
    if _followers and session.info.get(_KEY):
        changed = take(session)
        for follower in _followers:
            follower(session, changed, published)


def note(session: Session, table: str, ids: Iterable[str]) -> None:
    """Remember that rows ``ids`` of ``table`` changed in this session's transaction."""
    changed: defaultdict[str, set[str]] = session.info.setdefault(_KEY, defaultdict(set))
    changed[table].update(ids)


def take(session: Session) -> dict[str, set[str]]:
    """The rows changed since the last ``take`` (table -> ids), forgetting them."""
    return dict(session.info.pop(_KEY, {}))


def forget(session: Session) -> None:
    session.info.pop(_KEY, None)
