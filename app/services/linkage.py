"""``run_linkage``: de-duplicate the staged records into golden records, and the review queue around it.

One run links locations first, then organisations (with their matched locations as evidence), then services
within the matched organisations and locations (``LinkRecord.parents``), each with ``app.linkage.link``. It stores
each record's golden id (``LinkageMember``, with the staged record and harvest run it came from), the pairs that
need a person (``LinkageReviewPair``, with field-by-field evidence), and publishes the golden records
(``app.services.golden``). Reviewers' answers (``LinkageDecision``) are pinned to a hash of what was compared on
each side: they train the model and bind clustering until either side's compared fields change.

Incremental: a run first fingerprints its inputs (staged records' hashes and states, decisions, overrides and
settings); when nothing changed since the last run it stops there. Otherwise each entity is scored again only if
what it compares changed (a digest of every record's compared fields and the decisions about it): a harvest that
changed descriptions or opening times re-scores nothing and only republishes. When an entity is scored again and
few of its records changed (at most ``incremental_share`` of them: new, or compared fields changed), only the
candidate pairs touching a changed record are compared; every other pair keeps the levels the last run compared
(``LinkageCompared``) and all are scored with the last run's model, then clustered as a whole (``link(reuse=...)``).
More changes, other settings, or ``force`` refit the model on all pairs. Only the golden records whose content
changed, or whose members were harvested again since the last run, are published again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.linkage import (
    Decision,
    Entity,
    Key,
    LinkRecord,
    Thresholds,
    link,
    pairwise_scores,
)
from app.linkage.reuse import Compared
from app.linkage.survivorship import parse_trust
from app.models.linkage import (
    LinkageCompared,
    LinkageDecision,
    LinkageMember,
    LinkageOverride,
    LinkageReviewPair,
    LinkageRun,
)
from app.models.staging import Source, StagedRecord
from app.services.golden import publish_golden
from app.services.linkage_records import ENTITIES, Rows, extract, fields_hash, link_records, staged_inputs


class LinkageError(ValueError):
    """Bad input to a linkage command or endpoint; the message says what and where."""


@dataclass(frozen=True)
class LinkageOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    trust: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_block: int = 100
    incremental_share: float = 0.1  # link incrementally while at most this share of an entity's records changed

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkageOptions:
        try:
            thresholds = Thresholds(settings.linkage_auto_merge / 100, settings.linkage_review / 100)
        except ValueError as exc:
            raise LinkageError(f"WAYMARK_LINKAGE_AUTO_MERGE / WAYMARK_LINKAGE_REVIEW (percent): {exc}") from None
        if settings.linkage_max_block < 2:
            raise LinkageError("WAYMARK_LINKAGE_MAX_BLOCK must be at least 2")
        if not 0 <= settings.linkage_incremental_share <= 100:
            raise LinkageError("WAYMARK_LINKAGE_INCREMENTAL_SHARE must be a percentage from 0 to 100")
        return cls(thresholds, parse_trust(settings.linkage_trust), settings.linkage_max_block,
                   settings.linkage_incremental_share / 100)

    def describe(self) -> str:
        return repr((self.thresholds, sorted(self.trust.items()), self.max_block))


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def run_linkage(session: Session, options: LinkageOptions | None = None, *, force: bool = False,
                clock: Callable[[], datetime.datetime] = _utcnow) -> dict[str, Any]:
    """Link everything staged and publish the golden records; flushes, never commits. Returns the run summary.

    ``force`` links every entity again from scratch (refitting the model), even if nothing changed."""
    options = options or LinkageOptions()
    started, wall, cpu = clock(), time.perf_counter(), time.process_time()
    fingerprint = _fingerprint(session, options)
    last = session.execute(select(LinkageRun).where(LinkageRun.status.in_(("succeeded", "skipped")))
                           .order_by(LinkageRun.id.desc()).limit(1)).scalar_one_or_none()
    run = LinkageRun(started_at=started, status="running", fingerprint=fingerprint, counts={}, timings={}, errors=[])
    session.add(run)
    session.flush()
    if last is not None and last.fingerprint == fingerprint and not force:
        run.status = "skipped"
        run.counts = {"rescored": 0, "reason": f"nothing changed since run {last.id}"}
        return _finish(session, run, clock, wall, cpu)
    refreshed = _refreshed(session, last)
    linked = session.execute(select(LinkageRun).where(LinkageRun.status == "succeeded")
                             .order_by(LinkageRun.id.desc()).limit(1)).scalar_one_or_none()
    rows = extract(session)
    clusters: dict[Entity, dict[Key, str]] = {}
    counts: dict[str, Any] = {"refreshed_staged": len(refreshed)}
    for entity in ENTITIES:
        step = time.perf_counter()
        clusters[entity], counts[entity] = _link_entity(session, run, linked, rows, entity, clusters, options,
                                                                force=force)
        run.timings = {**run.timings, entity: round(time.perf_counter() - step, 3)}
    counts["rescored"] = sum(counts[entity]["rescored"] for entity in ENTITIES)
    step = time.perf_counter()
    golden = publish_golden(session, rows, clusters, trust=options.trust, overrides=_overrides(session),
                            refreshed=refreshed, now=started)
    _point_staging(session, rows, clusters)
    run.timings = {**run.timings, "golden": round(time.perf_counter() - step, 3)}
    counts["golden"] = golden.as_dict()
    run.counts = counts
    run.errors = golden.errors
    run.status = "succeeded"
    return _finish(session, run, clock, wall, cpu)


def _finish(session: Session, run: LinkageRun, clock: Callable[[], datetime.datetime], wall: float,
            cpu: float) -> dict[str, Any]:
    run.finished_at = clock()
    run.timings = {**run.timings, "seconds": round(time.perf_counter() - wall, 3),
                   "cpu_seconds": round(time.process_time() - cpu, 3)}
    session.flush()
    return describe_run(run)


def describe_run(run: LinkageRun) -> dict[str, Any]:
    return {"run_id": run.id, "status": run.status, "started_at": run.started_at.isoformat(),
            "counts": run.counts, "timings": run.timings, "errors": run.errors}


def _fingerprint(session: Session, options: LinkageOptions) -> str:
    digest = hashlib.sha256(options.describe().encode())
    for row in staged_inputs(session):
        digest.update(repr(row).encode())
    for decision in session.execute(select(LinkageDecision.id, LinkageDecision.same, LinkageDecision.a_hash,
                                           LinkageDecision.b_hash).order_by(LinkageDecision.id)):
        digest.update(repr(tuple(decision)).encode())
    for override in session.execute(select(LinkageOverride.golden_id, LinkageOverride.field, LinkageOverride.value)
                                    .order_by(LinkageOverride.id)):
        digest.update(json.dumps(list(override), default=str).encode())
    return digest.hexdigest()


def _refreshed(session: Session, last: LinkageRun | None) -> set[int]:
    """Staged records harvested (and so republished one to one) since the last run started."""
    query = select(StagedRecord.id).where(StagedRecord.state == "active")
    if last is not None:
        query = query.where(StagedRecord.last_changed >= last.started_at)
    return set(session.execute(query).scalars())


def _overrides(session: Session) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for golden_id, name, value in session.execute(select(LinkageOverride.golden_id, LinkageOverride.field,
                                                         LinkageOverride.value)):
        out.setdefault(golden_id, {})[name] = value
    return out


def _link_entity(session: Session, run: LinkageRun, last: LinkageRun | None, rows: Rows, entity: Entity,
                 clusters: Mapping[Entity, Mapping[Key, str]], options: LinkageOptions, *, force: bool = False
                 ) -> tuple[dict[Key, str], dict[str, Any]]:
    """Link one entity (incrementally when few records changed), or keep the last run's clusters when nothing it
    compares (or any decision) changed."""
    records = link_records(rows, entity, clusters)
    hashes = {record.key: fields_hash(record) for record in records}
    members = session.execute(select(LinkageMember.source, LinkageMember.external_id, LinkageMember.golden_id,
                                     LinkageMember.fields_hash).where(LinkageMember.entity == entity)).all()
    stored = {(m.source, m.external_id): m.golden_id for m in members}
    decisions, stale = _decisions(session, entity, hashes)
    digest = _input_digest(options, hashes, decisions)
    before = (last.counts.get(entity) or {}) if last is not None else {}
    if before.get("input_digest") == digest and stored.keys() == hashes.keys() and not force:
        # what this entity compares, and every answer about it, is as the last run saw it: same clusters
        _store_members(session, run, rows, entity, stored, hashes)
        return stored, {**before, "rescored": 0, "reused_from_run": last.id if last is not None else None}
    # oldest first (rows are ordered by first seen): a merged cluster keeps its oldest member's id
    previous = {key: stored.get(key, key[1]) for key in rows[entity]}
    last_hashes = {(m.source, m.external_id): m.fields_hash for m in members}
    changed = {key for key, value in hashes.items() if last_hashes.get(key) != value}
    gone = len(last_hashes.keys() - hashes.keys())
    reuse = None if force else _reusable(session, entity, options, len(changed) + gone, len(records))
    result = link(records, decisions=decisions, previous=previous, thresholds=options.thresholds,
                  max_block=options.max_block, reuse=reuse, changed=changed)
    _store_compared(session, run, entity, options, result.compared)
    queue = result.review_queue()
    clusters_of = _singletons_keep_their_ids(result.clusters)
    _store_members(session, run, rows, entity, clusters_of, hashes)
    _store_queue(session, run, rows, entity, queue, hashes)
    counts = {**result.counts, "review_waiting": len(queue), "decisions_outdated": stale,
              "input_digest": digest, "rescored": len(records) if reuse is None else len(changed),
              "incremental": reuse is not None, "changed_records": len(changed),
              "golden_records": len(set(clusters_of.values())),
              "blocking": {"keys": result.blocking.keys, "blocks": result.blocking.blocks,
                           "skipped_blocks": result.blocking.skipped_blocks}}
    return clusters_of, counts


def _reusable(session: Session, entity: Entity, options: LinkageOptions, changes: int, records: int
              ) -> Compared | None:
    """What the last run compared for ``entity``, if this run may link incrementally from it: same settings, and
    at most ``options.incremental_share`` of the records new, changed or gone since its model was fitted."""
    limit = options.incremental_share * records
    if changes > limit:
        return None
    stored = session.get(LinkageCompared, entity)
    if stored is None or stored.settings != options.describe():
        return None
    compared = Compared.from_bytes(stored.data, entity)
    return compared if compared is not None and compared.drift + changes <= limit else None


def _store_compared(session: Session, run: LinkageRun, entity: Entity, options: LinkageOptions,
                    compared: Compared) -> None:
    stored = session.get(LinkageCompared, entity)
    if stored is None:
        stored = LinkageCompared(entity=entity)
        session.add(stored)
    stored.linkage_run_id, stored.settings, stored.data = run.id, options.describe(), compared.to_bytes()


def _input_digest(options: LinkageOptions, hashes: Mapping[Key, str], decisions: Iterable[Decision]) -> str:
    digest = hashlib.sha256(options.describe().encode())
    for key in sorted(hashes):
        digest.update(f"{key[0]}\x1f{key[1]}\x1f{hashes[key]}\n".encode())
    for decision in sorted(decisions, key=lambda d: (d.a, d.b)):
        digest.update(repr((decision.a, decision.b, decision.same)).encode())
    return digest.hexdigest()


def _singletons_keep_their_ids(clusters: Mapping[Key, str]) -> dict[Key, str]:
    """A record alone in its cluster is served under the id it is already published under (no id churn)."""
    sizes: dict[str, int] = {}
    for gid in clusters.values():
        sizes[gid] = sizes.get(gid, 0) + 1
    merged_ids = {gid for gid, size in sizes.items() if size > 1}
    return {key: (key[1] if sizes[gid] == 1 and key[1] not in merged_ids else gid) for key, gid in clusters.items()}


def _decisions(session: Session, entity: Entity, hashes: Mapping[Key, str]) -> tuple[list[Decision], int]:
    """Reviewers' answers that still apply (both sides compare as they did), and how many no longer do."""
    current, stale = [], 0
    for d in session.execute(select(LinkageDecision).where(LinkageDecision.entity == entity)).scalars():
        a, b = (d.a_source, d.a_external_id), (d.b_source, d.b_external_id)
        if hashes.get(a) == d.a_hash and hashes.get(b) == d.b_hash:
            current.append(Decision(a, b, d.same))
        else:
            stale += 1
    return current, stale


