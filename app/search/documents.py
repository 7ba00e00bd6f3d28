"""Search documents from the golden HSDS tables: what goes into the search index.

One ``SearchDocument`` per service at a location (id: the service_at_location id; point: its
location's coordinates); a service with no location (a helpline, an online course) gets one
document whose id is the service id and which has no point. Everything a filter needs is
worked out here once, so that backends only store values:

- text: ``name_text`` is the service's name and alternate name; ``body_text`` its
  description, eligibility, organisation name, taxonomy term names (with their ancestors, so
  "Befriending" is also found as "Loneliness and social isolation") and the location's name,
  all through ``app.search.text.analyse``.
- terms: the service's attribute terms plus every ancestor (``taxonomy_term.parent_id``,
  cycles guarded), so asking for a parent term finds services filed under its children.
- free: nothing costs money (no cost option with a positive amount) and something says it
  is free: a cost option of amount 0, or an option, amount description, ``fees_description``
  or ``fees`` saying free / no charge without a condition ("otherwise", "unless", "fees apply").
- languages: lower-case codes and names of the languages of the service, of the document's
  location and of the service's (or its service at location's) phones.
- delivery: ``in_person`` at a physical location (``location_type`` physical, or not virtual
  with a physical address or coordinates); ``online`` at a virtual location; ``telephone``
  when the service or the service at location has a phone. A schedule's ORUK
  ``attending_type`` ("In person", "By telephone", "Online") adds its mode. A service with no
  location and no phone, only a website, is delivered ``online``. Virtual locations give no
  point: their coordinates (if any) are not somewhere a patient can go.
- coverage: codes and shapes of the service's ``service_area`` rows
  (``app.geo.areas.service_area_coverage``). A document delivered online reaches anyone, so it
  covers ``EVERYWHERE`` unless the service declares areas we understood (an online course for
  Leeds residents stays in Leeds).
- intervals: the most specific schedules that exist: the service at location's, else the
  service's, else the location's (a building's opening hours are not a group's meeting time,
  but are better than nothing). Each through ``app.search.opening.intervals``.

Reading is a handful of batched selects per ``BATCH`` services (no ORM objects, no compile of
the full HSDS plan): every harvest pays for it on each changed service.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Text, or_, select, type_coerce
from sqlalchemy.orm import Session

from app.models.hsds import (
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from app.search.backend import EVERYWHERE, SearchDocument
from app.search.opening import OpenInterval, intervals
from app.search.published import PublishedRows
from app.search.text import analyse
from app.services.publish import among
from schema.flatten import OwnedKey

BATCH = 500  # services per round of selects (well under every database's bound-parameter limit)
_FREE = re.compile(r"\b(free|no charge|no cost|without charge)\b", re.IGNORECASE)
_CONDITIONAL = re.compile(r"\b(otherwise|unless|except|fees? apply|charges? apply|fees? may apply)\b", re.IGNORECASE)
_ATTENDING = (("online", re.compile(r"online|virtual|video|internet|web", re.IGNORECASE)),
              ("telephone", re.compile(r"phone|call", re.IGNORECASE)),
              ("in_person", re.compile(r"person|face|site|venue|home visit", re.IGNORECASE)))
# Times and dates are read as the database gives them: app.search.opening parses "09:00:00" and
# "2026-01-31" as readily as time and date objects, and SQLite's own conversion costs more.
_SCHEDULE_COLUMNS = (Schedule.service_id, Schedule.service_at_location_id, Schedule.location_id, Schedule.freq,
                     Schedule.byday, *(type_coerce(column, Text).label(column.key) for column in (
                         Schedule.opens_at, Schedule.closes_at, Schedule.valid_from, Schedule.valid_to,
                         Schedule.until, Schedule.dtstart)),
                     Schedule.interval, Schedule.attending_type)
_SCHEDULE_NAMES = tuple(select(*_SCHEDULE_COLUMNS).selected_columns.keys())
_SERVICE_COLUMNS = (Service.name, Service.alternate_name, Service.description, Service.url,
                    Service.eligibility_description, Service.fees_description, Service.fees, Service.minimum_age,
                    Service.maximum_age, Service.organization_id, Service.last_modified)
_LOCATION_COLUMNS = (Location.name, Location.location_type, Location.latitude, Location.longitude)


def documents_for(session: Session, service_ids: Iterable[str],
                  published: PublishedRows | None = None) -> list[SearchDocument]:
    """The documents of these services as the golden tables hold them now (none for an id
    that is not a service any more). What ``published`` (the rows a publish has just written)
    settles is taken from it rather than read back."""
    ids = list(dict.fromkeys(service_ids))
    out: list[SearchDocument] = []
    if not ids:
        return out
    session.flush()  # the selects below go to the connection, past the session's autoflush
    connection = session.connection()
    for start in range(0, len(ids), BATCH):
        out.extend(_Batch(connection, ids[start:start + BATCH], published).documents())
    return out


def all_documents(session: Session, batch: int = 1000) -> Iterator[SearchDocument]:
    """Every service's documents, in service id order, a batch of services at a time (for a
    rebuild: memory stays flat however large the directory)."""
    after = ""
    while True:
        ids = list(session.scalars(select(Service.id).where(Service.id > after).order_by(Service.id).limit(batch)))
        if not ids:
            return
        yield from documents_for(session, ids)
        after = ids[-1]


def says_free(text: str | None) -> bool:
    """Whether a fee text says the service is free, without a condition attached."""
    return bool(text) and bool(_FREE.search(text or "")) and not _CONDITIONAL.search(text or "")


def attending_modes(attending_type: str | None) -> set[str]:
    """Delivery modes an ORUK schedule ``attending_type`` names ("By telephone" -> telephone)."""
    return {mode for mode, pattern in _ATTENDING if attending_type and pattern.search(attending_type)}


@dataclass
class _Place:
    """What one location contributes to a document."""

    id: str
    name: str | None
    location_type: str
    latitude: float | None
    longitude: float | None
    physical_address: bool = False
    languages: set[str] = field(default_factory=set)
    schedules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def virtual(self) -> bool:
        return self.location_type.lower() == "virtual"

    @property
    def in_person(self) -> bool:
        located = self.latitude is not None and self.longitude is not None
        return self.location_type.lower() == "physical" or (not self.virtual and (self.physical_address or located))


class _Batch:
    """The rows of up to ``BATCH`` services, read with one select per table.

    The selects run on the session's connection, not through ``Session.execute``: they name
    columns, not entities, and the ORM's statement compilation and row loading cost more
    than the database's own work (a quarter of indexing a harvest)."""

    def __init__(self, connection: Connection, ids: Sequence[str], published: PublishedRows | None = None):
        self.connection = connection
        self.dialect = connection.dialect
        self.published = published or PublishedRows()
        self.services = self._read_services(ids)
        self.ids = [row.id for row in self.services]
        self.id_set = set(self.ids)
        self.sals = sorted(self._children(
            [(("service_at_location", "service_id", "service"), ServiceAtLocation.service_id, self.ids)],
            (ServiceAtLocation.service_id, ServiceAtLocation.location_id)), key=lambda row: row.id)
        self.sal_ids = {row.id for row in self.sals}
        self.places = self._places({row.location_id for row in self.sals})
        self._read_phones()
        self._read_schedules()
        self._read_languages()
        self.free = self._free()
        self.coverage = self._coverage()
        self.terms = _Terms(connection, self.ids, self.published)
        self._names: dict[str | None, list[str]] = {}

    def _in(self, column: Any, values: Iterable[Any]) -> Any:
        return among(column, values, self.dialect)

    def _children(self, links: Sequence[tuple[OwnedKey, Any, Iterable[str]]], columns: Sequence[Any],
                  *conditions: Any) -> list[Any]:
        """The rows (id and ``columns``) of one child table linked to given parents, each
        (key, link column, parent ids) of ``links``: from the batch where it settles them, the
        rest in one select (with ``conditions``)."""
        names = [column.key for column in columns]
        rows: dict[str, Any] = {}
        unsettled_links = []
        for key, link, parent_ids in links:
            found, unsettled = self.published.children(key, parent_ids, names)
            rows.update((row.id, row) for row in found)
            if unsettled:
                unsettled_links.append(self._in(link, sorted(unsettled)))
        if unsettled_links:
            table = columns[0].class_
            rows.update((row.id, row) for row in self.connection.execute(
                select(table.id, *columns).where(or_(*unsettled_links), *conditions)))
        return [rows[row_id] for row_id in sorted(rows)]

    def _read_services(self, ids: Sequence[str]) -> list[Any]:
        """Service rows with their organisation's name."""
        services, unsettled = self.published.rows_of("service", ids, [column.key for column in _SERVICE_COLUMNS])
        organizations: dict[str, Any] = {}
        for organization_id in {row.organization_id for row in services} - {None}:
            organization = self.published.row("organization", organization_id, ("name",))
            if organization is not None:
                organizations[organization_id] = organization.name
        wanted = {row.organization_id for row in services} - organizations.keys() - {None}
        if wanted:
            organizations.update(self.connection.execute(
                select(Organization.id, Organization.name).where(self._in(Organization.id, wanted))).tuples().all())
        for row in services:
            row.organization_name = organizations.get(row.organization_id)
        if unsettled:
            services.extend(self.connection.execute(
                select(Service.id, *_SERVICE_COLUMNS, Organization.name.label("organization_name"))
                .outerjoin(Organization, Organization.id == Service.organization_id)
                .where(self._in(Service.id, unsettled))))
        return services

    def _analysed_name(self, name: str | None) -> list[str]:
        """Organisation, term and location names repeat across a batch: analyse each once."""
        tokens = self._names.get(name)
        if tokens is None:
            tokens = self._names[name] = analyse(name)
        return tokens

    def _places(self, location_ids: set[str]) -> dict[str, _Place]:
        if not location_ids:
            return {}
        rows, unsettled = self.published.rows_of("location", location_ids, [column.key for column in _LOCATION_COLUMNS])
        if unsettled:
            rows.extend(self.connection.execute(
                select(Location.id, *_LOCATION_COLUMNS).where(self._in(Location.id, unsettled))))
        places = {row.id: _Place(row.id, row.name, row.location_type or "", row.latitude, row.longitude)
                  for row in rows}
        for row in self._children([(("address", "location_id", "location"), Address.location_id, list(places))],
                                  (Address.location_id, Address.address_type), Address.address_type == "physical"):
            if row.address_type == "physical":
                places[row.location_id].physical_address = True
        return places

    def _read_phones(self) -> None:
        rows = self._children([(("phone", "service_id", "service"), Phone.service_id, self.ids),
                               (("phone", "service_at_location_id", "service_at_location"),
                                Phone.service_at_location_id, self.sal_ids)],
                              (Phone.service_id, Phone.service_at_location_id))
        self.phoned_services = {row.service_id for row in rows if row.service_id}
        self.phoned_sals = {row.service_at_location_id for row in rows if row.service_at_location_id}
        self.phone_owner = {row.id: (row.service_id, row.service_at_location_id) for row in rows}

    def _read_schedules(self) -> None:
        self.schedules: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        rows = self._children([(("schedule", "service_id", "service"), Schedule.service_id, self.ids),
                               (("schedule", "service_at_location_id", "service_at_location"),
                                Schedule.service_at_location_id, self.sal_ids),
                               (("schedule", "location_id", "location"), Schedule.location_id, list(self.places))],
                              _SCHEDULE_COLUMNS)
        for row in rows:
            schedule = {name: getattr(row, name) for name in _SCHEDULE_NAMES}
            # A schedule names one owner; if it names several, the most specific one owns it.
            if row.service_at_location_id in self.sal_ids:
                self.schedules["sal", row.service_at_location_id].append(schedule)
            elif row.service_id in self.id_set:
                self.schedules["service", row.service_id].append(schedule)
            elif row.location_id in self.places:
                self.places[row.location_id].schedules.append(schedule)

    def _read_languages(self) -> None:
        self.languages: dict[str, set[str]] = defaultdict(set)  # service id or "sal:<id>" -> names
        rows = self._children([(("language", "service_id", "service"), Language.service_id, self.ids),
                               (("language", "location_id", "location"), Language.location_id, list(self.places)),
                               (("language", "phone_id", "phone"), Language.phone_id, list(self.phone_owner))],
                              (Language.service_id, Language.location_id, Language.phone_id, Language.code,
                               Language.name))
        for row in rows:
            values = {value.strip().lower() for value in (row.code, row.name) if value and value.strip()}
            if row.service_id in self.id_set:
                self.languages[row.service_id] |= values
            if row.location_id in self.places:
                self.places[row.location_id].languages |= values
            service_id, sal_id = self.phone_owner.get(row.phone_id, (None, None))
            if service_id:
                self.languages[service_id] |= values
            if sal_id:
                self.languages["sal:" + sal_id] |= values

    def _free(self) -> set[str]:
        options: dict[str, list[Any]] = defaultdict(list)
        for row in self._children([(("cost_option", "service_id", "service"), CostOption.service_id, self.ids)],
                                  (CostOption.service_id, CostOption.amount, CostOption.option,
                                   CostOption.amount_description)):
            options[row.service_id].append(row)
        free = set()
        for service in self.services:
            rows = options.get(service.id, [])
            if any(row.amount is not None and row.amount > 0 for row in rows):
                continue
            if (any(row.amount == 0 or says_free(row.option) or says_free(row.amount_description) for row in rows)
                    or says_free(service.fees_description) or says_free(service.fees)):
                free.add(service.id)
        return free

    def _coverage(self) -> dict[str, tuple[frozenset[str], tuple[str, ...]]]:
        from app.geo.areas import service_area_coverage

        codes: dict[str, set[str]] = defaultdict(set)
        shapes: dict[str, list[str]] = defaultdict(list)
        columns = (ServiceArea.service_id, ServiceArea.name, ServiceArea.description, ServiceArea.extent,
                   ServiceArea.extent_type, ServiceArea.uri)
        for row in self._children([(("service_area", "service_id", "service"), ServiceArea.service_id, self.ids)],
                                  columns):
            found_codes, found_shapes = service_area_coverage({column.key: getattr(row, column.key)
                                                               for column in columns})
            codes[row.service_id] |= found_codes
            shapes[row.service_id].extend(found_shapes)
        return {service_id: (frozenset(codes[service_id]), tuple(dict.fromkeys(shapes[service_id])))
                for service_id in set(codes) | set(shapes)}

    def documents(self) -> list[SearchDocument]:
        sals_of: dict[str, list[Any]] = defaultdict(list)
        for sal in self.sals:
            sals_of[sal.service_id].append(sal)
        out: list[SearchDocument] = []
        for service in self.services:
            common = self._common(service)
            sals = [sal for sal in sals_of.get(service.id, []) if sal.location_id in self.places]
            if not sals:
                out.append(self._document(service, common, None, None))
            out.extend(self._document(service, common, sal.id, self.places[sal.location_id]) for sal in sals)
        return out

    def _common(self, service: Any) -> dict[str, Any]:
        """What every document of ``service`` shares."""
        term_ids, taxonomy_ids, term_names = self.terms.of(service.id)
        body = [*analyse(service.description), *analyse(service.eligibility_description),
                *self._analysed_name(service.organization_name)]
        for term_name in term_names:
            body.extend(self._analysed_name(term_name))
        return {
            "name_text": analyse(" ".join(filter(None, (service.name, service.alternate_name)))),
            "body_text": body,
            "term_ids": term_ids,
            "taxonomy_ids": taxonomy_ids,
            "minimum_age": None if service.minimum_age is None else math.ceil(service.minimum_age),
            "maximum_age": None if service.maximum_age is None else math.floor(service.maximum_age),
            "free": service.id in self.free,
            "last_modified": _utc(service.last_modified),
        }

    def _document(self, service: Any, common: dict[str, Any], sal_id: str | None,
                  place: _Place | None) -> SearchDocument:
        schedules = (self.schedules.get(("sal", sal_id)) if sal_id else None) \
            or self.schedules.get(("service", service.id)) or (place.schedules if place else [])
        everything = [*self.schedules.get(("service", service.id), []),
                      *(self.schedules.get(("sal", sal_id), []) if sal_id else []), *(place.schedules if place else [])]
        delivery = {mode for schedule in everything for mode in attending_modes(schedule["attending_type"])}
        if place is not None:
            delivery |= {"in_person"} if place.in_person else set()
            delivery |= {"online"} if place.virtual else set()
        if service.id in self.phoned_services or (sal_id and sal_id in self.phoned_sals):
            delivery.add("telephone")
        elif place is None and service.url and not delivery:
            delivery.add("online")
        codes, shapes = self.coverage.get(service.id, (frozenset(), ()))
        if "online" in delivery and not codes and not shapes:
            codes = frozenset({EVERYWHERE})
        languages = self.languages.get(service.id, set()) | (place.languages if place else set())
        if sal_id:
            languages = languages | self.languages.get("sal:" + sal_id, set())
        located = place is not None and not place.virtual
        body = common["body_text"] + (self._analysed_name(place.name) if place else [])
        found: list[OpenInterval] = [interval for schedule in schedules for interval in intervals(schedule)]
        return SearchDocument(
            id=sal_id or service.id, service_id=service.id, location_id=place.id if place else None,
            organization_id=service.organization_id, name=service.name, last_modified=common["last_modified"],
            latitude=place.latitude if located and place else None,
            longitude=place.longitude if located and place else None,
            name_text=" ".join(common["name_text"]), body_text=" ".join(body),
            term_ids=common["term_ids"], taxonomy_ids=common["taxonomy_ids"],
            minimum_age=common["minimum_age"], maximum_age=common["maximum_age"], free=common["free"],
            languages=frozenset(languages), delivery=frozenset(delivery), coverage_codes=codes,
            coverage_shapes=shapes, intervals=tuple(dict.fromkeys(found)))


