"""The scheduler's persistent job store (the table APScheduler's SQLAlchemyJobStore uses).

Declared here so that Alembic creates and migrates it like every other table;
APScheduler then finds it in place.
"""

from __future__ import annotations

from sqlalchemy import Float, LargeBinary, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

JOB_TABLE = "scheduler_job"


class SchedulerJob(Base):
    __tablename__ = JOB_TABLE

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