def _store_members(session: Session, run: LinkageRun, rows: Rows, entity: Entity, clusters: Mapping[Key, str],
                   hashes: Mapping[Key, str]) -> None:
    session.execute(delete(LinkageMember).where(LinkageMember.entity == entity))
    values = [{"entity": entity, "source": key[0], "external_id": key[1], "golden_id": gid,
               "fields_hash": hashes[key], "staged_record_id": rows[entity][key].staged_record_id,
               "harvest_run_id": rows[entity][key].harvest_run_id, "linkage_run_id": run.id}
              for key, gid in clusters.items()]
    for start in range(0, len(values), 5000):
        session.execute(insert(LinkageMember), values[start:start + 5000])


def _label(data: Mapping[str, Any]) -> str | None:
    """A record's name, or for a location without one its first address line and postcode."""
    if data.get("name"):
        return str(data["name"])
    address = next(iter(data.get("addresses") or ()), None)
    if isinstance(address, Mapping):
        return ", ".join(str(address[k]) for k in ("address_1", "postal_code") if address.get(k)) or None
    return None


def _store_queue(session: Session, run: LinkageRun, rows: Rows, entity: Entity, queue: Iterable[Any],
                 hashes: Mapping[Key, str]) -> None:
    session.execute(delete(LinkageReviewPair).where(LinkageReviewPair.entity == entity))
    values = [{"entity": entity, "a_source": p.a[0], "a_external_id": p.a[1], "b_source": p.b[0],
               "b_external_id": p.b[1], "a_hash": hashes[p.a], "b_hash": hashes[p.b],
               "a_name": _label(rows[entity][p.a].data), "b_name": _label(rows[entity][p.b].data),
               "probability": round(p.probability, 6), "weight": p.weight, "linkage_run_id": run.id,
               "evidence": [{"field": e.field, "level": e.level, "weight": round(e.weight, 3)} for e in p.evidence]
               + ([{"field": "rule", "level": p.rule, "weight": 0.0}] if p.rule else [])}
              for p in queue]
    if values:
        session.execute(insert(LinkageReviewPair), values)


