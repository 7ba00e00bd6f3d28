"""Publish one golden record per cluster, each value traceable to its source; unpublish the merged copies.

Harvests publish every staged record one to one. After linkage, each cluster of organisations, locations and
services becomes one golden record (``app.linkage.survivorship`` picks each field's value) published through
``publish`` under the cluster's golden id, with the provenance of every field in its HSDS ``metadata`` array
(``updated_by`` names the source, the source record and the harvest run). References are rewritten to golden ids:
a service points at its golden organisation and golden locations. Then the one-to-one copies of merged members
(rows whose id is not their cluster's golden id) are removed, so link workers see one entry.

A cluster of one keeps the id its record is already published under; a merged cluster keeps the id of its oldest
member, so golden ids never churn. A golden record is only published again when what it would publish changed
(``LinkageGolden.digest``) or when one of its members was harvested again since the last run (the harvest then
republished that member one to one, over or beside the golden record), which folds it back in.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.linkage import Entity, Key
from app.linkage.survivorship import Candidate, Provenance, survive
from app.models.hsds import Location, Organization, Service
from app.models.linkage import LinkageGolden
from app.services.linkage_records import Rows, SourceRow
from app.services.publish import RecordError, publish, unpublish
from schema.hsds import Node, plan

METADATA_NAMESPACE = uuid.UUID("8d1f4a52-0b7e-5c1a-9f3e-6c696e6b6167")
REFERENCES = ("organization_id", "location_id", "service_id", "parent_organization_id")
NESTED = frozenset({"id", "metadata", "organization", "service_at_locations", "locations"})
CHUNK = 500


@dataclass
class GoldenSummary:
    published: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unpublished: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        kinds, removed = ("organization", "service"), ("service", "location", "organization")
        return {"published": {k: self.published.get(k, 0) for k in kinds},
                "unchanged": {k: self.unchanged.get(k, 0) for k in kinds},
                "unpublished": {k: self.unpublished.get(k, 0) for k in removed}, "errors": self.errors}


@dataclass
class _Golden:
    entity: Entity
    golden_id: str
    members: list[SourceRow]
    record: dict[str, Any]
    provenance: dict[str, Provenance]
    inputs: list[Mapping[str, Any]]  # the members' records, references already rewritten to golden ids

    def digest(self) -> str:
        trail = {name: p.describe() for name, p in self.provenance.items()}
        text = json.dumps([self.record, trail], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def published(self, today: str) -> dict[str, Any]:
        """The record with its provenance as HSDS metadata, one entry per field."""
        metadata = [{
            "id": str(uuid.uuid5(METADATA_NAMESPACE, f"{self.golden_id}:{name}")),
            "resource_type": self.entity, "last_action_date": today, "last_action_type": "linkage",
            "field_name": name, "previous_value": _alternatives(self, name),
            "replacement_value": _text(self.record.get(name)),
            "updated_by": origin.describe(),
        } for name, origin in sorted(self.provenance.items())]
        return {**self.record, "metadata": metadata}


def publish_golden(session: Session, rows: Rows, clusters: Mapping[Entity, Mapping[Key, str]], *,
                   trust: Mapping[str, Sequence[str]], overrides: Mapping[str, Mapping[str, Any]],
                   refreshed: set[int], now: datetime.datetime) -> GoldenSummary:
    """Publish the golden records that changed, then remove merged members' own rows; flushes.

    ``refreshed`` holds the staged record ids harvested since the last run: their clusters are published again
    whatever their digest. A record ``publish`` refuses is reported in ``errors`` and the rest go on."""
    summary = GoldenSummary()
    remap = {key[1]: gid for entity in clusters for key, gid in clusters[entity].items() if key[1] != gid}
    build = _Builder(rows, clusters, remap, trust, overrides)
    locations = build.all("location")
    organizations = build.all("organization")
    for golden in organizations.values():
        golden.record["locations"] = [locations[g].record for g in build.locations_of(golden.golden_id, locations)]
    services = build.all("service")
    for golden in services.values():
        golden.record["service_at_locations"] = build.service_at_locations(golden, locations)
    stored = dict(session.execute(select(LinkageGolden.golden_id, LinkageGolden.digest)).tuples().all())
    today = now.date().isoformat()
    served: set[str] = set()
    for kind, goldens in (("organization", organizations), ("service", services)):
        served |= _publish_changed(session, kind, goldens, stored, refreshed, now, today, summary)
    served |= {gid for gid in locations if any(gid == loc["id"] for o in organizations.values()
                                               if o.golden_id in served for loc in o.record["locations"])}
    served |= {sal["location"]["id"] for s in services.values() if s.golden_id in served
               for sal in s.record["service_at_locations"]}
    _unpublish_members(session, clusters, served, summary)
    return summary


class _Builder:
    """Golden records from clusters: survivorship over members whose references point at golden ids."""

    def __init__(self, rows: Rows, clusters: Mapping[Entity, Mapping[Key, str]], remap: Mapping[str, str],
                 trust: Mapping[str, Sequence[str]], overrides: Mapping[str, Mapping[str, Any]]):
        self.rows, self.clusters, self.remap, self.trust, self.overrides = rows, clusters, remap, trust, overrides

    def all(self, entity: Entity) -> dict[str, _Golden]:
        groups: dict[str, list[SourceRow]] = defaultdict(list)
        for key, row in self.rows[entity].items():  # rows are oldest first
            groups[self.clusters[entity].get(key, key[1])].append(row)
        return {gid: self.one(entity, gid, members) for gid, members in groups.items()}

    def one(self, entity: Entity, gid: str, members: list[SourceRow]) -> _Golden:
        candidates = [Candidate(r.key[0], r.staged_external_id, r.harvest_run_id, self.remapped(r.data), r.verified)
                      for r in members]
        survivor = survive(candidates, trust=self.trust, overrides=self.overrides.get(gid), skip=NESTED)
        return _Golden(entity, gid, members, {"id": gid, **survivor.record}, survivor.provenance,
                       [c.record for c in candidates])

    def remapped(self, value: Any) -> Any:
        """``value`` with every reference to a merged member replaced by its golden id."""
        if isinstance(value, dict):
            return {k: (self.remap.get(v, v) if k in REFERENCES and isinstance(v, str) else self.remapped(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.remapped(v) for v in value]
        return value

    def locations_of(self, organization: str, locations: Mapping[str, _Golden]) -> list[str]:
        return sorted(gid for gid, golden in locations.items() if golden.record.get("organization_id") == organization)

    def service_at_locations(self, golden: _Golden, locations: Mapping[str, _Golden]) -> list[dict[str, Any]]:
        """Every golden location any member offers the service at, once, with the first member's details."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for member in golden.members:
            for sal in member.data.get("service_at_locations") or ():
                nested = sal.get("location") if isinstance(sal, Mapping) else None
                own = (nested or {}).get("id") or sal.get("location_id")
                where = self.remap.get(own, own) if isinstance(own, str) else None
                if where is None or where in seen:
                    continue
                seen.add(where)
                body = {k: v for k, v in self.remapped(sal).items() if k not in ("location", "location_id")}
                if member.own_id != golden.golden_id:  # another member's row: a new id, as it gets a new parent
                    body["id"] = str(uuid.uuid5(METADATA_NAMESPACE, f"{golden.golden_id}:at:{where}"))
                place = locations[where].record if where in locations else {"id": where}
                out.append({**body, "service_id": golden.golden_id, "location": place})
        return out


