"""The demo directory: Leeds feeds registered as ordinary sources.

The demo is built the way a real directory is: each demo feed is a registered
source, harvested through its importer into staging and published. Demo sources are
not scheduled (their files ship with Waymark and do not change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.services import sources as registry

DEMO = Path(__file__).resolve().parent.parent / "demo"


@dataclass(frozen=True)
class DemoSource:
    name: str
    type: str
    location: str
    config: dict[str, Any] = field(default_factory=dict)


def demo_sources() -> list[DemoSource]:
    return [
        DemoSource("leeds-directory", "hsds_tabular", str(DEMO / "leeds")),
    ]


def register_demo_sources(session: Session) -> list[str]:
    """Add the demo sources, or point existing ones at this copy of the demo files."""
    names = []
    for spec in demo_sources():
        try:
            registry.get_source(session, spec.name)
            registry.edit_source(session, spec.name, type=spec.type, location=spec.location, config=spec.config)
        except registry.SourceError:
            registry.add_source(session, spec.name, spec.type, spec.location, spec.config, enabled=False)
        names.append(spec.name)
    session.flush()
    return names
