"""Service-area coverage codes and shapes, and the patient's area codes at a point.

The truth for "which local authority is this postcode in" is the ``lad`` column of the
shared 20k sample of live GB postcodes (Code-Point Open 2025-04, LAD25 codes).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.geo.areas import (
    ENGLAND,
    NORTHERN_IRELAND,
    SCOTLAND,
    WALES,
    areas_at,
    local_authority_at,
    local_authority_name,
    service_area_coverage,
)
from app.models.geo import Postcode
from app.search.backend import EVERYWHERE, GeoPoint
from tests.conftest import HSDS_EXAMPLES, ROOT, SHARED

SAMPLE = SHARED / "data" / "geo" / "sample_postcodes_20k.csv"
FEEDS = ROOT / "app" / "demo" / "feeds"
DATA = ROOT / "app" / "geo" / "data"
LEEDS, BRADFORD, WAKEFIELD = "E08000035", "E08000032", "E08000036"
# NHS West Yorkshire ICB's sub-ICB locations (July 2022): Bradford District and Craven 36J,
# Calderdale 02T, Kirklees X2C4Y, Leeds 15F, Wakefield 03R.
WEST_YORKSHIRE_SUB_ICBS = {"E38000232", "E38000025", "E38000254", "E38000225", "E38000190"}
SHEFFIELD_24, SHEFFIELD_25 = "E08000019", "E08000039"
LEEDS_CENTRE = GeoPoint(53.7997, -1.5492)
CARDIFF_CENTRE = GeoPoint(51.4816, -3.1791)
BELFAST_CITY_HALL = GeoPoint(54.5965, -5.9301)
EDINBURGH_CASTLE = GeoPoint(55.9486, -3.1999)
LEEDS_SQUARE = {"type": "Polygon", "coordinates": [[[-1.6, 53.75], [-1.5, 53.75], [-1.5, 53.85], [-1.6, 53.85],
                                                    [-1.6, 53.75]]]}


@dataclass(frozen=True)
class Sampled:
    postcode: str
    latitude: float
    longitude: float
    lad: str


def sample(n: int, seed: int = 20250417, prefix: str = "") -> list[Sampled]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = [Sampled(r["postcode"], float(r["lat"]), float(r["lon"]), r["lad"]) for r in csv.DictReader(handle)
                if r["lad"] and r["lat"] and r["postcode"].startswith(prefix)]
    return random.Random(seed).sample(rows, min(n, len(rows)))


def codes(area: dict[str, object]) -> frozenset[str]:
    return service_area_coverage(area)[0]


def shapes(area: dict[str, object]) -> tuple[str, ...]:
    return service_area_coverage(area)[1]


# --- service areas from real feeds -------------------------------------------------------------


def test_demo_feed_service_areas_give_leeds_for_leeds_and_nothing_for_neighbourhood_names() -> None:
    with (FEEDS / "leeds-health" / "service_areas.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {row["name"]: service_area_coverage(row) for row in rows}
    assert by_name["Leeds"] == (frozenset({LEEDS}), ())
    for neighbourhood in ("Armley", "Headingley", "City Centre", "Pudsey", "Seacroft"):
        assert by_name[neighbourhood] == (frozenset(), ()), neighbourhood


def test_council_api_service_areas_declare_leeds_by_uri() -> None:
    services = json.loads((FEEDS / "leeds-council" / "services.json").read_text(encoding="utf-8"))
    areas = [area for service in services for area in service.get("service_areas", [])]
    leeds_wide = [area for area in areas if area.get("uri")]
    assert leeds_wide and all(codes(area) == {LEEDS} for area in leeds_wide)


def test_hsds_example_service_area_declares_nothing_usable() -> None:
    """The spec's example: a sentence for a name, "extent" as its GeoJSON, example.com as its uri."""
    for example in ("service_full.json", "service_at_location_full.json"):
        text = (HSDS_EXAMPLES / example).read_text(encoding="utf-8")
        area = _first_service_area(json.loads(text))
        assert area["extent_type"] == "geojson"
        assert service_area_coverage(area) == (frozenset(), ())


def _first_service_area(value: object) -> dict[str, object]:
    if isinstance(value, dict):
        if value.get("service_areas"):
            return dict(value["service_areas"][0])
        for item in value.values():
            try:
                return _first_service_area(item)
            except LookupError:
                continue
    if isinstance(value, list):
        for item in value:
            try:
                return _first_service_area(item)
            except LookupError:
                continue
    raise LookupError("no service_areas")