def _publish_changed(session: Session, kind: str, goldens: Mapping[str, _Golden], stored: Mapping[str, str],
                     refreshed: set[int], now: datetime.datetime, today: str, summary: GoldenSummary) -> set[str]:
    """Publish the golden records of ``kind`` that changed; returns the ids served as golden records now."""
    due: list[tuple[_Golden, str]] = []
    served: set[str] = set()
    for golden in goldens.values():
        digest = golden.digest()
        if stored.get(golden.golden_id) == digest and not any(m.staged_record_id in refreshed for m in golden.members):
            summary.unchanged[kind] += 1
            served.add(golden.golden_id)
            continue
        due.append((golden, digest))
    for start in range(0, len(due), CHUNK):
        batch = due[start:start + CHUNK]
        try:
            publish(session, kind, [g.published(today) for g, _ in batch], now=now)
            done = batch
        except RecordError:
            done = []
            for golden, digest in batch:  # find the records publish refuses; it validates before writing
                try:
                    publish(session, kind, [golden.published(today)], now=now)
                    done.append((golden, digest))
                except RecordError as exc:
                    summary.errors.append(f"{kind} {golden.golden_id}: {exc}")
        _remember(session, kind, done, now)
        summary.published[kind] += len(done)
        served.update(golden.golden_id for golden, _digest in done)
    return served


