"""Read queries over the golden directory: filters, ordering and paging.

Each ``find_*`` returns a ``Page`` of ids plus the exact total; the API compiles the
ids into HSDS records with ``app.services.compile``. Services and services at
locations are found through the search index (``app.search``): ``prepare_search``
turns the API's parameters into a ``SearchQuery`` once per request.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.geo.areas import areas_at
from app.geo.place import Place, PlaceError, configured_geocoder, resolve_place
from app.models.hsds import Organization, Taxonomy, TaxonomyTerm
from app.search import backend_of
from app.search.backend import GeoPoint, OpenAt, SearchQuery, Sort, Unit
from app.search.opening import MINUTES_PER_DAY, week_minute
from app.search.text import parse_query
from app.services.compile import table_of
from app.services.publish import existing_ids


class FilterError(ValueError):
    """A filter value that is well-formed but cannot be used (an unknown postcode)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass
class Page:
    ids: list[str]
    total: int
    page: int
    per_page: int
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> extension fields
    context: dict[str, Any] | None = None  # about the search itself: its point, radius, notices

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def _words(text: str) -> list[str]:
    return [w for w in text.lower().split() if w][:10]


def _like(column: Any, word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _paged(session: Session, stmt: Select[Any], order: list[Any], page: int, per_page: int) -> Page:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    ids = list(session.execute(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(ids, total, page, per_page)


def find_services(session: Session, filters: dict[str, Any]) -> Page:
    """Services, each once at its nearest matching location (see ``prepare_search``)."""
    return _search(session, filters, "service")


def find_services_at_locations(session: Session, filters: dict[str, Any]) -> Page:
    """One row per service at a location (and per service with no location)."""
    return _search(session, filters, "service_at_location")


def _search(session: Session, filters: dict[str, Any], unit: Unit) -> Page:
    query = dataclasses.replace(filters["query"], unit=unit, page=filters["page"], per_page=filters["per_page"])
    found = backend_of(session).search(session, query)
    extras = {i: {"distance": round(d, 1)} for i, d in found.distances.items()}
    return Page(found.ids, found.total, query.page, query.per_page, extras, filters.get("context"))


def prepare_search(session: Session, filters: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Resolve the parsed parameters of a service search into ``filters["query"]`` (a
    ``SearchQuery`` without paging) and ``filters["context"]`` (what the response reports
    about the search point and any adjustment). A bad value fails here, before any output."""
    notices: list[str] = []
    place = _place(session, filters, settings)
    point = GeoPoint(place.latitude, place.longitude) if place else None
    proximity = filters.get("proximity")
    if proximity is not None and proximity > settings.search_max_proximity:
        notices.append(f"proximity {proximity:.0f} m is more than the largest radius allowed; "
                       f"searched within {settings.search_max_proximity} m instead.")
        proximity = float(settings.search_max_proximity)
    if point is not None and proximity is None and not filters.get("coverage"):
        proximity = float(settings.search_default_proximity)
        notices.append(f"No proximity given: searched within {settings.search_default_proximity} m.")
    text = parse_query(filters["search"]) if "search" in filters else ()
    if "search" in filters and not text:
        notices.append("The search words are all too common to search by; they were ignored.")
    sort: Sort = filters.get("sort") or ("relevance" if text else "distance" if point else "name")
    if sort == "relevance" and not text:
        sort = "distance" if point else "name"
    query = SearchQuery(
        sort=sort,
        point=point,
        proximity=proximity,
        text=text,
        term_ids=_known_terms(session, filters.get("taxonomy_term_id", [])),
        taxonomy_id=filters.get("taxonomy_id"),
        organization_id=filters.get("organization_id"),
        modified_after=filters.get("modified_after"),
        windows=_windows(filters.get("day"), filters.get("start_time"), filters.get("end_time")),
        open_at=_open_at(filters["open_at"]) if "open_at" in filters else None,
        age_range=_age_range(filters),
        free=filters.get("cost") == "free",
        languages=filters.get("language", frozenset()),
        delivery=filters.get("delivery", frozenset()),
        coverage=areas_at(session, place, place.la_code) if place and filters.get("coverage") else None,
    )
    return {**filters, "query": query, "context": _context(place, proximity, notices)}


def _context(place: Place | None, proximity: float | None, notices: list[str]) -> dict[str, Any] | None:
    context: dict[str, Any] = {}
    if place is not None:
        context["point"] = {"latitude": round(place.latitude, 6), "longitude": round(place.longitude, 6),
                            "precision": place.precision, "approximate": place.approximate}
        if place.label:
            context["point"]["label"] = place.label
        if place.approximate:
            notices.append(f"{place.label or 'The place'} gives an approximate point ({place.precision}); "
                           "distances are measured from its centre.")
    if proximity is not None:
        context["proximity"] = proximity
    if notices:
        context["notices"] = notices
    return context or None


def _place(session: Session, filters: dict[str, Any], settings: Settings) -> Place | None:
    if not any(name in filters for name in ("postcode", "place", "lat")):
        return None
    geocoder = configured_geocoder(settings) if "place" in filters else None
    try:
        return resolve_place(session, postcode=filters.get("postcode"), lat=filters.get("lat"),
                             long=filters.get("long"), place=filters.get("place"), geocoder=geocoder)
    except PlaceError as exc:
        raise FilterError(exc.parameter, str(exc)) from None


def _known_terms(session: Session, term_ids: list[str]) -> frozenset[str]:
    """The requested terms, each of which must exist (an unknown one is a client error).
    Checked with SQL handed to the driver (``existing_ids``): through the ORM (an expanding
    IN, compiled on every call) it cost ~220 us of CPU on PostgreSQL and ~130 us on SQLite
    for one term, against ~35 us and ~10 us this way."""
    wanted = frozenset(term_ids)
    if wanted:
        known = existing_ids(session.connection(), table_of("taxonomy_term"), sorted(wanted))
        unknown = sorted(wanted - known)
        if unknown:
            raise FilterError("taxonomy_term_id", f"No taxonomy term with id {', '.join(unknown)}.")
    return wanted


def _windows(day: int | None, start: int | None, end: int | None) -> tuple[tuple[int, int], ...]:
    """``day``/``start_time``/``end_time`` as week-minute windows: open at some time within one."""
    if day is None and start is None and end is None:
        return ()
    days = [day] if day is not None else list(range(7))
    low = start if start is not None else 0
    high = end if end is not None else MINUTES_PER_DAY
    return tuple((d * MINUTES_PER_DAY + low, d * MINUTES_PER_DAY + high) for d in days)


def _open_at(moment: datetime.datetime) -> OpenAt:
    minute, day = week_minute(moment)
    return OpenAt(minute, day)


def _age_range(filters: dict[str, Any]) -> tuple[int | None, int | None] | None:
    if "age" in filters:
        return (filters["age"], filters["age"])
    if "minimum_age" in filters or "maximum_age" in filters:
        return (filters.get("minimum_age"), filters.get("maximum_age"))
    return None


def find_organizations(session: Session, filters: dict[str, Any]) -> Page:
    clauses = [_like(Organization.name, w) for w in _words(filters.get("search", ""))]
    stmt = select(Organization.id).where(*clauses)
    return _paged(session, stmt, [Organization.name, Organization.id], filters["page"], filters["per_page"])


def find_taxonomies(session: Session, filters: dict[str, Any]) -> Page:
    clauses = [_like(Taxonomy.name, w) for w in _words(filters.get("search", ""))]
    stmt = select(Taxonomy.id).where(*clauses)
    return _paged(session, stmt, [Taxonomy.name, Taxonomy.id], filters["page"], filters["per_page"])


def find_taxonomy_terms(session: Session, filters: dict[str, Any]) -> Page:
    clauses = [or_(_like(TaxonomyTerm.name, w), _like(TaxonomyTerm.code, w))
               for w in _words(filters.get("search", ""))]
    if "taxonomy_id" in filters:
        clauses.append(TaxonomyTerm.taxonomy_id == filters["taxonomy_id"])
    if "parent_id" in filters:
        clauses.append(TaxonomyTerm.parent_id == filters["parent_id"])
    if filters.get("top_only"):
        clauses.append(TaxonomyTerm.parent_id.is_(None))
    stmt = select(TaxonomyTerm.id).where(*clauses)
    return _paged(session, stmt, [TaxonomyTerm.name, TaxonomyTerm.id], filters["page"], filters["per_page"])


def exists_by_id(session: Session, model: Any, ident: str) -> bool:
    return session.execute(select(model.id).where(model.id == ident)).first() is not None