# --- codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("area", "expected"), [
    ({"name": "Leeds"}, {LEEDS}),
    ({"name": "City of Leeds"}, {LEEDS}),
    ({"name": "Leeds City Council"}, {LEEDS}),
    ({"name": "  LEEDS  "}, {LEEDS}),
    ({"name": "Leeds, Bradford and Wakefield"}, {LEEDS, BRADFORD, WAKEFIELD}),
    ({"name": "Bradford & Wakefield"}, {BRADFORD, WAKEFIELD}),
    ({"name": "Bristol"}, {"E06000023"}),
    ({"name": "Bristol City Council"}, {"E06000023"}),
    ({"name": "Kingston upon Hull"}, {"E06000010"}),
    ({"name": "Hull"}, {"E06000010"}),
    ({"name": "County Durham"}, {"E06000047"}),
    ({"name": "St Helens"}, {"E08000013"}),
    ({"name": "Saint Helens Borough Council"}, {"E08000013"}),
    ({"name": "King's Lynn and West Norfolk"}, {"E07000146"}),
    ({"name": "Brighton and Hove"}, {"E06000043"}),
    ({"name": "London Borough of Camden"}, {"E09000007"}),
    ({"name": "Royal Borough of Greenwich"}, {"E09000011"}),
    ({"name": "City of London"}, {"E09000001"}),
    ({"name": "City of Edinburgh Council"}, {"S12000036"}),
    ({"name": "Glasgow"}, {"S12000049"}),
    ({"name": "Cardiff Council"}, {"W06000015"}),
    ({"name": "Caerdydd"}, {"W06000015"}),
    ({"name": "Ynys Môn"}, {"W06000001"}),
    ({"name": "Belfast"}, {"N09000003"}),
    ({"name": "Sheffield"}, {SHEFFIELD_24, SHEFFIELD_25}),
    ({"name": "England"}, {ENGLAND}),
    ({"name": "England and Wales"}, {ENGLAND, WALES}),
    ({"name": "Scotland"}, {SCOTLAND}),
    ({"name": "Northern Ireland"}, {NORTHERN_IRELAND}),
    ({"name": "Great Britain"}, {ENGLAND, WALES, SCOTLAND}),
    ({"name": "National"}, {EVERYWHERE}),
    ({"name": "UK-wide"}, {EVERYWHERE}),
    ({"name": "United Kingdom"}, {EVERYWHERE}),
    ({"name": "the whole of the UK"}, {EVERYWHERE}),
    ({"uri": "http://statistics.data.gov.uk/id/statistical-geography/E08000035"}, {LEEDS}),
    ({"uri": "https://findthatpostcode.uk/areas/e38000225.json"}, {"E38000225"}),
    ({"name": "West Yorkshire ICB (E54000054)"}, {"E54000054", *WEST_YORKSHIRE_SUB_ICBS}),
    ({"name": "NHS West Yorkshire ICB"}, WEST_YORKSHIRE_SUB_ICBS),
    ({"name": "the West Yorkshire Integrated Care Board area"}, WEST_YORKSHIRE_SUB_ICBS),
    ({"name": "NHS West Yorkshire ICB - 15F"}, {"E38000225"}),
    ({"name": "Leeds and West Yorkshire ICB"}, {LEEDS, *WEST_YORKSHIRE_SUB_ICBS}),
    ({"name": "NHS Staffordshire & Stoke-on-Trent ICS"}, {"E38000028", "E38000053", "E38000126", "E38000153",
                                                            "E38000173", "E38000175"}),
    ({"name": "Cardiff and Vale UHB"}, {"W11000029"}),
    ({"name": "Hywel Dda Health Board"}, {"W11000025"}),
    ({"name": "Cwm Taf Morgannwg", "uri": "https://statistics.gov.wales/W11000031"}, {"W11000031"}),
    ({"description": "Covers E08000016 and E08000019"}, {"E08000016", "E08000038", SHEFFIELD_24, SHEFFIELD_25}),
])
def test_codes_from_codes_and_names(area: dict[str, object], expected: set[str]) -> None:
    assert codes(area) == expected


@pytest.mark.parametrize("name", [
    "Armley",  # a neighbourhood of Leeds, not a local authority
    "Newcastle",  # upon Tyne or under Lyme
    "Richmond",  # upon Thames or Richmondshire
    "London",  # not the City of London
    "West Yorkshire",  # a county, not a local authority (nor an ICB without the word)
    "Leeds ICB",  # no ICB of that name
    "NHS Leeds",
    "Leeds and somewhere else",  # one part unknown: the whole is not understood
    "The service is available to all residents of the MyCity area.",
    "",
    "E08000035X",
])
def test_unrecognised_names_give_no_codes(name: str) -> None:
    assert codes({"name": name}) == frozenset()


