"""Coverage shapes as every backend reads them, so that they all cover the same ground."""

from __future__ import annotations

from typing import Any

import shapely  # type: ignore[import-untyped]  # (no type information shipped)


def usable_shape(geojson: str) -> Any | None:
    """The shapely geometry of a document's coverage shape, made valid (a self-intersecting
    ring would be refused by Elasticsearch and misread by spatial indexes), or None when it
    is unreadable or covers nothing (a point, a line, an empty polygon)."""
    try:
        geometry = shapely.make_valid(shapely.from_geojson(geojson))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        return None
    if geometry.is_empty or geometry.area == 0:
        return None
    return geometry
