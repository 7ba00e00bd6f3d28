"""The scheduler: one persistent cron job per enabled source, no overlapping harvests, linkage after harvests."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import delete, select

from app import create_app, db, jobs, migrate
from app.models.linkage import LinkageRun
from app.models.scheduler import SchedulerJob
from app.models.staging import HarvestRun, Source, StagedRecord
from app.services import sources as registry
from app.services.harvest import start_run
from app.services.publish import unpublish
from tests.conftest import DEMO


@pytest.fixture()
def committed_sources(demo_app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Sources committed for real (the scheduler reads them from its own sessions). Linkage after these
    harvests is off: it would merge the shared demo other suites read one to one."""
    settings = demo_app.config["WAYMARK"]
    demo_app.config["WAYMARK"] = dataclasses.replace(settings, linkage_after_harvest=False)
    package = tmp_path / "package"
    shutil.copytree(DEMO, package)
    with demo_app.app_context():
        session = db.new_session()
        registry.add_source(session, "sched-nightly", "hsds_tabular", str(package), schedule="0 3 * * *")
        registry.add_source(session, "sched-hourly", "hsds_tabular", str(package), schedule="15 * * * *")
        registry.add_source(session, "sched-off", "hsds_tabular", str(package), schedule="0 4 * * *",
                            enabled=False)
        registry.add_source(session, "sched-manual", "hsds_tabular", str(package))
        session.commit()
        session.close()
    yield package
    with demo_app.app_context():
        session = db.new_session()
        staged = session.execute(select(StagedRecord.kind, StagedRecord.golden_id).join(
            Source, Source.id == StagedRecord.source_id).where(Source.name.like("sched-%"))).all()
        for kind in ("service", "organization"):
            unpublish(session, kind, [g for k, g in staged if k == kind and g])
        session.execute(delete(Source).where(Source.name.like("sched-%")))
        session.execute(delete(SchedulerJob))
        session.commit()
        session.close()
    demo_app.config["WAYMARK"] = settings


def test_one_persistent_job_per_enabled_scheduled_source(demo_app: Flask, committed_sources: Path) -> None:
    scheduler = jobs.configure(BackgroundScheduler(), demo_app)
    scheduler.start(paused=True)
    try:
        with demo_app.app_context():
            assert jobs.sync_harvest_jobs(scheduler) == ["harvest:sched-hourly", "harvest:sched-nightly"]
            nightly = scheduler.get_job("harvest:sched-nightly")
            assert nightly.args == ("sched-nightly",) and "hour='3'" in str(nightly.trigger)
            stored = db.new_session().execute(select(SchedulerJob.id)).scalars().all()
            assert sorted(stored) == ["harvest:sched-hourly", "harvest:sched-nightly"]
            session = db.new_session()
            registry.edit_source(session, "sched-hourly", enabled=False)
            session.commit()
            session.close()
            assert jobs.sync_harvest_jobs(scheduler) == ["harvest:sched-nightly"]
            assert scheduler.get_job("harvest:sched-hourly") is None
    finally:
        scheduler.shutdown(wait=False)


def test_the_job_harvests_and_records_the_run(demo_app: Flask, committed_sources: Path) -> None:
    jobs.configure(BackgroundScheduler(), demo_app)
    jobs.harvest_job("sched-manual")
    with demo_app.app_context():
        session = db.new_session()
        source = registry.get_source(session, "sched-manual")
        run = session.execute(select(HarvestRun).where(HarvestRun.source_id == source.id)).scalar_one()
        assert run.status == "succeeded" and run.counts["new"] > 200
        session.close()


def test_a_running_harvest_is_not_started_twice(demo_app: Flask, committed_sources: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    jobs.configure(BackgroundScheduler(), demo_app)
    with demo_app.app_context():
        session = db.new_session()
        start_run(session, registry.get_source(session, "sched-manual"), False, registry.utcnow())
        session.commit()
        session.close()
    jobs.harvest_job("sched-manual")
    assert "already being harvested" in caplog.text
    with demo_app.app_context():
        session = db.new_session()
        source = registry.get_source(session, "sched-manual")
        runs = session.execute(select(HarvestRun.status).where(HarvestRun.source_id == source.id)).scalars().all()
        assert runs == ["running"]
        session.close()


def test_linkage_runs_after_a_scheduled_harvest_and_on_its_own_interval(tmp_path: Path) -> None:
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'jobs.db'}", "instance_path": str(tmp_path),
                      "linkage_interval_minutes": 30})
    package = tmp_path / "package"
    shutil.copytree(DEMO, package)
    with app.app_context():
        migrate.upgrade(db.engine())
        session = db.new_session()
        registry.add_source(session, "nightly", "hsds_tabular", str(package), schedule="0 3 * * *")
        session.commit()
        session.close()
    scheduler = jobs.configure(BackgroundScheduler(), app)
    try:
        jobs.harvest_job("nightly")
        jobs.linkage_job()
        with app.app_context():
            session = db.new_session()
            runs = session.execute(select(LinkageRun.status).order_by(LinkageRun.id)).scalars().all()
            session.close()
        assert runs == ["succeeded", "skipped"]  # after the harvest, then nothing new on the interval
        scheduler.start(paused=True)
        jobs.add_periodic_jobs(scheduler, app.config["WAYMARK"].linkage_interval_minutes)
        linkage = scheduler.get_job(jobs.LINKAGE_JOB)
        assert linkage is not None and "0:30:00" in str(linkage.trigger)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        with app.app_context():
            db.engine().dispose()
