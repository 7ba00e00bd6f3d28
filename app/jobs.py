"""Scheduled jobs, each a thin wrapper round a service, and the scheduler that runs them.

The scheduler is its own process (``waymark scheduler``), never a web worker. Its job
store is the ``scheduler_job`` table, so schedules survive restarts. There is one
harvest job per enabled source with a cron schedule; the registry is re-read every
minute so sources added, edited or disabled take effect without a restart. Linkage
(de-duplication into golden records) runs after each successful scheduled harvest and
every ``linkage_interval_minutes`` as well; a run with nothing new stops after checking.
Later periodic work (staleness and link checks) joins ``PERIODIC_JOBS``.

No two harvests of one source overlap: APScheduler runs at most one instance of a job,
and ``start_run`` refuses while another process holds a running run of that source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app

from app import db
from app.geo import geocoder
from app.models.scheduler import JOB_TABLE
from app.services import sources as registry
from app.services.feeds import open_feed
from app.services.harvest import HarvestBusy, RunSummary, abandon_run, harvest, start_run
from app.services.linkage import LinkageOptions, run_linkage

log = logging.getLogger(__name__)
TIMEZONE = "Europe/London"
HARVEST_PREFIX = "harvest:"
LINKAGE_JOB = "linkage"


def harvest_one(name: str, incremental: bool = False, progress: Callable[[int], None] | None = None,
                force: bool = False) -> RunSummary:
    """Harvest one source in its own session. The run is committed as soon as it starts,
    so other processes see it and do not start the same harvest; the rest at the end.
    Needs an app context."""
    session = db.new_session()
    try:
        source = registry.get_source(session, name)
        run = start_run(session, source, incremental, registry.utcnow())
        session.commit()
        try:
            summary = harvest(session, source, run, partial(open_feed, source, incremental, force),
                              progress=progress, geocoder=geocoder.from_settings(current_app.config["WAYMARK"]))
        except Exception as exc:
            session.rollback()
            abandon_run(session, run.id, f"internal error: {exc!r}")
            session.commit()
            raise
        session.commit()
        return summary
    finally:
        session.close()


_app: Flask | None = None


def _context_app() -> Flask:
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def link_now(force: bool = False) -> dict[str, Any]:
    """Run linkage in its own session and commit; returns the run summary. Needs an app context."""
    session = db.new_session()
    try:
        summary = run_linkage(session, LinkageOptions.from_settings(current_app.config["WAYMARK"]), force=force)
        session.commit()
        return summary
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def harvest_job(name: str) -> None:
    """The scheduled harvest of one source, then linkage (unless ``linkage_after_harvest`` is off)."""
    with _context_app().app_context():
        try:
            summary = harvest_one(name)
        except HarvestBusy as busy:
            log.warning("skipped: %s", busy)
            return
        log.info("harvested %s: %s %s", name, summary.status, dict(summary.counts))
        if summary.status == "succeeded" and current_app.config["WAYMARK"].linkage_after_harvest:
            _link_and_log(f"after harvesting {name}")


def linkage_job() -> None:
    """The periodic linkage run (a safety net: harvests already run linkage after themselves)."""
    with _context_app().app_context():
        _link_and_log("scheduled")


def _link_and_log(why: str) -> None:
    """A failed linkage run is logged, never raised: the harvest it follows has already succeeded."""
    try:
        linked = link_now()
    except Exception:
        log.exception("linkage (%s) failed", why)
        return
    log.info("linkage (%s): %s %s", why, linked["status"], linked["counts"].get("reason") or linked["timings"])


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    func: Callable[[], None]
    minutes: int


def sync_job() -> None:
    """Bring the harvest jobs in line with the source registry."""
    scheduler = _scheduler
    if scheduler is not None:
        with _context_app().app_context():
            sync_harvest_jobs(scheduler)


PERIODIC_JOBS: list[PeriodicJob] = [PeriodicJob("sync-sources", sync_job, 1)]
_scheduler: BaseScheduler | None = None


def sync_harvest_jobs(scheduler: BaseScheduler) -> list[str]:
    """One job per enabled, scheduled source; jobs of other sources removed. Needs an app context."""
    session = db.new_session()
    try:
        wanted = {HARVEST_PREFIX + s.name: s for s in registry.list_sources(session) if s.enabled and s.schedule}
    finally:
        session.close()
    for job in scheduler.get_jobs():
        if job.id.startswith(HARVEST_PREFIX) and job.id not in wanted:
            job.remove()
    for job_id, source in wanted.items():
        trigger = CronTrigger.from_crontab(source.schedule or "", timezone=TIMEZONE)
        existing = scheduler.get_job(job_id)
        if existing is None or str(existing.trigger) != str(trigger):
            scheduler.add_job("app.jobs:harvest_job", trigger, args=[source.name], id=job_id,
                              name=f"harvest {source.name}", replace_existing=True)
    return sorted(wanted)


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """Give ``scheduler`` the database job store, safe defaults and every job."""
    global _app, _scheduler
    _app, _scheduler = app, scheduler
    with app.app_context():
        engine = db.engine()
        scheduler.configure(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE),
                       "memory": MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=TIMEZONE)
    return scheduler


def add_periodic_jobs(scheduler: BaseScheduler, linkage_minutes: int = 0) -> None:
    """The fixed periodic jobs, and linkage every ``linkage_minutes`` (0: only after harvests)."""
    periodic = list(PERIODIC_JOBS)
    if linkage_minutes > 0:
        periodic.append(PeriodicJob(LINKAGE_JOB, linkage_job, linkage_minutes))
    for job in periodic:
        scheduler.add_job(job.func, IntervalTrigger(minutes=job.minutes), id=job.id, replace_existing=True,
                          jobstore="memory")


def run_scheduler(app: Flask, stop: Callable[[], bool]) -> None:
    """Run until ``stop()`` is true: harvest jobs from the registry, periodic jobs, then wait."""
    scheduler = configure(BackgroundScheduler(), app)
    scheduler.start()
    try:
        with app.app_context():
            names = sync_harvest_jobs(scheduler)
        log.info("scheduler started with harvest jobs: %s", ", ".join(names) or "none")
        add_periodic_jobs(scheduler, app.config["WAYMARK"].linkage_interval_minutes)
        while not stop():
            time.sleep(1)
    finally:
        scheduler.shutdown(wait=True)
