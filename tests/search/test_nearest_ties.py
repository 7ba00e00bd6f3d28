"""Nearest-first pages where many entries are exactly as far away (services sharing one building):
the name order decides among them, across page boundaries, whichever way a backend finds the
nearest entries (on PostgreSQL: from the cell index, every entry as near as the last kept)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from app.search.backend import SearchBackend, SearchDocument, SearchQuery, SearchResult
from tests.search.test_contract import HERE, away, check_over, doc


def _shared_buildings() -> list[SearchDocument]:
    rng = random.Random(3)
    out = []
    for building in range(4):  # 4 buildings of 45 services each, ids against name order
        where = away(150.0 * (building + 1), 0.0)
        out += [doc(f"b{building}-{44 - n:02d}", f"Shared {rng.choice('ABCDEFGH')}{n:02d}", where, "group")
                for n in range(45)]
    out += [doc(f"far-{n:03d}", f"Far {n}", away(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000)), "group")
            for n in range(600)]  # enough for nearest-first pages to be found within growing radii
    return out


SHARED = _shared_buildings()


@pytest.mark.parametrize("page", [1, 2, 3, 5, 9, 10])
@pytest.mark.parametrize("unit", ["service_at_location", "service"])
def test_pages_through_services_sharing_a_building(backend: SearchBackend, session: Session, page: int,
                                                   unit: str) -> None:
    assert backend.rebuild(session, SHARED) == len(SHARED)

    def run(**query: object) -> SearchResult:
        return backend.search(session, SearchQuery(**query))  # type: ignore[arg-type]

    found = check_over(run, SHARED, {"point": HERE, "proximity": 16000, "sort": "distance", "per_page": 20,
                                     "page": page, "unit": unit})
    assert len(found.ids) == 20
