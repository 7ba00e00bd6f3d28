"""SearchDocuments as rows of the SQL index tables (``app.models.search``).

Everything a query compares is turned into plain numbers and strings here, once, at write
time: tags for exact-match filters, day numbers for validity dates, the unit-sphere point and
grid cell for radius tests, cleaned polygons for coverage. Queries then never interpret a document.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

import shapely  # type: ignore[import-untyped]

from app.search.backend import SearchDocument
from app.search.shapes import usable_shape

EPOCH = datetime.date(1970, 1, 1)


def day_number(day: datetime.date | None) -> int | None:
    """Days since 1970-01-01: dates as integers, so both dialects compute with them alike."""
    return None if day is None else (day - EPOCH).days


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """The point on the unit sphere. The squared chord between two such points grows with their
    great-circle distance, so radius tests and nearest-first need no trigonometry per row."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


# The grid of ``search_entry.cell``: rows of CELL_DEG degrees of latitude, each cut into
# CELL_DEG-degree columns of longitude numbered west to east, so the cells of one row that a
# circle touches form one range of numbers and a radius is a few index range scans.
CELL_DEG = 0.01
COLUMNS = round(360 / CELL_DEG)
ROWS = round(180 / CELL_DEG)


def cell_row(latitude: float) -> int:
    return min(max(math.floor((latitude + 90) / CELL_DEG), 0), ROWS - 1)


def cell_column(longitude: float) -> int:
    return min(max(math.floor((longitude + 180) / CELL_DEG), 0), COLUMNS - 1)


def cell(latitude: float, longitude: float) -> int:
    return cell_row(latitude) * COLUMNS + cell_column(longitude)


def tags(document: SearchDocument) -> set[str]:
    """The exact-match values of a document, prefixed by the filter they serve."""
    out = {f"term:{term}" for term in document.term_ids}
    out.update(f"taxonomy:{taxonomy}" for taxonomy in document.taxonomy_ids)
    out.update(f"lang:{language.lower()}" for language in document.languages)
    out.update(f"delivery:{mode}" for mode in document.delivery)
    out.update(f"area:{code}" for code in document.coverage_codes)
    return out


@dataclass(frozen=True)
class Shape:
    """A coverage polygon ready for both dialects: GeoJSON for storage, WKB for PostGIS, bounds
    for the SQLite R*Tree. Made valid first: an invalid ring would make containment unreliable."""

    geojson: str
    wkb: bytes
    bounds: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def shape(geojson: str) -> Shape | None:
    """The cleaned shape, or None when the GeoJSON is not a usable polygon (it covers nothing)."""
    geometry = usable_shape(geojson)
    if geometry is None:
        return None
    bounds = tuple(float(v) for v in geometry.bounds)
    return Shape(shapely.to_geojson(geometry), shapely.to_wkb(geometry), (bounds[0], bounds[1], bounds[2], bounds[3]))


@dataclass
class Rows:
    """The rows of a batch of documents, keyed by the entry numbers given to them."""

    entries: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    opens: list[dict[str, Any]]
    shapes: list[dict[str, Any]]  # shape, entry, geojson, wkb, min/max lat/lon


def rows(documents: list[SearchDocument], entries: list[int]) -> Rows:
    """Rows for ``documents``, which get the entry numbers ``entries``. Shapes are numbered 0, 1 ...
    (``number_shapes`` gives them their real numbers once it is known how many are usable)."""
    out = Rows([], [], [], [])
    for entry, document in zip(entries, documents, strict=True):
        located = document.latitude is not None and document.longitude is not None
        x = y = z = None
        if document.latitude is not None and document.longitude is not None:
            x, y, z = unit_vector(document.latitude, document.longitude)
        out.entries.append({
            "entry": entry, "id": document.id, "service_id": document.service_id,
            "location_id": document.location_id, "organization_id": document.organization_id,
            "name": document.name, "last_modified": document.last_modified,
            "latitude": document.latitude if located else None, "longitude": document.longitude if located else None,
            "minimum_age": document.minimum_age, "maximum_age": document.maximum_age, "free": bool(document.free),
            "name_text": document.name_text or "", "body_text": document.body_text or "",
            "at_location": document.location_id is not None, "x": x, "y": y, "z": z,
            "cell": cell(document.latitude, document.longitude)
            if document.latitude is not None and document.longitude is not None else None,
        })
        entry_row = out.entries[-1]
        out.tags.extend({"tag": tag, "entry": entry, "cell": entry_row["cell"], "at_location": entry_row["at_location"]}
                        for tag in sorted(tags(document)))
        out.opens.extend({
            "entry": entry, "start": interval.start, "end": interval.end,
            "valid_from": day_number(interval.valid_from), "valid_to": day_number(interval.valid_to),
            "nth": interval.nth, "every": interval.every, "anchor": day_number(interval.anchor),
        } for interval in document.intervals)
        for geojson in document.coverage_shapes:
            cleaned = shape(geojson)
            if cleaned is None:
                continue
            min_lon, min_lat, max_lon, max_lat = cleaned.bounds
            out.shapes.append({"shape": len(out.shapes), "entry": entry, "geojson": cleaned.geojson, "wkb": cleaned.wkb,
                               "min_lat": min_lat, "max_lat": max_lat, "min_lon": min_lon, "max_lon": max_lon})
    return out


def number_shapes(rows: Rows, numbers: list[int]) -> None:
    for row, number in zip(rows.shapes, numbers, strict=True):
        row["shape"] = number
