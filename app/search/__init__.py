"""Search: the index behind the directory's list endpoints (see ``app.search.backend``)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.config import Settings
    from app.search.backend import SearchBackend

SESSION_KEY = "waymark_settings"  # Session.info key of the app's Settings (see app.db.init_app)


@cache
def make_backend(settings: Settings) -> SearchBackend:
    """The backend the settings choose (one per process and settings)."""
    if settings.search_backend == "elasticsearch":
        from app.search.elastic import ElasticsearchBackend

        if not settings.elasticsearch_url:
            raise ValueError("search_backend=elasticsearch needs elasticsearch_url (WAYMARK_ELASTICSEARCH_URL).")
        return ElasticsearchBackend(settings.elasticsearch_url, settings.elasticsearch_index)
    if settings.search_backend != "sql":
        raise ValueError(f"Unknown search_backend {settings.search_backend!r}: use sql or elasticsearch.")
    from app.search.sql import SqlBackend

    return SqlBackend()


def backend_of(session: Session) -> SearchBackend:
    """The backend of the app that made ``session`` (the SQL index for a bare session)."""
    settings = session.info.get(SESSION_KEY)
    if settings is None:
        from app.search.sql import SqlBackend

        return SqlBackend()
    return make_backend(settings)