def _point_staging(session: Session, rows: Rows, clusters: Mapping[Entity, Mapping[Key, str]]) -> None:
    """Each staged service and organisation record now names the golden record that serves it."""
    golden: dict[int, str] = {}
    for entity in ("service", "organization"):  # a nested organisation's first staged record is a service's
        for key, gid in clusters[entity].items():
            golden.setdefault(rows[entity][key].staged_record_id, gid)
    current = dict(session.execute(select(StagedRecord.id, StagedRecord.golden_id)
                                   .where(StagedRecord.state == "active")).tuples().all())
    changed = [{"id": i, "golden_id": gid} for i, gid in golden.items() if current.get(i) != gid]
    for start in range(0, len(changed), 5000):
        session.execute(update(StagedRecord), changed[start:start + 5000])


# ----------------------------------------------------------------------------------------- review queue


def review_pairs(session: Session, entity: str | None = None) -> list[dict[str, Any]]:
    """Pairs waiting for a reviewer, most uncertain first, each with both records' names and the evidence."""
    if entity is not None and entity not in ENTITIES:
        raise LinkageError(f"entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    query = select(LinkageReviewPair)
    if entity is not None:
        query = query.where(LinkageReviewPair.entity == entity)
    pairs = list(session.execute(query).scalars())
    pairs.sort(key=lambda p: (abs(p.probability - 0.5), p.id))
    return [describe_pair(p) for p in pairs]


def describe_pair(pair: LinkageReviewPair) -> dict[str, Any]:
    return {"id": pair.id, "entity": pair.entity, "probability": pair.probability, "weight": pair.weight,
            "a": {"source": pair.a_source, "external_id": pair.a_external_id, "name": pair.a_name},
            "b": {"source": pair.b_source, "external_id": pair.b_external_id, "name": pair.b_name},
            "evidence": pair.evidence}


def decide(session: Session, pair_id: int, same: bool, decided_by: str = "maintainer",
           clock: Callable[[], datetime.datetime] = _utcnow) -> dict[str, Any]:
    """Record a reviewer's answer on a waiting pair (accept: the same thing; reject: not) and take the pair off
    the queue; the next run applies it. Raises LinkageError for an unknown pair."""
    pair = session.get(LinkageReviewPair, pair_id)
    if pair is None:
        raise LinkageError(f"no review pair with id {pair_id} (list them with `waymark linkage review list`)")
    keys = {"entity": pair.entity, "a_source": pair.a_source, "a_external_id": pair.a_external_id,
            "b_source": pair.b_source, "b_external_id": pair.b_external_id}
    decision = session.execute(select(LinkageDecision).filter_by(**keys)).scalar_one_or_none()
    if decision is None:
        decision = LinkageDecision(**keys)
        session.add(decision)
    decision.a_hash, decision.b_hash, decision.same = pair.a_hash, pair.b_hash, same
    decision.decided_by, decision.decided_at = decided_by, clock()
    session.delete(pair)
    session.flush()
    return {"pair": pair_id, "entity": pair.entity, "same": same, "a": keys["a_source"] + "/" + keys["a_external_id"],
            "b": keys["b_source"] + "/" + keys["b_external_id"]}


def set_override(session: Session, golden_id: str, name: str, value: Any, set_by: str = "maintainer",
                 clock: Callable[[], datetime.datetime] = _utcnow) -> dict[str, Any]:
    """A maintainer's value for field ``name`` of golden record ``golden_id`` (``None`` removes it); it wins over
    every source from the next run on. Raises LinkageError for an unknown golden id or a field that is not a value."""
    entity = session.execute(select(LinkageMember.entity).where(LinkageMember.golden_id == golden_id)
                             .limit(1)).scalar_one_or_none()
    if entity is None:
        raise LinkageError(f"no golden record with id {golden_id!r} (see `waymark linkage export`)")
    if name in NOT_OVERRIDABLE or not name.replace("_", "").isalnum():
        raise LinkageError(f"field {name!r} cannot be overridden (ids, references and nested lists are not values)")
    existing = session.execute(select(LinkageOverride).where(LinkageOverride.golden_id == golden_id,
                                                             LinkageOverride.field == name)).scalar_one_or_none()
    if value is None:
        if existing is not None:
            session.delete(existing)
        session.flush()
        return {"golden_id": golden_id, "entity": entity, "field": name, "removed": existing is not None}
    if existing is None:
        existing = LinkageOverride(entity=entity, golden_id=golden_id, field=name)
        session.add(existing)
    existing.value, existing.set_by, existing.set_at = value, set_by, clock()
    session.flush()
    return {"golden_id": golden_id, "entity": entity, "field": name, "value": value}


NOT_OVERRIDABLE = frozenset({"id", "metadata", "organization", "organization_id", "service_at_locations",
                             "locations", "parent_organization_id"})


# ----------------------------------------------------------------------------------------- export and evaluation


def _entity_key(source: str, kind: str, record: Mapping[str, Any], entity: str) -> Key | None:
    """The linkage key a staged record stands for at ``entity`` level (its own, its organisation's, or its
    first location's)."""
    if entity == kind:
        return (source, str(record.get("id")))
    if entity == "organization" and kind == "service":
        nested = record.get("organization")
        ident = nested.get("id") if isinstance(nested, Mapping) else record.get("organization_id")
        return (source, str(ident)) if ident else None
    if entity == "location":
        if kind == "service":
            places = [sal.get("location") or {"id": sal.get("location_id")}
                      for sal in record.get("service_at_locations") or () if isinstance(sal, Mapping)]
        else:
            places = list(record.get("locations") or ())
        ident = next((p.get("id") for p in places if isinstance(p, Mapping) and p.get("id")), None)
        return (source, str(ident)) if ident else None
    return None


def export_rows(session: Session, entity: str) -> list[tuple[str, str, str]]:
    """(source, external id, golden id) for every staged organisation and service record at ``entity`` level;
    the golden id is empty for records not linked (withdrawn, quarantined, or without such a part)."""
    if entity not in ENTITIES:
        raise LinkageError(f"--entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    members = {(m.source, m.external_id): m.golden_id for m in session.execute(
        select(LinkageMember.source, LinkageMember.external_id, LinkageMember.golden_id)
        .where(LinkageMember.entity == entity))}
    out = []
    for source, external_id, kind, state, record in session.execute(
            select(Source.name, StagedRecord.external_id, StagedRecord.kind, StagedRecord.state,
                   StagedRecord.normalised).join(Source, Source.id == StagedRecord.source_id)
            .where(StagedRecord.kind.in_(("organization", "service")))
            .order_by(Source.name, StagedRecord.external_id)):
        key = _entity_key(source, kind, record or {}, entity) if state == "active" else None
        if key is None and entity == "service" and kind != "service":
            continue
        out.append((source, external_id, members.get(key, "") if key else ""))
    return out


