"""Open the right importer for a registered source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.models.staging import Source
from importers.base import Feed, FeedError


def _http(source: Source) -> Any:
    from importers.http import FeedHttp

    headers = {str(k): str(v) for k, v in source.credentials.items()}
    return FeedHttp(headers=headers, cache=source.http_cache)


def open_feed(source: Source, incremental: bool = False, force: bool = False) -> Feed:
    """The feed of ``source``; incremental asks only for what changed since the last clean run;
    ``force`` reads everything even when the source looks unchanged (fingerprint, ETag)."""
    if force:
        source.http_cache = {}
    if source.type == "hsds_api":
        from importers.hsds_api import HsdsApiFeed

        since = source.last_complete_at if incremental else None
        options = {k: v for k, v in source.config.items() if k in ("per_page", "max_pages", "full_records")}
        feed: Feed = HsdsApiFeed(source.location, _http(source), since=since, **options)
        return feed
    if source.type == "hsds_tabular":
        from importers.hsds_tabular import TabularFeed

        remote = source.location.startswith(("http://", "https://"))
        return TabularFeed(source.location, _http(source) if remote else None,
                           known_fingerprint=source.http_cache.get("fingerprint"))
    if source.type == "spreadsheet":
        from importers.spreadsheet import SpreadsheetFeed

        path = Path(source.location)
        if not path.is_file():
            raise FeedError(f"{path}: no such spreadsheet")
        mapping = {k: v for k, v in source.config.items() if k != "_file"}
        sheet: Feed = SpreadsheetFeed(path, mapping, known_fingerprint=source.http_cache.get("fingerprint"))
        return sheet
    raise FeedError(f"source {source.name!r} has unknown type {source.type!r}")