class _Terms:
    """The taxonomy terms of a batch of services, with every ancestor: one select for the
    attributes, then one per level of the hierarchy still unknown."""

    def __init__(self, connection: Connection, service_ids: Sequence[str], published: PublishedRows):
        self.direct: dict[str, set[str]] = defaultdict(set)
        found, unsettled = published.children(("attribute", "link_id", "service"), service_ids,
                                               ("link_id", "taxonomy_term_id", "link_entity"))
        rows: list[Any] = list(found)
        if unsettled:
            # link_entity is checked here, not in the WHERE: given both, PostgreSQL with the statistics
            # of a table a harvest is filling can pick the link_entity index and filter every attribute.
            rows.extend(connection.execute(
                select(Attribute.link_id, Attribute.taxonomy_term_id, Attribute.link_entity)
                .where(among(Attribute.link_id, sorted(unsettled), connection.dialect))))
        for row in rows:
            if row.link_entity == "service":
                self.direct[row.link_id].add(row.taxonomy_term_id)
        self.terms: dict[str, Any] = {}
        wanted = {term for terms in self.direct.values() for term in terms}
        while wanted:
            level, unread = published.rows_of("taxonomy_term", wanted, ("name", "parent_id", "taxonomy_id"))
            if unread:
                level.extend(connection.execute(
                    select(TaxonomyTerm.id, TaxonomyTerm.name, TaxonomyTerm.parent_id, TaxonomyTerm.taxonomy_id)
                    .where(among(TaxonomyTerm.id, unread, connection.dialect))))
            self.terms.update((row.id, row) for row in level)
            wanted = {row.parent_id for row in level if row.parent_id and row.parent_id not in self.terms}

    def of(self, service_id: str) -> tuple[frozenset[str], frozenset[str], list[str]]:
        """(term ids, taxonomy ids, term names) of a service, ancestors included."""
        seen: dict[str, None] = {}
        for term_id in sorted(self.direct.get(service_id, ())):
            current: str | None = term_id
            while current and current not in seen:  # a parent cycle stops at the first repeat
                seen[current] = None
                row = self.terms.get(current)
                current = row.parent_id if row is not None else None
        rows = [self.terms[term_id] for term_id in seen if term_id in self.terms]
        return (frozenset(seen), frozenset(row.taxonomy_id for row in rows if row.taxonomy_id),
                list(dict.fromkeys(row.name for row in rows)))


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=datetime.UTC) if moment.tzinfo is None else moment.astimezone(datetime.UTC)
