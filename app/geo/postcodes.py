"""UK postcodes: normalising them and finding a point for one.

A full postcode resolves through the postcode table (``waymark postcodes load``); if
the table does not have it (not loaded yet, or a brand-new postcode), through a
directory location at that postcode; an outcode, or a postcode neither knows,
resolves to the centroid of its district, shipped in ``app/geo/data`` (OGL, see its
README). The point says how precise it is.

Postcode sectors (``LS6 4``: the outcode and the inward code's digit) have their own
centroids too; ``app.geo.place`` uses them for a patient's approximate location.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import Dialect, bindparam, select
from sqlalchemy.orm import Session

from app.models.geo import Postcode
from app.models.hsds import Address, Location
from app.services.publish import DriverStatement, driver_statement
from importers.normalise import NormaliseError, outcode, postcode

DATA = Path(__file__).resolve().parent / "data"
_SECTOR = re.compile(r"(\S+)\s+([0-9])")


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    precision: str  # "postcode" or "outcode"


def normalise(text: str) -> str | None:
    """``ls64ab`` -> ``LS6 4AB``; an outcode alone (``LS6``) stays as it is; else None.
    The rules are the importers' (``importers.normalise``), so the API and harvests agree."""
    for parse in (postcode, outcode):
        try:
            return parse(text)
        except NormaliseError:
            continue
    return None


@dataclass(frozen=True)
class Centroid:
    """The mean point of an outcode's or sector's live postcodes, and their most common local authority."""

    latitude: float
    longitude: float
    la_code: str | None


def sector(text: str) -> str | None:
    """``ls6 4`` -> ``LS6 4``: a postcode sector (outcode, space, the inward code's digit); else None.

    The space is required: ``LS64`` is read as an outcode by ``normalise``."""
    match = _SECTOR.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return f"{outcode(match[1])} {match[2]}"
    except NormaliseError:
        return None


def _centroids(filename: str, key: str) -> dict[str, Centroid]:
    with (DATA / filename).open(newline="", encoding="utf-8") as handle:
        return {row[key]: Centroid(float(row["lat"]), float(row["lon"]), row["lad"] or None)
                for row in csv.DictReader(handle)}


@cache
def outcode_centroid_table() -> dict[str, Centroid]:
    """Outcode (``LS6``) -> its centroid, for Great Britain."""
    return _centroids("gb_outcode_centroids.csv", "outcode")


@cache
def sector_centroid_table() -> dict[str, Centroid]:
    """Sector (``LS6 4``) -> its centroid, for Great Britain."""
    return _centroids("gb_sector_centroids.csv", "sector")


def outcode_centroids() -> dict[str, tuple[float, float]]:
    """Outcode -> (latitude, longitude)."""
    return {code: (c.latitude, c.longitude) for code, c in outcode_centroid_table().items()}


@dataclass(frozen=True)
class PostcodeRow:
    """What a search needs of a postcode table row."""

    latitude: float | None
    longitude: float | None
    local_authority: str | None
    terminated: bool


@cache
def _postcode_row_statement(dialect: Dialect) -> DriverStatement:
    return driver_statement(
        select(Postcode.latitude, Postcode.longitude, Postcode.local_authority, Postcode.terminated)
        .where(Postcode.postcode == bindparam("postcode")), dialect, {"postcode": Postcode.postcode})


def postcode_row(session: Session, postcode: str) -> PostcodeRow | None:
    """The postcode table's row for a normalised full postcode (``LS6 4AB``), else None: the row
    ``postcode_table.lookup`` gives, read as plain columns by a statement compiled once per dialect
    and handed to the driver (``driver_statement``).
    Every search by postcode runs it: through the ORM (``session.execute(select(...))``) it cost
    ~120 us of CPU on PostgreSQL, ~45 us on SQLite, against ~80 us and ~20 us this way."""
    compact = "".join(postcode.split()).upper()
    connection = session.connection()
    statement = _postcode_row_statement(connection.dialect)
    parameters = statement.parameters([{"postcode": f"{compact[:-3]} {compact[-3:]}"}])[0]
    found = connection.exec_driver_sql(statement.sql, parameters).first()
    if found is None:
        return None
    return PostcodeRow(found[0], found[1], found[2], bool(found[3]))


def directory_point(session: Session, postcode: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a directory location whose address has this normalised postcode.

    Harvests store postcodes normalised (``importers.normalise``), so an equality the
    ``address.postal_code`` index answers finds them; wrapping the column in functions
    would scan every address (a third of a second at 140,000 addresses)."""
    hit = session.execute(
        select(Location.latitude, Location.longitude)
        .join(Address, Address.location_id == Location.id)
        .where(Address.postal_code.in_([postcode, postcode.replace(" ", "")]),
               Location.latitude.is_not(None), Location.longitude.is_not(None))
        .order_by(Location.id)
        .limit(1)
    ).first()
    return (float(hit[0]), float(hit[1])) if hit is not None else None


def locate(session: Session, postcode: str) -> Point | None:
    """A point for a normalised postcode or outcode, or None if unknown."""
    if " " in postcode:
        known = session.get(Postcode, postcode)
        if known is not None and known.latitude is not None and known.longitude is not None:
            return Point(known.latitude, known.longitude, "postcode")
        found = directory_point(session, postcode)
        if found is not None:
            return Point(found[0], found[1], "postcode")
    centroid = outcode_centroid_table().get(postcode.split(" ")[0])
    return Point(centroid.latitude, centroid.longitude, "outcode") if centroid else None
