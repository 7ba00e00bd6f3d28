"""Harvested locations without coordinates get a point from their postcode (or a geocoder)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.geo.geocoder import AddressGeocoder
from app.models.geo import Postcode
from app.services.geocode import fill_coordinates
from tests.importers import feed_server as fs
from tests.importers.feed_server import Reply

SERVICE: dict[str, Any] = {
    "id": "s1", "name": "Walking group", "status": "active",
    "service_at_locations": [
        {"id": "sal1", "location": {"id": "l1", "name": "Hyde Park hall", "location_type": "physical",
                                    "addresses": [{"id": "a1", "address_1": "1 Hall Road", "city": "Leeds",
                                                   "postal_code": "ls6 1ab", "country": "GB"}]}},
        {"id": "sal2", "location": {"id": "l2", "name": "Old depot", "location_type": "physical",
                                    "addresses": [{"id": "a2", "address_1": "2 Depot Lane", "city": "Leeds",
                                                   "postal_code": "LS99 9ZZ", "country": "GB"}]}},
        {"id": "sal3", "location": {"id": "l3", "name": "Placed already", "location_type": "physical",
                                    "latitude": 53.1, "longitude": -1.1,
                                    "addresses": [{"id": "a3", "address_1": "3 Road", "city": "Leeds",
                                                   "postal_code": "LS6 1AB", "country": "GB"}]}},
        {"id": "sal4", "location": {"id": "l4", "name": "Closed office", "location_type": "physical",
                                    "addresses": [{"id": "a4", "address_1": "4 Road", "city": "Leeds",
                                                   "postal_code": "LS2 7ZZ", "country": "GB"}]}},
        {"id": "sal5", "location": {"id": "l5", "name": "Mystery", "location_type": "physical",
                                    "addresses": [{"id": "a5", "address_1": "5 Road", "city": "Leeds",
                                                   "postal_code": "not a postcode", "country": "GB"}]}},
    ],
}


@pytest.fixture()
def postcodes(session: Session) -> Session:
    for row in (Postcode(postcode="LS6 1AB", latitude=53.8123, longitude=-1.5678, local_authority="E08000035"),
                Postcode(postcode="LS2 7ZZ", latitude=53.80, longitude=-1.55, local_authority="E08000035",
                         terminated=True)):
        session.merge(row)  # the demo database may hold the real ones: these win inside the test
    session.execute(delete(Postcode).where(Postcode.postcode == "LS99 9ZZ"))
    session.flush()
    return session


def test_points_come_from_the_postcode_table_and_problems_are_notes(postcodes: Session) -> None:
    record = copy.deepcopy(SERVICE)
    [notes] = fill_coordinates(postcodes, [("service", record)])
    places = [sal["location"] for sal in record["service_at_locations"]]
    assert (places[0]["latitude"], places[0]["longitude"]) == (53.8123, -1.5678)
    assert "latitude" not in places[1]
    assert (places[2]["latitude"], places[2]["longitude"]) == (53.1, -1.1)  # given coordinates win
    assert places[3]["latitude"] == 53.80
    assert sorted(notes) == sorted([
        "location Mystery: 'not a postcode' is not a valid UK postcode",
        "location Old depot: postcode LS99 9ZZ is not in the postcode table",
        "location Closed office: postcode LS2 7ZZ is terminated; its last known point is used",
    ])


def test_a_configured_geocoder_places_addresses_without_postcodes(feed_server: fs.FeedServer,
                                                                   session: Session) -> None:
    feed_server.route("/search", [Reply(json=[{"lat": "53.7997", "lon": "-1.5492", "display_name": "Leeds"}])])
    geocoder = AddressGeocoder("nominatim", feed_server.url, min_delay=0)
    record = {"id": "o1", "name": "Org", "description": "d", "locations": [
        {"id": "l9", "name": "Market hall", "location_type": "physical",
         "addresses": [{"id": "a9", "address_1": "Kirkgate Market", "city": "Leeds", "country": "GB"}]}]}
    [notes] = fill_coordinates(session, [("organization", record)], geocoder)
    assert notes == [] and record["locations"][0]["latitude"] == pytest.approx(53.7997)
    again = copy.deepcopy(record)
    del again["locations"][0]["latitude"], again["locations"][0]["longitude"]
    fill_coordinates(session, [("organization", again)], geocoder)
    assert len(feed_server.requests_to("/search")) == 1  # cached
    assert "Kirkgate Market" in str(feed_server.requests_to("/search")[0].query.get("q"))


def test_geocoder_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="must be one of nominatim, photon, pelias"):
        AddressGeocoder("google", "http://x.example")
    with pytest.raises(ValueError, match="must be an http"):
        AddressGeocoder("photon", "ftp://x.example")
