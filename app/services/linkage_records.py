"""What linkage compares, read from staging: locations, organisations and services of every active staged record.

Feeds nest records: a staged service carries its organisation and its locations; a staged organisation its
locations. Each of those is a record of its own for linkage, keyed ``(source name, id it is published under)``
(the Waymark id the harvest gave it), so the same organisation nested in forty services of one source is one
record, and two sources' copies of it are two. Withdrawn and quarantined staged records take no part: a withdrawn
record is not served, and a quarantined one is served as it last was (its golden record keeps its last values).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.linkage import Entity, Key, LinkRecord, from_hsds
from app.linkage.records import ValueCache
from app.models.staging import Source, StagedRecord

ENTITIES: tuple[Entity, ...] = ("location", "organization", "service")


@dataclass
class SourceRow:
    """One record of one source for linkage: its HSDS dict and where it came from.

    A nested record seen in several staged records is merged (a field one copy lacks is taken from another) and
    traced to the first staged record it was seen in. ``organization`` and ``locations`` are the keys of a
    service's organisation and locations (and an organisation's locations)."""

    key: Key
    entity: Entity
    data: dict[str, Any]
    staged_record_id: int
    staged_external_id: str
    harvest_run_id: int | None
    first_seen: datetime.datetime
    verified: datetime.datetime | None
    organization: Key | None = None
    locations: list[Key] = field(default_factory=list)

    @property
    def own_id(self) -> str:
        return self.key[1]


Rows = dict[Entity, dict[Key, SourceRow]]


def staged_inputs(session: Session) -> list[tuple[str, str, str, str]]:
    """(source, external id, state, content hash) of every organisation and service staged: what a run reads."""
    return [tuple(row) for row in session.execute(
        select(Source.name, StagedRecord.external_id, StagedRecord.state, StagedRecord.content_hash)
        .join(Source, Source.id == StagedRecord.source_id)
        .where(StagedRecord.kind.in_(("organization", "service")))
        .order_by(Source.name, StagedRecord.external_id))]


def extract(session: Session) -> Rows:
    """Every location, organisation and service of the active staged records, by entity and key."""
    rows: Rows = {entity: {} for entity in ENTITIES}
    query = (select(Source.name, StagedRecord.id, StagedRecord.external_id, StagedRecord.kind,
                    StagedRecord.normalised, StagedRecord.run_id, StagedRecord.first_seen, StagedRecord.last_changed)
             .join(Source, Source.id == StagedRecord.source_id)
             .where(StagedRecord.state == "active", StagedRecord.kind.in_(("organization", "service")))
             .order_by(StagedRecord.first_seen, StagedRecord.id))
    for source, staged_id, external_id, kind, normalised, run_id, first_seen, last_changed in session.execute(query):
        if not isinstance(normalised, dict) or not normalised.get("id"):
            continue
        origin = _Origin(source, staged_id, external_id, run_id, first_seen, last_changed)
        if kind == "service":
            _add_service(rows, origin, normalised)
        else:
            _add_organization(rows, origin, normalised)
    return rows


@dataclass(frozen=True)
class _Origin:
    source: str
    staged_id: int
    external_id: str
    run_id: int | None
    first_seen: datetime.datetime
    last_changed: datetime.datetime

    def row(self, entity: Entity, data: Mapping[str, Any]) -> SourceRow:
        return SourceRow((self.source, str(data["id"])), entity, dict(data), self.staged_id, self.external_id,
                         self.run_id, self.first_seen, _verified(data) or self.last_changed)


def _verified(data: Mapping[str, Any]) -> datetime.datetime | None:
    """When the source last vouched for the record: its assured date or last modification, if it gives one."""
    for name in ("assured_date", "last_modified"):
        value = data.get(name)
        if isinstance(value, str) and value:
            try:
                moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return None


def _merge(rows: dict[Key, SourceRow], row: SourceRow) -> SourceRow:
    known = rows.get(row.key)
    if known is None:
        rows[row.key] = row
        return row
    for name, value in row.data.items():
        if known.data.get(name) in (None, "", [], {}):
            known.data[name] = value
    return known


def _add_locations(rows: Rows, origin: _Origin, locations: Iterable[Any]) -> list[Key]:
    keys = []
    for location in locations:
        if isinstance(location, Mapping) and location.get("id"):
            keys.append(_merge(rows["location"], origin.row("location", location)).key)
    return keys


def _add_organization(rows: Rows, origin: _Origin, data: Mapping[str, Any]) -> Key:
    body = {k: v for k, v in data.items() if k != "locations"}
    row = _merge(rows["organization"], origin.row("organization", body))
    for key in _add_locations(rows, origin, data.get("locations") or ()):
        if key not in row.locations:
            row.locations.append(key)
    return row.key


def _add_service(rows: Rows, origin: _Origin, data: Mapping[str, Any]) -> None:
    organization: Key | None = None
    nested = data.get("organization")
    if isinstance(nested, Mapping) and nested.get("id"):
        organization = _add_organization(rows, origin, nested)
    elif data.get("organization_id"):
        organization = (origin.source, str(data["organization_id"]))
    at = [sal.get("location") for sal in data.get("service_at_locations") or () if isinstance(sal, Mapping)]
    body = {k: v for k, v in data.items() if k != "organization"}
    row = _merge(rows["service"], origin.row("service", body))
    row.organization = organization
    row.locations = _add_locations(rows, origin, at)
    if organization is not None and organization in rows["organization"]:
        owner = rows["organization"][organization]
        for key in row.locations:
            if key not in owner.locations:
                owner.locations.append(key)


def link_records(rows: Rows, entity: Entity, golden: Mapping[Entity, Mapping[Key, str]]) -> list[LinkRecord]:
    """``LinkRecord``s of ``entity``. Organisations with a single site are compared with its address too, without
    phones of their own with their services' phones, and all carry the golden ids of their locations; services
    carry the golden ids of their organisation and locations (``golden``) so they match within them."""
    out = []
    values = ValueCache()
    locations = rows["location"]
    reached = _service_phones(rows) if entity == "organization" else {}
    for row in rows[entity].values():
        data: Mapping[str, Any] = row.data
        parents: list[str] = []
        organization: str | None = None
        if entity == "organization":
            # an organisation with one site is at its address; one with several branches has no single address,
            # and comparing an arbitrary first branch would count against two copies listing different branches
            data = {**data, "locations": [locations[k].data for k in row.locations if k in locations]
                    if len(row.locations) == 1 else []}
            parents = [golden["location"].get(k, k[1]) for k in row.locations]
            if not data.get("phones") and row.key in reached:
                data["phones"] = reached[row.key]
        elif entity == "service":
            if row.organization is not None:
                organization = golden["organization"].get(row.organization, row.organization[1])
            parents += [golden["location"].get(k, k[1]) for k in row.locations]
            data = {**data, "service_at_locations": [{"location": locations[k].data}
                                                     for k in row.locations[:1] if k in locations]}
        out.append(from_hsds(row.key[0], data, entity, parents=parents, organization=organization, values=values))
    return out


def _service_phones(rows: Rows) -> dict[Key, list[Any]]:
    """The phones of each organisation's services: an organisation without numbers of its own is reached at theirs
    (a spreadsheet row gives its one number to the service, whether it is the body's or the service's)."""
    out: dict[Key, list[Any]] = {}
    for row in rows["service"].values():
        if row.organization is not None:
            out.setdefault(row.organization, []).extend(row.data.get("phones") or ())
    return out


def fields_hash(record: LinkRecord) -> str:
    """A digest of what linkage compares of a record: a reviewer's answer holds while it stays the same."""
    values = (record.name, record.address, record.house_number, record.postcode, record.locality, record.latitude,
              record.longitude, record.phones, record.domain, record.registrations, record.country, record.parents,
              record.organization)
    return hashlib.sha256(repr(values).encode()).hexdigest()
