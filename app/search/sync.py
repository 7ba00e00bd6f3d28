"""The search index follows the golden records: every publish re-indexes the services it touched.

``app.services.publish`` notes the rows it writes, detaches or deletes and settles the notes at
the end of each call (``app.search.changes``); ``follow`` maps them to the services whose
documents they feed, rebuilds those documents and hands them to the backend with ``replace``.
A service that is gone simply has no documents any more.

Which services a change affects:

- the service's own rows and the rows it owns (service at location, phone, schedule, language,
  cost option, service area, attribute): that service;
- shared rows, which many services use (organization, location and its address, schedule and
  language, taxonomy term): every service that uses them (a term's descendants too, as their
  documents carry its name). Publish notes each shared row again with every service record
  that embeds it, changed or not, so fanning out then would re-index, batch after batch, every
  service of a popular term. So a settle that also holds service rows re-indexes those
  services only, and the shared rows fan out when they change on their own (a taxonomy or
  organisation published by itself, an edit). A shared row changed through one source's
  service records reaches other sources' services at their next harvest, or at
  ``waymark search reindex``.

The SQL backend writes in the caller's transaction, so the index commits or rolls back with the
records. A backend that cannot (``transactional = False``: Elasticsearch) gets the documents
after the commit, and nothing if the transaction rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.models.hsds import (
    Address,
    Attribute,
    CostOption,
    Language,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from app.search import backend_of, changes
from app.search.backend import SearchBackend, SearchDocument
from app.search.documents import all_documents, documents_for
from app.search.published import PublishedRows

CHUNK = 500  # ids per IN list
log = logging.getLogger(__name__)
_PENDING = "waymark_search_pending"  # Session.info: service id -> documents, for after the commit
# Rows owned by one service: table -> (its id column, the column naming the service).
_OWNED_BY_SERVICE: dict[str, tuple[Any, Any]] = {
    "service_at_location": (ServiceAtLocation.id, ServiceAtLocation.service_id),
    "cost_option": (CostOption.id, CostOption.service_id),
    "service_area": (ServiceArea.id, ServiceArea.service_id),
}


def follow(session: Session, changed: dict[str, set[str]], published: PublishedRows | None = None) -> None:
    """Re-index the services ``changed`` rows affect (registered with ``changes.follow_with``),
    their documents built from the rows ``published`` has just written where those settle them."""
    service_ids = affected_services(session, changed)
    if not service_ids:
        return
    ordered = sorted(service_ids)
    backend = backend_of(session)
    documents = documents_for(session, ordered, published)
    if getattr(backend, "transactional", True):
        backend.replace(session, ordered, documents)
        return
    pending: dict[str, list[SearchDocument]] = session.info.setdefault(_PENDING, {})
    for service_id in ordered:
        pending[service_id] = []
    for document in documents:
        pending[document.service_id].append(document)


def affected_services(session: Session, changed: dict[str, set[str]]) -> set[str]:
    """The ids of the services whose documents ``changed`` (table -> row ids) may alter.

    A publish of services notes the services and the rows beneath them, so those services
    are the whole answer: looking up each noted phone, schedule or attribute would only find
    them again (one query per table per batch, on every harvest). Shared rows reached from
    them (locations, organisations, terms) are followed to other services only when they
    change on their own (``_shared_fan_out``)."""
    if changed.get("service"):
        return set(changed["service"])
    services: set[str] = set()
    for table, (id_column, service_column) in _OWNED_BY_SERVICE.items():
        services |= _lookup(session, service_column, id_column, changed.get(table))
    services |= _services_of_sals(session, set(changed.get("service_at_location", ())))
    phones = changed.get("phone")
    services |= _lookup(session, Phone.service_id, Phone.id, phones)
    services |= _services_of_sals(session, _lookup(session, Phone.service_at_location_id, Phone.id, phones))
    services |= _lookup(session, Schedule.service_id, Schedule.id, changed.get("schedule"))
    services |= _services_of_sals(session, _lookup(session, Schedule.service_at_location_id, Schedule.id,
                                                   changed.get("schedule")))
    services |= _lookup(session, Language.service_id, Language.id, changed.get("language"))
    language_phones = _lookup(session, Language.phone_id, Language.id, changed.get("language"))
    services |= _lookup(session, Phone.service_id, Phone.id, language_phones)
    services |= _services_of_sals(session, _lookup(session, Phone.service_at_location_id, Phone.id, language_phones))
    attributes = changed.get("attribute")
    if attributes:
        services |= _lookup(session, Attribute.link_id, Attribute.id, attributes, Attribute.link_entity == "service")
    return services | _shared_fan_out(session, changed)


def _shared_fan_out(session: Session, changed: dict[str, set[str]]) -> set[str]:
    """Services using changed shared rows: locations (and their addresses, schedules and
    languages), organisations and taxonomy terms with their descendants."""
    locations = set(changed.get("location", ()))
    locations |= _lookup(session, Address.location_id, Address.id, changed.get("address"))
    locations |= _lookup(session, Schedule.location_id, Schedule.id, changed.get("schedule"))
    locations |= _lookup(session, Language.location_id, Language.id, changed.get("language"))
    services = _lookup(session, ServiceAtLocation.service_id, ServiceAtLocation.location_id, locations)
    services |= _lookup(session, Service.id, Service.organization_id, changed.get("organization"))
    terms = _with_descendants(session, set(changed.get("taxonomy_term", ())))
    services |= _lookup(session, Attribute.link_id, Attribute.taxonomy_term_id, terms,
                        Attribute.link_entity == "service")
    return services


def _lookup(session: Session, wanted: Any, key: Any, ids: Iterable[str] | None, *conditions: Any) -> set[str]:
    """Non-null ``wanted`` values of the rows whose ``key`` is in ``ids``, a chunk at a time."""
    found: set[str] = set()
    values = sorted(ids or ())
    for start in range(0, len(values), CHUNK):
        statement = select(wanted).distinct().where(key.in_(values[start:start + CHUNK]), wanted.is_not(None),
                                                    *conditions)
        found.update(session.scalars(statement))
    return found


def _services_of_sals(session: Session, sal_ids: set[str]) -> set[str]:
    return _lookup(session, ServiceAtLocation.service_id, ServiceAtLocation.id, sal_ids)


def _with_descendants(session: Session, term_ids: set[str]) -> set[str]:
    """The terms and all their descendants (cycles stop at the first repeat)."""
    found = set(term_ids)
    frontier = set(term_ids)
    while frontier:
        frontier = _lookup(session, TaxonomyTerm.id, TaxonomyTerm.parent_id, frontier) - found
        found |= frontier
    return found


def reindex(session: Session) -> int:
    """Rebuild the whole index of the session's backend from the golden records; how many
    documents it now holds. The caller commits."""
    backend = backend_of(session)
    return backend.rebuild(session, all_documents(session))


def expected_documents(session: Session) -> int:
    """How many documents the golden records make: one per service at a location, one per
    service without any."""
    located = session.scalar(select(func.count()).select_from(ServiceAtLocation))
    alone = session.scalar(select(func.count()).select_from(Service).where(
        ~select(ServiceAtLocation.id).where(ServiceAtLocation.service_id == Service.id).exists()))
    return int(located or 0) + int(alone or 0)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    """Hand a non-transactional backend the documents of a transaction that committed."""
    pending: dict[str, list[SearchDocument]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    backend: SearchBackend = backend_of(session)
    ids = sorted(pending)
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            backend.replace(session, chunk, [document for service_id in chunk for document in pending[service_id]])
    except Exception:  # the records are committed: failing the caller now would only hide that
        log.exception("The %s search index missed changes to %d services: run `waymark search reindex`.",
                      backend.name, len(ids))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


changes.follow_with(follow)
