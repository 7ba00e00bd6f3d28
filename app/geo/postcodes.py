"""UK postcodes: normalising them and finding a point for one.

A full postcode resolves through the postcode table (``waymark postcodes load``); if
the table does not have it (not loaded yet, or a brand-new postcode), through a
directory location at that postcode; an outcode, or a postcode neither knows,
resolves to the centroid of its district, shipped in ``app/geo/data`` (OGL, see its
README). The point says how precise it is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.geo import Postcode
from app.models.hsds import Address, Location
from importers.normalise import NormaliseError, outcode, postcode

DATA = Path(__file__).resolve().parent / "data"
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


@cache
def outcode_centroids() -> dict[str, tuple[float, float]]:
    with (DATA / "gb_outcode_centroids.csv").open(newline="", encoding="utf-8") as handle:
        return {row["outcode"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(handle)}


def locate(session: Session, postcode: str) -> Point | None:
    """A point for a normalised postcode or outcode, or None if unknown."""
    if " " in postcode:
        known = session.get(Postcode, postcode)
        if known is not None and known.latitude is not None and known.longitude is not None:
            return Point(known.latitude, known.longitude, "postcode")
        hit = session.execute(
            select(Location.latitude, Location.longitude)
            .join(Address, Address.location_id == Location.id)
            .where(func.upper(func.replace(Address.postal_code, " ", "")) == postcode.replace(" ", ""),
                   Location.latitude.is_not(None), Location.longitude.is_not(None))
            .limit(1)
        ).first()
        if hit is not None:
            return Point(float(hit[0]), float(hit[1]), "postcode")
    centroid = outcode_centroids().get(postcode.split(" ")[0])
    return Point(centroid[0], centroid[1], "outcode") if centroid else None
