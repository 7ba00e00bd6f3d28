"""Where the patient is: a postcode, a postcode sector or district, coordinates, or a place name.

A link worker usually types a postcode; sometimes only its first half, or coordinates from a
map, or the name of a village. ``resolve_place`` turns any of them into one ``Place`` that
says how precise it is, so the search can say "approximate" when it is, and raises
``PlaceError`` naming the parameter at fault, with a message the link worker can act on
(the API turns it into a 400).

Order of trust for a full postcode: the postcode table (with its local authority), then a
directory location at that postcode (a brand-new postcode the table does not know yet),
then the centroid of its sector, marked approximate. A postcode none of these knows is an
error, not a guess at its district: it is most likely mistyped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.geo.areas import local_authority_at
from app.geo.geocoder import AddressGeocoder
from app.geo.postcodes import directory_point, outcode_centroid_table, postcode_row, sector, sector_centroid_table
from importers.normalise import NormaliseError, outcode
from importers.normalise import postcode as full_postcode

Precision = Literal["postcode", "sector", "outcode", "coordinates", "place"]
MAX_PLACE_LENGTH = 200


@dataclass(frozen=True)
class Place:
    """A patient's location: a WGS84 point, how it was found, and what to call it."""

    latitude: float
    longitude: float
    precision: Precision
    label: str  # "LS6 4AB", "LS6 4", "LS6", "53.80000, -1.54900", or the geocoder's address
    la_code: str | None = None  # local authority (ONS code), when known
    approximate: bool = False  # True for a sector, an outcode or a place name


