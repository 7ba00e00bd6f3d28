"""The Elasticsearch search backend: the same contract as the SQL one, for scale-out serving.

Requests are plain data built in ``app.search.elastic_dsl`` (mapping, document sources,
search bodies), so they are unit-tested without a server; this module sends them and reads
the answers.

- Reads go to an alias (``elasticsearch_index``, "waymark" by default). ``rebuild`` loads a new
  concrete index ``<alias>-<timestamp>`` and swaps the alias to it in one ``update_aliases``
  call, so searches go on from the old index until the new one is complete.
- Writes are not part of the database transaction (``transactional = False``): the index sync
  helper queues them until the transaction has committed, and ``replace`` then makes them
  visible before returning (``refresh="wait_for"``, see there).
- ``unit="service"`` counts services exactly with a composite aggregation (see
  ``elastic_dsl.build_search``): one extra request per ``COUNT_PAGE`` matching services beyond
  the first page, which rides along with the search itself.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import BulkIndexError, scan, streaming_bulk
from sqlalchemy.orm import Session

from app.geo.distance import haversine_m
from app.search.backend import SearchDocument, SearchQuery, SearchResult
from app.search.elastic_dsl import (
    COUNT_PAGE,
    NEAREST,
    SERVICES_AGG,
    build_query,
    build_search,
    count_body,
    index_settings,
    mapping,
    to_source,
)

__all__ = ["ElasticsearchBackend", "build_query", "build_search", "mapping", "to_source"]

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 10.0  # seconds, for searches and small writes
BULK_TIMEOUT = 120.0  # seconds, for one bulk chunk during a rebuild
MAX_RETRIES = 3
BULK_CHUNK = 500  # documents per bulk request
SERVICE_CHUNK = 1000  # service ids per lookup of their current documents


class ElasticsearchBackend:
    """``SearchBackend`` on an Elasticsearch 8 cluster, behind the alias ``alias``."""

    name = "elasticsearch"
    transactional = False

    def __init__(self, url: str, alias: str, client: Elasticsearch | None = None):
        self.url = url
        self.alias = alias
        self._client = client
        self._lock = threading.Lock()
        self._alias_ready = False

    @property
    def client(self) -> Elasticsearch:
        """Made on first use, so that building the backend (at app start) needs no server.
        Timeouts are retried: searches and our writes are idempotent (writes carry ids)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = Elasticsearch(self.url, request_timeout=REQUEST_TIMEOUT,
                                                 max_retries=MAX_RETRIES, retry_on_timeout=True)
        return self._client

    # -- reads ---------------------------------------------------------------------------

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        try:
            response = self.client.search(index=self.alias, body=build_search(query))
        except NotFoundError:
            return SearchResult([], 0)  # nothing indexed yet: no alias
        hits: list[dict[str, Any]] = response["hits"]["hits"]
        service = query.unit == "service"
        ids = [hit["_source"]["service_id"] if service else hit["_id"] for hit in hits]
        distances: dict[str, float] = {}
        if query.point is not None:
            for key, hit in zip(ids, hits, strict=True):
                nearest = _nearest(hit) if service and query.sort != "distance" else hit
                distance = _distance(nearest, query.point.latitude, query.point.longitude)
                if distance is not None:
                    distances[key] = distance
        if service:
            total = self._count_services(query, response.body.get("aggregations", {}).get(SERVICES_AGG, {}))
        else:
            total = int(response["hits"]["total"]["value"])
        return SearchResult(ids, total, distances)

    def _count_services(self, query: SearchQuery, page: dict[str, Any]) -> int:
        """Add up the composite pages (the first came with the search), following ``after_key``
        while pages come back full. Pages read the index as it is at each request: a write
        landing between two pages can make the count differ from a single snapshot by it."""
        total = 0
        while True:
            buckets = page.get("buckets", [])
            total += len(buckets)
            after = page.get("after_key")
            if len(buckets) < COUNT_PAGE or after is None:
                return total
            response = self.client.search(
                index=self.alias, body=count_body(query, after),
                filter_path=[f"aggregations.{SERVICES_AGG}.after_key",
                             f"aggregations.{SERVICES_AGG}.buckets.doc_count"])
            page = response.body.get("aggregations", {}).get(SERVICES_AGG, {})

    def count(self, session: Session) -> int:
        try:
            return int(self.client.count(index=self.alias)["count"])
        except NotFoundError:
            return 0

    # -- writes --------------------------------------------------------------------------

    def replace(self, session: Session, service_ids: Iterable[str], documents: Sequence[SearchDocument]) -> None:
        """Delete the documents of ``service_ids`` that ``documents`` no longer include and
        index ``documents`` (same ids overwrite in place), in bulk requests through the alias.

        Deleting only the stale ids, rather than everything of those services first, means a
        search never sees a service missing half-way through. The last bulk request waits
        (``refresh="wait_for"``) until a refresh has made all of it searchable: the next search
        (a link worker reloading a listing just edited, or a test) sees the change, without the
        cost of forcing a refresh (small segments) on every publish; the price is up to one
        refresh interval (1 s by default) of latency on this write, which runs after commit.
        With one shard, that refresh covers the earlier chunks too.
        """
        services = list(dict.fromkeys(service_ids))
        if not services and not documents:
            return
        self._ensure_alias()
        keep = {document.id for document in documents}
        stale = [doc_id for doc_id in self._ids_of_services(services) if doc_id not in keep]
        operations: list[dict[str, Any]] = [{"delete": {"_id": doc_id}} for doc_id in stale]
        for document in documents:
            operations.extend(({"index": {"_id": document.id}}, to_source(document)))
        # Cut between whole actions: a delete is one line, an index two.
        chunks = list(_action_chunks(operations, BULK_CHUNK))
        for number, chunk in enumerate(chunks, start=1):
            refresh = "wait_for" if number == len(chunks) else False
            response = self.client.bulk(index=self.alias, operations=chunk, refresh=refresh)
            if response.body.get("errors"):
                failed = [item for item in response.body["items"] if "error" in next(iter(item.values()))]
                raise BulkIndexError(f"{len(failed)} document(s) failed to index.", failed)

    def _ids_of_services(self, services: list[str]) -> Iterator[str]:
        """Ids of the documents the index holds now for ``services`` (a scroll: no size limit)."""
        it = iter(services)
        while batch := list(islice(it, SERVICE_CHUNK)):
            body = {"query": {"terms": {"service_id": batch}}, "_source": False}
            for hit in scan(self.client, query=body, index=self.alias, size=1000):
                yield hit["_id"]

    def rebuild(self, session: Session, documents: Iterable[SearchDocument]) -> int:
        """Load ``documents`` into a new index, then point the alias at it and drop the old ones.

        The new index is loaded with refresh off (much faster bulk loading), then refreshed
        before the swap, so the first search after it sees everything. If loading fails, the
        half-built index is deleted and the alias is untouched. Writes made through ``replace``
        while a rebuild runs go to the old index; the rebuild's stream must be read after them
        to include them (``waymark search reindex`` reads the golden records as it goes).
        """
        client = self.client
        new = f"{self.alias}-{datetime.datetime.now(datetime.UTC):%Y%m%d%H%M%S%f}"
        client.indices.create(index=new, mappings=mapping(),
                              settings={**index_settings(), "refresh_interval": "-1"})
        try:
            count = 0
            actions = ({"_op_type": "index", "_index": new, "_id": document.id, "_source": to_source(document)}
                       for document in documents)
            for ok, _item in streaming_bulk(client.options(request_timeout=BULK_TIMEOUT), actions,
                                            chunk_size=BULK_CHUNK, max_retries=MAX_RETRIES, raise_on_error=True):
                count += ok
            client.indices.put_settings(index=new, settings={"index": {"refresh_interval": None}})  # the default
            client.indices.refresh(index=new)
            old = self._swap_alias(new)
        except BaseException:
            try:
                client.options(ignore_status=404).indices.delete(index=new)
            except Exception:  # keep the original error; a left-over index is only space
                log.warning("Could not delete the unfinished search index %s", new, exc_info=True)
            raise
        for index in old:
            try:
                client.options(ignore_status=404).indices.delete(index=index)
            except Exception:  # the new index serves already; an old one left over is only space
                log.warning("Could not delete the old search index %s", index, exc_info=True)
        self._alias_ready = True
        return count

    def _indices_behind_alias(self) -> list[str]:
        response = self.client.options(ignore_status=404).indices.get_alias(name=self.alias)
        if response.meta.status == 404:
            return []
        return sorted(response.body)

    def _swap_alias(self, new: str) -> list[str]:
        """Point the alias at ``new`` alone, atomically; returns the indices it left."""
        old = [index for index in self._indices_behind_alias() if index != new]
        actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        if not old and self.client.indices.exists(index=self.alias):
            # A concrete index with the alias's name (written to before any rebuild): removed in
            # the same call, the only way to give its name to the alias without a gap.
            actions.append({"remove_index": {"index": self.alias}})
        actions.append({"add": {"index": new, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def _ensure_alias(self) -> None:
        """Make an empty index behind the alias if there is none, so that a write before the
        first rebuild never auto-creates an index named like the alias with guessed mappings."""
        if self._alias_ready:
            return
        if not self.client.indices.exists(index=self.alias):
            new = f"{self.alias}-{datetime.datetime.now(datetime.UTC):%Y%m%d%H%M%S%f}"
            self.client.indices.create(index=new, mappings=mapping(), settings=index_settings(),
                                       aliases={self.alias: {}})
        self._alias_ready = True


def _action_chunks(operations: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Bulk lines in chunks of at most ``size`` actions, never splitting an action from its source."""
    chunk: list[dict[str, Any]] = []
    actions = 0
    i = 0
    while i < len(operations):
        width = 1 if "delete" in operations[i] else 2
        chunk.extend(operations[i:i + width])
        i += width
        actions += 1
        if actions == size:
            yield chunk
            chunk, actions = [], 0
    if chunk:
        yield chunk


def _nearest(hit: dict[str, Any]) -> dict[str, Any]:
    """The collapse's inner hit nearest to the point (the hit itself if there is none)."""
    inner = hit.get("inner_hits", {}).get(NEAREST, {}).get("hits", {}).get("hits", [])
    return inner[0] if inner else hit


def _distance(hit: dict[str, Any], latitude: float, longitude: float) -> float | None:
    """Haversine metres from the coordinates as stored, exactly what the SQL backend computes
    (Elasticsearch's own arc distance uses quantised coordinates and sloppy trigonometry)."""
    location = hit.get("_source", {}).get("location")
    if not location:
        return None
    return haversine_m(latitude, longitude, float(location["lat"]), float(location["lon"]))
