"""The source registry: which feeds Waymark harvests, how, and when.

Credentials (API keys, basic-auth passwords) are stored with the source but never
appear in ``describe``, logs, or error messages: only their names do.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.staging import SOURCE_TYPES, HarvestRun, Source, StagedRecord

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
EDITABLE = ("type", "location", "config", "schedule", "enabled", "credentials")


class SourceError(ValueError):
    """A source that cannot be registered or changed as asked; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def validate_schedule(schedule: str | None) -> str | None:
    if schedule in (None, ""):
        return None
    try:
        CronTrigger.from_crontab(schedule)
    except ValueError as exc:
        raise SourceError("schedule", f"{schedule!r} is not a cron expression ({exc})") from None
    return schedule


def _check(name: str, type_: str, location: str) -> None:
    if not NAME_RE.match(name):
        raise SourceError("name", f"{name!r} must be lower-case letters, digits, - or _ (at most 100)")
    if type_ not in SOURCE_TYPES:
        raise SourceError("type", f"{type_!r} is not one of {', '.join(SOURCE_TYPES)}")
    if not location.strip():
        raise SourceError("location", "must be a URL or a file path")


def add_source(session: Session, name: str, type_: str, location: str, config: dict[str, Any] | None = None,
               schedule: str | None = None, credentials: dict[str, Any] | None = None,
               enabled: bool = True) -> Source:
    _check(name, type_, location)
    if session.execute(select(Source.id).where(Source.name == name)).first():
        raise SourceError("name", f"a source named {name!r} already exists")
    now = utcnow()
    source = Source(name=name, type=type_, location=location, config=config or {},
                    schedule=validate_schedule(schedule), credentials=credentials or {}, enabled=enabled,
                    created_at=now, updated_at=now, http_cache={})
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, name: str) -> Source:
    source = session.execute(select(Source).where(Source.name == name)).scalar_one_or_none()
    if source is None:
        raise SourceError("name", f"no source named {name!r}")
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.execute(select(Source).order_by(Source.name)).scalars())


def edit_source(session: Session, name: str, **changes: Any) -> Source:
    source = get_source(session, name)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise SourceError(unknown[0], f"cannot be changed (editable: {', '.join(EDITABLE)})")
    if "schedule" in changes:
        changes["schedule"] = validate_schedule(changes["schedule"])
    merged = {"type": source.type, "location": source.location, **changes}
    _check(source.name, merged["type"], merged["location"])
    for key, value in changes.items():
        setattr(source, key, value)
    source.updated_at = utcnow()
    session.flush()
    return source


def read_config_file(path: Path) -> dict[str, Any]:
    """A mapping file (YAML or JSON) stored with the source, so harvests need not find it again."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError("config", f"cannot read {path}: {exc.strerror}") from None
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceError("config", f"{path} is not valid YAML or JSON: {exc}") from None
    if not isinstance(loaded, dict):
        raise SourceError("config", f"{path} must hold a mapping of keys to values")
    return {**loaded, "_file": str(path)}


def run_history(session: Session, source: Source, limit: int = 20) -> list[dict[str, Any]]:
    """Recent harvest runs of a source, newest first."""
    found = session.execute(select(HarvestRun).where(HarvestRun.source_id == source.id)
                            .order_by(HarvestRun.id.desc()).limit(limit)).scalars()
    return [{"id": r.id, "status": r.status, "incremental": r.incremental, "complete": r.complete,
             "started_at": r.started_at.isoformat(),
             "finished_at": r.finished_at.isoformat() if r.finished_at else None,
             "counts": r.counts, "errors": r.errors} for r in found]


def describe(session: Session, source: Source) -> dict[str, Any]:
    """A public view of a source: no credential values, with its staging counts and last run."""
    states = dict(session.execute(
        select(StagedRecord.state, func.count()).where(StagedRecord.source_id == source.id)
        .group_by(StagedRecord.state)).tuples().all())
    last = session.execute(select(HarvestRun).where(HarvestRun.source_id == source.id)
                           .order_by(HarvestRun.id.desc()).limit(1)).scalar_one_or_none()
    return {
        "name": source.name, "type": source.type, "location": source.location,
        "config": {k: v for k, v in source.config.items() if k != "_file"},
        "config_file": source.config.get("_file"),
        "schedule": source.schedule, "enabled": source.enabled,
        "credentials": sorted(source.credentials),
        "created_at": source.created_at.isoformat(), "updated_at": source.updated_at.isoformat(),
        "last_complete_at": source.last_complete_at.isoformat() if source.last_complete_at else None,
        "records": {state: states.get(state, 0) for state in ("active", "withdrawn", "quarantined")},
        "last_run": None if last is None else {
            "id": last.id, "status": last.status, "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "counts": last.counts, "incremental": last.incremental,
        },
    }