def read_truth(rows: Iterable[Mapping[str, str]], where: str) -> dict[Key, str]:
    """source, external_id, truth_id rows -> {(source, external_id): truth_id}; LinkageError names a bad line."""
    truth: dict[Key, str] = {}
    for number, row in enumerate(rows, start=2):
        missing = [c for c in ("source", "external_id", "truth_id") if not (row.get(c) or "").strip()]
        if missing:
            raise LinkageError(f"{where} line {number}: missing {', '.join(missing)} "
                               "(columns must be source, external_id, truth_id)")
        truth[(row["source"].strip(), row["external_id"].strip())] = row["truth_id"].strip()
    if not truth:
        raise LinkageError(f"{where}: no rows (columns must be source, external_id, truth_id)")
    return truth


def evaluate(session: Session, entity: str, truth: Mapping[Key, str], options: LinkageOptions | None = None
             ) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the stored golden ids against ``truth`` (keyed by staged record), and
    the share of true pairs blocking made candidates."""
    exported = export_rows(session, entity)
    predicted = {(s, e): g or f"unlinked:{s}:{e}" for s, e, g in exported}
    known = set(predicted)
    scores = pairwise_scores({k: v for k, v in predicted.items() if k in truth}, truth)
    return {"entity": entity, "records": len(known & set(truth)), "truth_rows": len(truth),
            "not_staged": len(set(truth) - known), **scores.as_dict(),
            "blocking_recall": round(_blocking_recall(session, entity, truth, options or LinkageOptions()), 4)}


def _blocking_recall(session: Session, entity: str, truth: Mapping[Key, str], options: LinkageOptions) -> float:
    """Blocking recall over the records as linkage sees them (truth moved from staged records to their keys)."""
    from app.linkage import blocking_recall
    from app.linkage.blocking import candidate_pairs
    from app.linkage.features import features

    rows = extract(session)
    golden: dict[Entity, dict[Key, str]] = {e: {} for e in ENTITIES}
    for m in session.execute(select(LinkageMember.entity, LinkageMember.source, LinkageMember.external_id,
                                    LinkageMember.golden_id)):
        golden[m.entity][(m.source, m.external_id)] = m.golden_id  # type: ignore[index]
    records: list[LinkRecord] = link_records(rows, entity, golden)  # type: ignore[arg-type]
    keyed: dict[Key, str] = {}
    for source, external_id, _kind, record in session.execute(
            select(Source.name, StagedRecord.external_id, StagedRecord.kind, StagedRecord.normalised)
            .join(Source, Source.id == StagedRecord.source_id).where(StagedRecord.state == "active")):
        key = _entity_key(source, _kind, record or {}, entity)
        if key is not None and (source, external_id) in truth:
            keyed.setdefault(key, truth[(source, external_id)])
    pairs, _stats = candidate_pairs(features(records), max_block=options.max_block)
    return blocking_recall(pairs, [r.key for r in records], keyed)
