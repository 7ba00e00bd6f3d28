"""Resolving where the patient is, and the messages a link worker sees when it cannot be done.

The demo database's postcode table holds the LS, BD and WF areas; the demo directory has a
location (Armley Library) at LS12 2HS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.geo.geocoder import Place as GeocodedPlace
from app.geo.place import Place, PlaceError, configured_geocoder, resolve_place
from app.geo.postcode_table import lookup
from app.models.geo import Postcode

LEEDS = "E08000035"
ARMLEY_LIBRARY = ("LS12 2HS", 53.808006, -1.60824)


def error(session: Session, **kwargs: object) -> PlaceError:
    with pytest.raises(PlaceError) as raised:
        resolve_place(session, **kwargs)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)
    return raised.value


class FakeGeocoder:
    """Knows a few places by name, as a configured Nominatim would."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def locate(self, address: str) -> GeocodedPlace | None:
        self.asked.append(address)
        if address.lower() == "horsforth":
            return GeocodedPlace(53.8374, -1.6426, "Horsforth, Leeds, West Yorkshire, England")
        return None



# --- postcodes ---------------------------------------------------------------------------------


def test_full_postcode_from_the_table_with_its_local_authority(session: Session) -> None:
    row = lookup(session, "LS1 4DY")
    assert row is not None and row.latitude is not None
    place = resolve_place(session, postcode=" ls14dy ")
    assert place == Place(row.latitude, row.longitude, "postcode", "LS1 4DY", LEEDS)  # type: ignore[arg-type]
    assert not place.approximate


def test_terminated_postcode_is_refused_saying_so(session: Session) -> None:
    row = lookup(session, "LS1 4DY")
    assert row is not None
    row.terminated = True
    session.flush()
    raised = error(session, postcode="LS1 4DY")
    assert raised.parameter == "postcode"
    assert "LS1 4DY is a terminated postcode" in str(raised)


def test_unknown_postcode_is_refused(session: Session) -> None:
    raised = error(session, postcode="LS99 9ZZ")
    assert (raised.parameter, str(raised)) == ("postcode", "LS99 9ZZ is not a known UK postcode")


def test_postcode_missing_from_the_table_falls_back_to_a_directory_location(session: Session) -> None:
    code, latitude, longitude = ARMLEY_LIBRARY
    session.execute(delete(Postcode).where(Postcode.postcode == code))
    place = resolve_place(session, postcode=code)
    assert (place.precision, place.label, place.approximate) == ("postcode", code, False)
    assert math.isclose(place.latitude, latitude, abs_tol=1e-6) and math.isclose(place.longitude, longitude,
                                                                                 abs_tol=1e-6)
    assert place.la_code == LEEDS


def test_postcode_nobody_knows_falls_back_to_its_sector_marked_approximate(session: Session) -> None:
    session.execute(delete(Postcode).where(Postcode.postcode == "LS6 4AB"))
    place = resolve_place(session, postcode="LS6 4AB")
    assert (place.precision, place.label, place.la_code, place.approximate) == ("sector", "LS6 4", LEEDS, True)
    assert math.isclose(place.latitude, 53.83111) and math.isclose(place.longitude, -1.56898)


def test_sector_and_outcode_are_approximate(session: Session) -> None:
    sector = resolve_place(session, postcode="ls6 4")
    assert (sector.precision, sector.label, sector.la_code, sector.approximate) == ("sector", "LS6 4", LEEDS, True)
    district = resolve_place(session, postcode="LS6")
    assert (district.precision, district.label, district.la_code, district.approximate) == \
        ("outcode", "LS6", LEEDS, True)
    assert resolve_place(session, postcode="LS64") == sector  # the space left out


@pytest.mark.parametrize(("text", "message"), [
    ("hello", "'hello' is not a UK postcode (such as LS6 4AB), postcode sector (LS6 4) or postcode district (LS6)"),
    ("LS6 4A", "'LS6 4A' is not a UK postcode (such as LS6 4AB), postcode sector (LS6 4) or postcode district (LS6)"),
    ("LS6 7", "LS6 7 is not a known UK postcode sector"),
    ("LS0", "LS0 is not a known UK postcode district"),
])
def test_bad_postcodes_name_the_parameter(session: Session, text: str, message: str) -> None:
    raised = error(session, postcode=text)
    assert (raised.parameter, str(raised)) == ("postcode", message)


