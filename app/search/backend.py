"""The search contract: what a link worker can ask, what an index holds, what answers.

Every backend (SQL on SQLite or PostgreSQL, Elasticsearch) implements ``SearchBackend``
against the same two plain value types, so one contract test suite can put the same
``SearchQuery`` to each and expect the same answer:

- ``SearchDocument``: one searchable row, built from the golden records by
  ``app.search.documents`` (one per service at a location; one per service that has no
  location, such as a helpline or an online course). Everything a filter needs is
  pre-computed here (taxonomy terms with their ancestors, area codes, opening intervals,
  analysed text), so backends only index values and never interpret HSDS.
- ``SearchQuery``: the API's parameters after parsing and resolving (a postcode is already
  a point, a term already known to exist, ``day``/``start_time``/``end_time`` already week
  minutes), so backends never parse user input.

Semantics every backend must honour (the contract suite checks each):

- Filters combine with AND. Within ``term_ids``, ``languages`` and ``delivery``, any one
  value matches (OR).
- ``text``: every word group must match (AND); a group matches when any of its alternatives
  does, and an alternative (a tuple of stemmed tokens) when all of its tokens are in the
  document's ``name_text`` or ``body_text``.
- ``point`` + ``proximity``: only documents with coordinates within ``proximity`` metres
  (great-circle distance, ``app.geo.distance.haversine_m``) match; ``distance`` is that
  distance. With a point, documents without coordinates match only when the query does not
  restrict by distance (``proximity`` is None) and they sort after all located ones.
- ``unit == "service"``: one hit per service, its nearest matching document; ids are
  service ids and ``total`` counts services. ``unit == "service_at_location"``: only
  documents with a ``location_id`` (a service with no location is not a service at a
  location); ids are document ids.
- ``sort``: "distance" (nearest first, ties by name then id), "relevance" (documents that
  match every group through its first alternative, the user's own words, before those found
  through synonyms; then best text match first, ties by distance when there is a point, then
  name, then id), "name" (name, id).
- ``total`` is exact.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy.orm import Session

from app.search.opening import OpenInterval

Delivery = Literal["in_person", "telephone", "online"]
DELIVERY_MODES: tuple[Delivery, ...] = ("in_person", "telephone", "online")
Sort = Literal["distance", "relevance", "name"]
Unit = Literal["service", "service_at_location"]

# A text query: AND over word groups; a group is an OR over alternatives; an alternative is
# an AND over stemmed tokens (see app.search.text). (("walk",), ("social", "isol")) is one group.
TextQuery = tuple[tuple[tuple[str, ...], ...], ...]

# Coverage codes a document can carry besides area codes (ONS codes such as E08000035,
# E92000001, E38000225): the whole UK, and a service delivered online (reaches anyone).
EVERYWHERE = "UK"


@dataclass(frozen=True)
class SearchDocument:
    id: str  # service_at_location id, or the service id when the service has no location
    service_id: str
    location_id: str | None
    organization_id: str | None
    name: str  # the service's name: the name sort key
    last_modified: datetime.datetime | None  # the service's, aware UTC
    latitude: float | None
    longitude: float | None
    name_text: str  # analysed tokens (app.search.text.analyse) of the service name, space-separated
    body_text: str  # analysed tokens of description, organisation name, taxonomy term names ...
    term_ids: frozenset[str] = frozenset()  # taxonomy terms of the service and all their ancestors
    taxonomy_ids: frozenset[str] = frozenset()  # taxonomies of those terms
    minimum_age: int | None = None  # eligible from this age (None: no lower limit)
    maximum_age: int | None = None  # eligible up to and including this age (None: no upper limit)
    free: bool = False
    languages: frozenset[str] = frozenset()  # lower-case ISO 639 codes and names ("pl", "polish")
    delivery: frozenset[str] = frozenset()  # subset of DELIVERY_MODES
    coverage_codes: frozenset[str] = frozenset()  # area codes served, or EVERYWHERE
    coverage_shapes: tuple[str, ...] = ()  # GeoJSON geometries (WGS84) of service areas
    intervals: tuple[OpenInterval, ...] = ()  # when it is open (app.search.opening)


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class OpenAt:
    """A moment, in the terms of ``OpenInterval``: a document matches when one of its intervals
    has ``start <= minute < end`` and ``occurs_on`` the day that occurrence started: ``day``
    when the interval starts on the same weekday as ``minute``, else the day before."""

    minute: int  # minutes from Monday 00:00, Europe/London
    day: datetime.date  # the London date of the moment


@dataclass(frozen=True)
class SearchQuery:
    unit: Unit = "service_at_location"
    page: int = 1
    per_page: int = 50
    sort: Sort = "name"
    point: GeoPoint | None = None
    proximity: float | None = None  # metres; only with a point
    text: TextQuery = ()
    term_ids: frozenset[str] = frozenset()
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime.datetime | None = None  # aware
    # Open at some time in one of these week-minute windows [start, end): day/start_time/end_time.
    windows: tuple[tuple[int, int], ...] = ()
    open_at: OpenAt | None = None
    # Eligible for someone whose age lies in [low, high] (either end None: unbounded).
    age_range: tuple[int | None, int | None] | None = None
    free: bool = False
    languages: frozenset[str] = frozenset()
    delivery: frozenset[str] = frozenset()
    # The patient's area codes (local authority, country, sub-ICB, health board; always with
    # EVERYWHERE): a document matches when it shares a code or a coverage shape contains
    # ``point``. None: no coverage filter.
    coverage: frozenset[str] | None = None


@dataclass
class SearchResult:
    ids: list[str]
    total: int
    distances: dict[str, float] = field(default_factory=dict)  # id -> metres, when there is a point


class SearchBackend(Protocol):
    """An index of ``SearchDocument``s. Writes take the caller's session so that the SQL
    backend changes in the same transaction as the golden records it describes."""

    name: str

    def search(self, session: Session, query: SearchQuery) -> SearchResult: ...

    def replace(self, session: Session, service_ids: Iterable[str],
                documents: Sequence[SearchDocument]) -> None:
        """Drop every document of ``service_ids``, then add ``documents`` (which belong to
        those services): how the index follows a change to golden records."""

    def rebuild(self, session: Session, documents: Iterable[SearchDocument]) -> int:
        """Replace the whole index with ``documents`` (a stream); returns how many. Serving
        goes on from the old index until the new one is complete."""

    def count(self, session: Session) -> int:
        """How many documents the index holds."""