def test_every_shipped_local_authority_name_resolves_to_its_own_code() -> None:
    with (DATA / "local_authorities.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 363
    for row in rows:
        for name in filter(None, (row["name"], row["name_welsh"])):
            assert row["code"] in codes({"name": name}), name
    assert local_authority_name(LEEDS) == "Leeds" and local_authority_name(SHEFFIELD_25) == "Sheffield"


def test_every_shipped_icb_sub_icb_and_health_board_name_resolves_to_its_codes() -> None:
    icbs: dict[str, set[str]] = {}
    for filename in ("sicbl22_boundaries.geojson", "lhb20_boundaries.geojson"):
        for feature in json.loads((DATA / filename).read_text(encoding="utf-8"))["features"]:
            name, code = feature["properties"]["name"], feature["properties"]["code"]
            assert codes({"name": name}) == {code}, name
            if " - " in name:
                icbs.setdefault(name.split(" - ")[0], set()).add(code)
    assert len(icbs) == 42
    for icb, sub_icbs in icbs.items():
        assert codes({"name": icb}) == sub_icbs, icb


def test_missing_and_odd_keys_never_raise() -> None:
    assert service_area_coverage({}) == (frozenset(), ())
    assert service_area_coverage({"name": None, "uri": 12, "extent": 3, "extent_type": None}) == (frozenset(), ())


# --- shapes ------------------------------------------------------------------------------------


def test_geojson_polygon_extent_becomes_a_shape_containing_leeds() -> None:
    found = shapes({"name": "Our patch", "extent": json.dumps(LEEDS_SQUARE), "extent_type": "geojson"})
    assert len(found) == 1
    geometry = shapely.from_geojson(found[0])
    assert geometry.contains(shapely.Point(LEEDS_CENTRE.longitude, LEEDS_CENTRE.latitude))


@pytest.mark.parametrize("extent", [
    {"type": "Feature", "properties": {"name": "patch"}, "geometry": LEEDS_SQUARE},
    {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": LEEDS_SQUARE}]},
    {"type": "MultiPolygon", "coordinates": [LEEDS_SQUARE["coordinates"]]},
    {"type": "GeometryCollection", "geometries": [LEEDS_SQUARE, {"type": "Point", "coordinates": [-1.5, 53.8]}]},
])
def test_geojson_wrappers_without_extent_type_are_read(extent: dict[str, object]) -> None:
    found = shapes({"extent": json.dumps(extent)})
    assert len(found) == 1
    assert shapely.from_geojson(found[0]).contains(shapely.Point(-1.55, 53.8))


def test_wkt_extent_is_read() -> None:
    found = shapes({"extent": "POLYGON ((-1.6 53.75, -1.5 53.75, -1.5 53.85, -1.6 53.85, -1.6 53.75))",
                    "extent_type": "wkt"})
    assert len(found) == 1 and shapely.from_geojson(found[0]).contains(shapely.Point(-1.55, 53.8))


@pytest.mark.parametrize(("extent", "extent_type"), [
    ('{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}', "geojson"),  # self-intersecting
    ('{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}', "geojson"),  # too few points
    ('{"type":"Polygon","coordinates":"nonsense"}', "geojson"),
    ('{"type":"Point","coordinates":[-1.5,53.8]}', "geojson"),  # not an area
    ('{"type":"Polygon","coordinates":[[[430000,433000],[431000,433000],[431000,434000],[430000,433000]]]}',
     "geojson"),  # British National Grid metres, not degrees
    ('{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:27700"}},'
     '"coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}', "geojson"),
    ("extent", "geojson"),  # the HSDS example's placeholder
    ("{not json", None),
    ("POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))", "wkt"),  # self-intersecting
    ("POLYGON ((0 0", "wkt"),
    (json.dumps(LEEDS_SQUARE), "kml"),  # a type we do not read
])
def test_invalid_or_unusable_extents_are_ignored(extent: str, extent_type: str | None) -> None:
    assert service_area_coverage({"name": "Leeds", "extent": extent, "extent_type": extent_type}) == \
        (frozenset({LEEDS}), ())


# --- the patient's areas -----------------------------------------------------------------------


def test_point_in_polygon_agrees_with_the_postcodes_own_local_authority() -> None:
    rows = sample(500)
    agreed = sum(row.lad in areas_at(None, GeoPoint(row.latitude, row.longitude))  # type: ignore[arg-type]
                 for row in rows)
    assert agreed / len(rows) >= 0.97, f"{agreed} of {len(rows)}"


def test_welsh_points_get_their_local_authority_from_sector_centroids() -> None:
    rows = sample(200, prefix="CF")
    agreed = sum(local_authority_at(row.latitude, row.longitude) == row.lad for row in rows)
    assert agreed / len(rows) >= 0.9, f"{agreed} of {len(rows)}"


def test_postcode_table_path_is_exact(session: Session) -> None:
    """With the postcode table's local authority the patient's code is the postcode's own."""
    wanted = {row.postcode: row for row in sample(20_000) if row.postcode[:2] in ("LS", "BD", "WF")}
    assert len(wanted) > 100
    found = session.scalars(select(Postcode).where(Postcode.postcode.in_(wanted))).all()
    assert len(found) >= 0.95 * len(wanted)
    for row in found:
        assert wanted[row.postcode].lad in areas_at(session, row, row.local_authority), row.postcode  # type: ignore[arg-type]


def test_leeds_centre_has_leeds_england_its_sub_icb_and_everywhere() -> None:
    found = areas_at(None, LEEDS_CENTRE)  # type: ignore[arg-type]
    assert {LEEDS, ENGLAND, EVERYWHERE} <= found
    assert [code for code in found if code.startswith("E38")] == ["E38000225"]  # NHS West Yorkshire ICB - 15F
    assert not any(code.startswith(("W", "S", "N")) for code in found)


def test_cardiff_has_cardiff_wales_and_its_health_board() -> None:
    found = areas_at(None, CARDIFF_CENTRE)  # type: ignore[arg-type]
    assert {"W06000015", WALES, "W11000029", EVERYWHERE} <= found  # Cardiff and Vale University Health Board
    assert not any(code.startswith("E") for code in found)


def test_edinburgh_and_belfast() -> None:
    assert areas_at(None, EDINBURGH_CASTLE) == {"S12000036", SCOTLAND, EVERYWHERE}  # type: ignore[arg-type]
    assert areas_at(None, BELFAST_CITY_HALL) == {"N09000003", NORTHERN_IRELAND, EVERYWHERE}  # type: ignore[arg-type]


def test_given_local_authority_wins_and_recodes_bring_both_vintages() -> None:
    sheffield = GeoPoint(53.3811, -1.4701)
    found = areas_at(None, sheffield, SHEFFIELD_25)  # type: ignore[arg-type]
    assert {SHEFFIELD_24, SHEFFIELD_25, ENGLAND, EVERYWHERE} <= found
    assert codes({"name": "Sheffield City Council"}) & found
    assert codes({"uri": "E08000019"}) & found


def test_no_point_and_no_code_is_everywhere_only_and_outside_the_uk_too() -> None:
    assert areas_at(None, None) == {EVERYWHERE}  # type: ignore[arg-type]
    assert areas_at(None, GeoPoint(48.8566, 2.3522)) == {EVERYWHERE}  # type: ignore[arg-type]  # Paris
    assert areas_at(None, None, "W06000015") == {"W06000015", WALES, EVERYWHERE}  # type: ignore[arg-type]


def test_service_and_patient_meet_on_a_shared_code() -> None:
    """The point of both functions: a Leeds service reaches a Leeds patient and not a Sheffield one."""
    service = codes({"name": "Leeds", "uri": "http://statistics.data.gov.uk/id/statistical-geography/E08000035"})
    assert service & areas_at(None, LEEDS_CENTRE)  # type: ignore[arg-type]
    assert not service & areas_at(None, GeoPoint(53.3811, -1.4701))  # type: ignore[arg-type]
    assert codes({"name": "England"}) & areas_at(None, LEEDS_CENTRE)  # type: ignore[arg-type]
    west_yorkshire = codes({"name": "West Yorkshire Integrated Care Board"})
    assert west_yorkshire & areas_at(None, LEEDS_CENTRE)  # type: ignore[arg-type]
    assert not west_yorkshire & areas_at(None, GeoPoint(53.3811, -1.4701))  # type: ignore[arg-type]  # Sheffield
    assert codes({"name": "national"}) & areas_at(None, BELFAST_CITY_HALL)  # type: ignore[arg-type]


def test_shipped_data_is_wgs84_and_complete() -> None:
    for name, expected in (("lad24_boundaries.geojson", 328), ("sicbl22_boundaries.geojson", 106),
                           ("lhb20_boundaries.geojson", 7)):
        data = json.loads(Path(DATA / name).read_text(encoding="utf-8"))
        assert len(data["features"]) == expected
        geometries = shapely.from_geojson([json.dumps(f["geometry"]) for f in data["features"]])
        assert all(shapely.is_valid(geometries))
        min_x, min_y, max_x, max_y = shapely.total_bounds(geometries)
        assert -9 < min_x < max_x < 2 and 49 < min_y < max_y < 61
