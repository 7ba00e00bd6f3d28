"""Read queries over the golden directory: filters, ordering and paging.

Each ``find_*`` returns a ``Page`` of ids plus the exact total; the API compiles the
ids into HSDS records with ``app.services.compile``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.geo.distance import bounding_box, haversine_m
from app.geo.postcodes import Point, locate, normalise
from app.models.hsds import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)


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

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def _words(text: str) -> list[str]:
    return [w for w in text.lower().split() if w][:10]


def _like(column: Any, word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _service_filters(filters: dict[str, Any]) -> list[Any]:
    clauses: list[Any] = []
    for word in _words(filters.get("search", "")):
        org_match = exists().where(Organization.id == Service.organization_id, _like(Organization.name, word))
        clauses.append(or_(_like(Service.name, word), _like(Service.description, word), org_match))
    if "taxonomy_term_id" in filters:
        clauses.append(exists().where(Attribute.link_id == Service.id,
                                      Attribute.taxonomy_term_id == filters["taxonomy_term_id"]))
    if "taxonomy_id" in filters:
        clauses.append(exists().where(Attribute.link_id == Service.id,
                                      Attribute.taxonomy_term_id == TaxonomyTerm.id,
                                      TaxonomyTerm.taxonomy_id == filters["taxonomy_id"]))
    if "organization_id" in filters:
        clauses.append(Service.organization_id == filters["organization_id"])
    if "modified_after" in filters:
        clauses.append(Service.last_modified >= filters["modified_after"])
    return clauses


def _paged(session: Session, stmt: Select[Any], order: list[Any], page: int, per_page: int) -> Page:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    ids = list(session.execute(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).scalars())
    return Page(ids, total, page, per_page)


def find_services(session: Session, filters: dict[str, Any]) -> Page:
    stmt = select(Service.id).where(*_service_filters(filters))
    return _paged(session, stmt, [Service.name, Service.id], filters["page"], filters["per_page"])


def find_services_at_locations(session: Session, filters: dict[str, Any]) -> Page:
    stmt = (select(ServiceAtLocation.id).join(Service, Service.id == ServiceAtLocation.service_id)
            .where(*_service_filters(filters)))
    point: Point | None = filters.get("point")
    if point is None:
        return _paged(session, stmt, [Service.name, ServiceAtLocation.id], filters["page"], filters["per_page"])
    return _by_distance(session, stmt, point, filters)


def resolve_places(session: Session, filters: dict[str, Any]) -> dict[str, Any]:
    """Turn a ``postcode`` filter into a ``point``, so a bad one fails before any output."""
    if "postcode" in filters:
        return {**filters, "point": patient_point(session, filters["postcode"])}
    return filters


def patient_point(session: Session, postcode: str) -> Point:
    normalised = normalise(postcode)
    if normalised is None:
        raise FilterError("postcode", f"{postcode!r} is not a UK postcode or outcode.")
    point = locate(session, normalised)
    if point is None:
        raise FilterError("postcode", f"{normalised} is not a known UK postcode.")
    return point


def _by_distance(session: Session, stmt: Select[Any], point: Point, filters: dict[str, Any]) -> Page:
    """Nearest first, within ``proximity`` metres when given (a simple, exact implementation)."""
    stmt = stmt.join(Location, Location.id == ServiceAtLocation.location_id).add_columns(
        Location.latitude, Location.longitude)
    radius = filters.get("proximity")
    if radius is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(point.latitude, point.longitude, radius)
        stmt = stmt.where(and_(Location.latitude.between(lat_min, lat_max),
                               Location.longitude.between(lon_min, lon_max)))
    else:
        stmt = stmt.where(Location.latitude.is_not(None), Location.longitude.is_not(None))
    ranked = []
    for sal_id, lat, lon in session.execute(stmt):
        distance = haversine_m(point.latitude, point.longitude, lat, lon)
        if radius is None or distance <= radius:
            ranked.append((distance, sal_id))
    ranked.sort()
    page, per_page = filters["page"], filters["per_page"]
    window = ranked[(page - 1) * per_page: page * per_page]
    return Page([i for _d, i in window], len(ranked), page, per_page,
                {i: {"distance": round(d, 1)} for d, i in window})


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
