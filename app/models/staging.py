"""Sources, harvest runs and the per-source staging of every record."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime

Json = JSON().with_variant(JSONB(), "postgresql")

SOURCE_TYPES = ("hsds_api", "hsds_tabular", "spreadsheet")
RECORD_STATES = ("active", "withdrawn", "quarantined")
RUN_STATES = ("running", "succeeded", "failed")


class Source(Base):
    """A feed Waymark harvests: a council's ORUK API, an HSDS package, a CVS spreadsheet."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    credentials: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # never logged or served
    schedule: Mapped[str | None] = mapped_column(String(100))  # cron expression
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    last_complete_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)  # start of last clean run
    http_cache: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # ETag / Last-Modified per URL


class HarvestRun(Base):
    """One harvest of one source: when, how, and what came of it."""

    __tablename__ = "harvest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, int]] = mapped_column(Json, default=dict)
    errors: Mapped[list[str]] = mapped_column(Json, default=list)


class StagedRecord(Base):
    """One record of one source, as last harvested: raw, normalised, and its state.

    ``ix_staged_record_lookup`` covers what every harvest batch asks of staging (which of these
    external ids are staged, with which hash and state, and the source's known hashes): the
    columns come after the large raw and normalised payloads in the row, so without it each
    lookup reads those payloads' pages too."""

    __tablename__ = "staged_record"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),
                      Index("ix_staged_record_lookup", "source_id", "external_id", "content_hash", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    origin: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[Any] = mapped_column(Json)
    normalised: Mapped[dict[str, Any] | None] = mapped_column(Json)
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    quarantine_stage: Mapped[str | None] = mapped_column(String(30))
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    golden_id: Mapped[str | None] = mapped_column(String(36), index=True)
    first_seen: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    last_changed: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id", ondelete="SET NULL"), index=True)