def _remember(session: Session, kind: str, done: Iterable[tuple[_Golden, str]], now: datetime.datetime) -> None:
    for golden, digest in done:
        session.merge(LinkageGolden(golden_id=golden.golden_id, entity=kind, members=len(golden.members),
                                    digest=digest, published_at=now))
    session.flush()


def _unpublish_members(session: Session, clusters: Mapping[Entity, Mapping[Key, str]], served: set[str],
                       summary: GoldenSummary) -> None:
    """Remove the one-to-one rows of members merged into a golden record that is ``served``: services, then
    locations, then organisations still referred to by no service (a service's organisation is required: never
    orphan one). A member whose golden record could not be published stays served as it is."""
    merged = {entity: sorted({key[1] for key, gid in clusters[entity].items() if key[1] != gid and gid in served})
              for entity in ("location", "organization", "service")}
    service_ids = _existing(session, Service.id, merged["service"])
    for start in range(0, len(service_ids), CHUNK):
        summary.unpublished["service"] += unpublish(session, "service", service_ids[start:start + CHUNK])
    location_ids = _existing(session, Location.id, merged["location"])
    node = _location_node()
    for start in range(0, len(location_ids), CHUNK):
        summary.unpublished["location"] += unpublish(session, "location", location_ids[start:start + CHUNK], node)
    organization_ids = _existing(session, Organization.id, merged["organization"])
    used = set(_existing(session, Service.organization_id, organization_ids, Service.organization_id))
    free = [i for i in organization_ids if i not in used]
    for start in range(0, len(free), CHUNK):
        summary.unpublished["organization"] += unpublish(session, "organization", free[start:start + CHUNK])
    if used:
        summary.errors.append(f"{len(used)} merged organisations still have services of their own; kept")


def _existing(session: Session, column: Any, ids: Sequence[str], where: Any = None) -> list[str]:
    found: list[str] = []
    where = column if where is None else where
    for start in range(0, len(ids), 5000):
        found += [str(i) for i in session.execute(select(column).where(where.in_(ids[start:start + 5000]))).scalars()]
    return sorted(set(found))


def _location_node() -> Node:
    """The location plan node, as nested in a service (its owned children: addresses, phones, schedules ...)."""
    sal = next(child for prop, child, _many, _link in plan("service").children if prop == "service_at_locations")
    return next(child for prop, child, _many, _link in sal.children if prop == "location")


def _alternatives(golden: _Golden, name: str) -> str:
    """HSDS wants a previous value: the other members' values this one was preferred to, or a dash."""
    chosen = golden.record.get(name)
    others = sorted({_text(record[name]) for record in golden.inputs
                     if record.get(name) not in (None, "", [], {}) and record.get(name) != chosen})
    return "; ".join(others)[:2000] or "-"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)[:2000]