class PlaceError(ValueError):
    """A location parameter that cannot be used; ``parameter`` names it ("postcode", "lat",
    "long" or "place")."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def resolve_place(session: Session, *, postcode: str | None = None, lat: Any = None, long: Any = None,
                  place: str | None = None, geocoder: AddressGeocoder | None = None) -> Place:
    """The patient's location from exactly one of: ``postcode`` (full, sector or district),
    ``lat`` with ``long`` (numbers or numeric strings, WGS84 degrees), or ``place`` (a place
    name or address, through ``geocoder``; see ``configured_geocoder``).

    Blank strings count as not given. Raises ``PlaceError`` when none or more than one is
    given, or when the one given cannot be placed.
    """
    given = [name for name, value in (("postcode", postcode), ("lat", lat), ("long", long), ("place", place))
             if not _blank(value)]
    kinds = {"lat" if name == "long" else name for name in given}
    if not kinds:
        raise PlaceError("postcode", "give a postcode, lat and long, or a place")
    if len(kinds) > 1:
        raise PlaceError(given[-1], "give only one of postcode, lat and long, or place")
    if postcode is not None and "postcode" in kinds:
        return _from_postcode(session, postcode, "postcode")
    if place is not None and "place" in kinds:
        return _from_name(session, place, geocoder)
    return _from_coordinates(lat, long)


def configured_geocoder(settings: Any) -> AddressGeocoder | None:
    """The settings' geocoder, one per configuration per process, so that its rate limit and
    cache hold across requests; None when none is configured (the default)."""
    if not settings.geocoder:
        return None
    return _geocoder(settings.geocoder, settings.geocoder_url, settings.geocoder_min_delay_ms)


@cache
def _geocoder(kind: str, url: str, min_delay_ms: float) -> AddressGeocoder:
    return AddressGeocoder(kind, url, min_delay_ms / 1000)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- postcodes --------------------------------------------------------------------------------


def _from_postcode(session: Session, text: str, parameter: str) -> Place:
    try:
        return _full_postcode(session, full_postcode(text), parameter)
    except NormaliseError:
        pass
    found_sector = sector(text)
    if found_sector is not None:
        return _sector(found_sector, parameter)
    try:
        district = outcode(text)
    except NormaliseError:
        raise PlaceError(parameter, f"{_quote(text)} is not a UK postcode (such as LS6 4AB), postcode sector "
                                    "(LS6 4) or postcode district (LS6)") from None
    centroid = outcode_centroid_table().get(district)
    if centroid is not None:
        return Place(centroid.latitude, centroid.longitude, "outcode", district, centroid.la_code, approximate=True)
    # "LS64" typed for the sector "LS6 4"?
    spaced = sector(f"{district[:-1]} {district[-1]}") if district[-1].isdigit() else None
    if spaced is not None and spaced in sector_centroid_table():
        return _sector(spaced, parameter)
    raise PlaceError(parameter, f"{district} is not a known UK postcode district")


def _full_postcode(session: Session, code: str, parameter: str) -> Place:
    row = postcode_row(session, code)
    if row is not None and row.terminated:
        raise PlaceError(parameter, f"{code} is a terminated postcode (no longer in use): give the current one")
    la_code = row.local_authority if row is not None else None
    if row is not None and row.latitude is not None and row.longitude is not None:
        return Place(row.latitude, row.longitude, "postcode", code, la_code)
    found = directory_point(session, code)
    if found is not None:
        return Place(found[0], found[1], "postcode", code, la_code or local_authority_at(*found))
    code_sector = code[:-2]
    centroid = sector_centroid_table().get(code_sector)
    if centroid is not None:
        return Place(centroid.latitude, centroid.longitude, "sector", code_sector, la_code or centroid.la_code,
                     approximate=True)
    if row is not None:
        raise PlaceError(parameter, f"{code} is a known postcode but its location is not on record")
    raise PlaceError(parameter, f"{code} is not a known UK postcode")


def _sector(code: str, parameter: str) -> Place:
    centroid = sector_centroid_table().get(code)
    if centroid is None:
        raise PlaceError(parameter, f"{code} is not a known UK postcode sector")
    return Place(centroid.latitude, centroid.longitude, "sector", code, centroid.la_code, approximate=True)


# --- coordinates and names --------------------------------------------------------------------


def _from_coordinates(lat: Any, long: Any) -> Place:
    if _blank(lat):
        raise PlaceError("lat", "lat is needed with long")
    if _blank(long):
        raise PlaceError("long", "long is needed with lat")
    latitude = _degrees(lat, "lat", 90)
    longitude = _degrees(long, "long", 180)
    return Place(latitude, longitude, "coordinates", f"{latitude:.5f}, {longitude:.5f}",
                 local_authority_at(latitude, longitude))


def _degrees(value: Any, parameter: str, limit: int) -> float:
    """A finite number of degrees within [-limit, limit], from a number or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PlaceError(parameter, f"{parameter} must be a number of degrees, not {_quote(str(value))}")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise PlaceError(parameter, f"{parameter} must be a number of degrees, not {_quote(str(value))}") from None
    if not math.isfinite(number):
        raise PlaceError(parameter, f"{parameter} must be a finite number of degrees, not {_quote(str(value))}")
    if not -limit <= number <= limit:
        raise PlaceError(parameter, f"{parameter} must be between -{limit} and {limit} degrees, not {value}")
    return number


def _from_name(session: Session, text: str, geocoder: AddressGeocoder | None) -> Place:
    name = " ".join(text.split())
    if len(name) > MAX_PLACE_LENGTH:
        raise PlaceError("place", f"place is too long (at most {MAX_PLACE_LENGTH} characters)")
    try:  # a postcode typed into the place box is still a postcode
        return _from_postcode(session, name, "place")
    except PlaceError:
        pass
    if geocoder is None:
        raise PlaceError("place", "place names cannot be looked up here (no geocoder is configured): "
                                  "give a postcode, or lat and long")
    found = geocoder.locate(name)
    if found is None:
        raise PlaceError("place", f"no place called {_quote(name)} was found")
    return Place(found.latitude, found.longitude, "place", found.label or name,
                 local_authority_at(found.latitude, found.longitude), approximate=True)


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return repr(shown.strip())