# --- coordinates -------------------------------------------------------------------------------


def test_coordinates_as_numbers_or_strings(session: Session) -> None:
    place = resolve_place(session, lat="53.7997", long=" -1.5492 ")
    assert place == Place(53.7997, -1.5492, "coordinates", "53.79970, -1.54920", LEEDS)
    assert not place.approximate
    assert resolve_place(session, lat=53.7997, long=-1.5492) == place


@pytest.mark.parametrize(("kwargs", "parameter", "message"), [
    ({"lat": "91", "long": "0"}, "lat", "lat must be between -90 and 90 degrees, not 91"),
    ({"lat": -90.5, "long": 0}, "lat", "lat must be between -90 and 90 degrees, not -90.5"),
    ({"lat": "53.8", "long": "181"}, "long", "long must be between -180 and 180 degrees, not 181"),
    ({"lat": "north", "long": "0"}, "lat", "lat must be a number of degrees, not 'north'"),
    ({"lat": "53.8", "long": "1,5"}, "long", "long must be a number of degrees, not '1,5'"),
    ({"lat": "nan", "long": "0"}, "lat", "lat must be a finite number of degrees, not 'nan'"),
    ({"lat": "53.8", "long": "inf"}, "long", "long must be a finite number of degrees, not 'inf'"),
    ({"lat": True, "long": 0}, "lat", "lat must be a number of degrees, not 'True'"),
    ({"lat": "53.8"}, "long", "long is needed with lat"),
    ({"long": "-1.5"}, "lat", "lat is needed with long"),
])
def test_bad_coordinates_name_the_parameter(session: Session, kwargs: dict[str, object], parameter: str,
                                            message: str) -> None:
    raised = error(session, **kwargs)
    assert (raised.parameter, str(raised)) == (parameter, message)


# --- place names -------------------------------------------------------------------------------


def test_place_name_without_a_geocoder_is_refused(session: Session) -> None:
    raised = error(session, place="Horsforth")
    assert raised.parameter == "place"
    assert str(raised) == "place names cannot be looked up here (no geocoder is configured): " \
                          "give a postcode, or lat and long"


def test_place_name_through_the_geocoder_is_approximate(session: Session) -> None:
    geocoder = FakeGeocoder()
    place = resolve_place(session, place="  Horsforth ", geocoder=geocoder)  # type: ignore[arg-type]
    assert place == Place(53.8374, -1.6426, "place", "Horsforth, Leeds, West Yorkshire, England", LEEDS,
                          approximate=True)
    assert geocoder.asked == ["Horsforth"]


def test_place_the_geocoder_cannot_find_is_refused(session: Session) -> None:
    raised = error(session, place="Nowhere-on-the-Wold", geocoder=FakeGeocoder())
    assert (raised.parameter, str(raised)) == ("place", "no place called 'Nowhere-on-the-Wold' was found")


def test_postcode_typed_as_a_place_needs_no_geocoder(session: Session) -> None:
    place = resolve_place(session, place="LS6 4")
    assert (place.precision, place.label) == ("sector", "LS6 4")


def test_configured_geocoder_is_off_by_default_and_shared_when_on() -> None:
    @dataclass
    class Settings:
        geocoder: str = ""
        geocoder_url: str = ""
        geocoder_min_delay_ms: int = 1000

    assert configured_geocoder(Settings()) is None
    on = Settings("nominatim", "https://nominatim.example.org")
    first = configured_geocoder(on)
    assert first is not None and configured_geocoder(on) is first


# --- what to give ------------------------------------------------------------------------------


def test_nothing_or_more_than_one_kind_of_place_is_refused(session: Session) -> None:
    assert str(error(session)) == "give a postcode, lat and long, or a place"
    raised = error(session, postcode="LS6 4AB", lat="53.8", long="-1.5")
    assert raised.parameter == "long"
    assert str(raised) == "give only one of postcode, lat and long, or place"
    assert error(session, postcode="LS6", place="Leeds").parameter == "place"


def test_blank_values_count_as_not_given(session: Session) -> None:
    place = resolve_place(session, postcode="LS6", lat="", long=" ", place="")
    assert place.label == "LS6"
