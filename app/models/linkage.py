"""De-duplication state: linkage runs, cluster membership, reviewers' decisions, the review queue, overrides.

Every key here is ``(entity, source, external_id)``: the source's name and the id the record is published under
one to one (the Waymark id of a staged service, or of an organisation or location nested in it). Keys, not staged
row ids, because a decision must survive a record being withdrawn and harvested again, and nested organisations
and locations have no staged row of their own.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.staging import Json
from app.models.types import UTCDateTime

ENTITIES = ("location", "organization", "service")
LINKAGE_RUN_STATES = ("running", "succeeded", "skipped", "failed")


class LinkageRun(Base):
    """One ``waymark linkage run``: what it looked at, what it decided, how long each step took."""

    __tablename__ = "linkage_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    # digest of every input (staged hashes, decisions, overrides, settings): equal digests mean nothing to do
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(Json, default=dict)
    errors: Mapped[list[str]] = mapped_column(Json, default=list)


class LinkageMember(Base):
    """Which golden record a source record belongs to, and where that record came from."""

    __tablename__ = "linkage_member"
    __table_args__ = (UniqueConstraint("entity", "source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(300))
    golden_id: Mapped[str] = mapped_column(String(36), index=True)
    fields_hash: Mapped[str] = mapped_column(String(64))  # of the compared fields (decisions are pinned to it)
    staged_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("staged_record.id", ondelete="SET NULL"), index=True)
    harvest_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_run.id", ondelete="SET NULL"))
    linkage_run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_run.id", ondelete="SET NULL"))


class LinkageCompared(Base):
    """What the last run that scored an entity compared (``app.linkage.reuse.Compared``: its candidate pairs with
    their comparison levels and the fitted model), so the next run compares again only pairs touching a changed
    record. One row per entity, replaced by each run that scores it: the next run needs only the latest."""

    __tablename__ = "linkage_compared"

    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    linkage_run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_run.id", ondelete="SET NULL"))
    settings: Mapped[str] = mapped_column(Text)  # ``LinkageOptions.describe()`` of that run: others mean a full run
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LinkageGolden(Base):
    """A golden record as last published, by digest: an unchanged golden record is not published again."""

    __tablename__ = "linkage_golden"

    golden_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    members: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class _Pair:
    """Two records of one entity, each pinned to the hash of its compared fields when the pair was looked at."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    a_source: Mapped[str] = mapped_column(String(100))
    a_external_id: Mapped[str] = mapped_column(String(300))
    b_source: Mapped[str] = mapped_column(String(100))
    b_external_id: Mapped[str] = mapped_column(String(300))
    a_hash: Mapped[str] = mapped_column(String(64))
    b_hash: Mapped[str] = mapped_column(String(64))


class LinkageDecision(_Pair, Base):
    """A reviewer's answer about two records, pinned to what the reviewer saw.

    ``a_hash``/``b_hash`` are the ``fields_hash`` of each side when the answer was given: when either side's
    compared fields change, the decision no longer applies and the pair is asked again."""

    __tablename__ = "linkage_decision"
    __table_args__ = (UniqueConstraint("entity", "a_source", "a_external_id", "b_source", "b_external_id"),)

    same: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class LinkageReviewPair(_Pair, Base):
    """A pair waiting for a reviewer, as the last run scored it, with its field-by-field evidence."""

    __tablename__ = "linkage_review_pair"
    # Each run replaces the queue; ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL), so a
    # reviewer answering from an older listing gets "no such pair", never a different pair under the same id.
    __table_args__ = (UniqueConstraint("entity", "a_source", "a_external_id", "b_source", "b_external_id"),
                      Index("ix_linkage_review_pair_entity", "entity"), {"sqlite_autoincrement": True})

    a_name: Mapped[str | None] = mapped_column(Text)  # what a reviewer recognises the records by
    b_name: Mapped[str | None] = mapped_column(Text)
    probability: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    linkage_run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_run.id", ondelete="SET NULL"))


class LinkageOverride(Base):
    """A maintainer's value for one field of one golden record: it wins over every source."""

    __tablename__ = "linkage_override"
    __table_args__ = (UniqueConstraint("golden_id", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    golden_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(Json)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
