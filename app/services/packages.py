"""Load an HSDS tabular package (such as the demo) into the golden tables.

Goes through the same importer (``importers.hsds_tabular``) and the same write path
(``app.services.publish``) as every other source. A bad record is reported with
where it came from and why; the rest of the package still loads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.services.publish import RecordError, publish
from importers.hsds_tabular import Record, records

BATCH = 200


@dataclass
class LoadReport:
    loaded: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)  # "services.csv row 7: name: ..."


def load_package(session: Session, folder: Path) -> LoadReport:
    report = LoadReport()
    batch: list[Record] = []
    for record in records(folder):
        if batch and (record.kind != batch[0].kind or len(batch) >= BATCH):
            _publish_batch(session, batch, report)
            batch = []
        batch.append(record)
    if batch:
        _publish_batch(session, batch, report)
    return report


def _publish_batch(session: Session, batch: list[Record], report: LoadReport) -> None:
    kind = batch[0].kind
    try:
        publish(session, kind, [r.data for r in batch])
        report.loaded[kind] += len(batch)
        return
    except RecordError:
        pass
    for record in batch:  # isolate the bad ones; publish validates before it writes
        try:
            publish(session, kind, [record.data])
            report.loaded[kind] += 1
        except RecordError as exc:
            report.rejected.append(f"{record.origin}: {exc}")
