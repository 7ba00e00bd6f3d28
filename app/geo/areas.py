"""Which areas a service covers, and which areas a patient is in: both as ONS area codes.

Coverage is decided by sharing a code (the search contract, ``app.search.backend``): a
service declares codes through its HSDS ``service_area`` rows (``service_area_coverage``),
a patient gets the codes of where they are (``areas_at``), and the search matches a
service when the two share one, or when one of the service's shapes contains the patient.
Both sides therefore use the same codes:

- local authorities (E06/E07/E08/E09 England, W06 Wales, S12 Scotland, N09 Northern
  Ireland). The postcode table holds LAD25 codes, the shipped names and boundaries are
  LAD24; the two differ only for Barnsley and Sheffield, so either code brings the other;
- NHS sub-ICB locations (E38) and Welsh local health boards (W11). An ICB named in a service
  area ("NHS West Yorkshire ICB", "West Yorkshire Integrated Care Board") stands for its sub-ICB
  locations, which the shipped boundaries name after it ("NHS West Yorkshire ICB - 15F", July
  2022). An ICB code (E54) is kept but reaches no patient: no ICB codes or boundaries are
  shipped, so a patient is never given one;
- countries (E92/W92/S92/N92), and ``EVERYWHERE`` for the whole UK.

Boundaries (``app/geo/data``, built by ``scripts/make_geo_data.py``; OGL, see its README)
are loaded once per process on first use, indexed with an STRtree and prepared, so a
point lookup costs microseconds.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import shapely  # type: ignore[import-untyped]
from shapely.geometry import shape  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from app.geo.distance import haversine_m
from app.search.backend import EVERYWHERE

DATA = Path(__file__).resolve().parent / "data"

ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND = "E92000001", "W92000004", "S92000003", "N92000002"
COUNTRY_BY_PREFIX = {"E": ENGLAND, "W": WALES, "S": SCOTLAND, "N": NORTHERN_IRELAND}
# LAD24 -> LAD25 recodes; a code of either vintage is treated as both.
RECODES = {"E08000016": "E08000038", "E08000019": "E08000039"}
ALIASES = {**RECODES, **{new: old for old, new in RECODES.items()}}

# ONS codes a service area may name: local authorities, sub-ICB locations, ICBs, Welsh health
# boards, countries. Other ONS entities (wards, counties, regions) are not matched: a patient
# is never given them, so declaring them could only hide a service.
_CODE = re.compile(r"(?<![A-Za-z0-9])((?:E0[6-9]|W06|S12|N09|E38|E54|W11|E92|W92|S92|N92)\d{6})(?![A-Za-z0-9])",
                   re.IGNORECASE)

_WHOLE_UK = frozenset({EVERYWHERE})
_GREAT_BRITAIN = frozenset({ENGLAND, WALES, SCOTLAND})
_PLACES: dict[str, frozenset[str]] = {
    "england": frozenset({ENGLAND}),
    "wales": frozenset({WALES}),
    "cymru": frozenset({WALES}),
    "scotland": frozenset({SCOTLAND}),
    "northern ireland": frozenset({NORTHERN_IRELAND}),
    "great britain": _GREAT_BRITAIN,
    "britain": _GREAT_BRITAIN,
    "uk": _WHOLE_UK,
    "united kingdom": _WHOLE_UK,
    "national": _WHOLE_UK,
    "nationwide": _WHOLE_UK,
    "nationally": _WHOLE_UK,
    "everywhere": _WHOLE_UK,
    "whole uk": _WHOLE_UK,
    "all uk": _WHOLE_UK,
    "hull": frozenset({"E06000010"}),  # Kingston upon Hull's everyday name
}
# Stripped from the ends of a name, longest first, until it matches: "Leeds City Council",
# "City of Leeds", "London Borough of Camden", "the whole of England", "UK-wide".
_PREFIXES = ("residents of ", "people living in ", "people in ", "anyone in ", "anywhere in ", "across ",
             "covering ", "the whole of ", "whole of ", "all of ", "all ", "the ", "city and county of ",
             "city of ", "county of ", "county ", "royal borough of ", "london borough of ", "metropolitan borough of ",
             "county borough of ", "borough of ", "cyngor ", "dinas a sir ", "sir ")
_SUFFIXES = (" metropolitan borough council", " metropolitan district council", " county borough council",
             " city and district council", " city council", " borough council", " district council",
             " county council", " council", " unitary authority", " local authority", " city", " district",
             " borough", " county", " area", " region", " wide", " only", " residents")
_SEPARATORS = re.compile(r"\s*(?:,|;|/|\band\b|\+)\s*")
# Never a key for a single local authority: "London" is not the City of London.
_NOT_AN_AUTHORITY = frozenset({"london"})


class HasLocation(Protocol):
    """Anything with WGS84 coordinates: ``app.search.backend.GeoPoint``, ``app.geo.place.Place``."""

    @property
    def latitude(self) -> float: ...

    @property
    def longitude(self) -> float: ...


# --- service areas ----------------------------------------------------------------------------


def service_area_coverage(area: Mapping[str, Any]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(area codes, GeoJSON geometries in WGS84) declared by one HSDS ``service_area`` row.

    Codes come from ONS codes in ``uri``, ``name`` or ``description``, and from ``name`` as a
    local-authority, country or "national" name; shapes from a GeoJSON (or WKT) ``extent``.
    Anything unrecognised, ambiguous or invalid yields nothing (never an exception): a service
    whose areas say nothing usable has no declared coverage.
    """
    codes: set[str] = set()
    for key in ("uri", "name", "description"):
        value = area.get(key)
        if isinstance(value, str):
            codes.update(match.upper() for match in _CODE.findall(value))
    name = area.get("name")
    if isinstance(name, str):
        codes.update(codes_for_name(name))
    return with_aliases(codes), extent_shapes(area.get("extent"), area.get("extent_type"))


def codes_for_name(text: str) -> frozenset[str]:
    """The codes a place name stands for: a local authority ("Leeds", "City of Leeds", "Leeds
    City Council"), several ("Leeds, Bradford and Wakefield"), a country, or the whole UK;
    empty when any part is unknown or names more than one local authority."""
    words = _words(text)
    if not words:
        return frozenset()
    found = _lookup(words)
    if found is not None:
        return found
    parts = [part for part in _SEPARATORS.split(words) if part]
    if len(parts) < 2:
        return frozenset()
    union: set[str] = set()
    for part in parts:
        codes = _lookup(part)
        if codes is None:
            return frozenset()
        union |= codes
    return frozenset(union)


def extent_shapes(extent: Any, extent_type: Any = None) -> tuple[str, ...]:
    """Valid polygonal GeoJSON geometries (WGS84, as strings) in an HSDS ``extent``.

    ``extent_type`` "geojson" (or none, when the extent parses as GeoJSON) reads a Polygon,
    MultiPolygon, Feature, FeatureCollection or GeometryCollection; "wkt" reads WKT. Invalid,
    empty or non-WGS84 geometries, points and lines are left out.
    """
    kind = extent_type.strip().lower() if isinstance(extent_type, str) else ""
    if isinstance(extent, Mapping):
        geometries = _geojson_geometries(extent)
    elif not isinstance(extent, str) or not extent.strip():
        return ()
    elif kind == "wkt":
        geometries = _wkt_geometry(extent)
    elif kind in ("", "geojson", "geo+json", "application/geo+json", "application/vnd.geo+json"):
        try:
            parsed = json.loads(extent)
        except ValueError:
            return ()
        geometries = _geojson_geometries(parsed) if isinstance(parsed, Mapping) else []
    else:
        return ()
    return tuple(dict.fromkeys(shapely.to_geojson(geometry) for geometry in geometries if _usable(geometry)))


def with_aliases(codes: Iterable[str]) -> frozenset[str]:
    """The codes with the other vintage of any recoded local authority added."""
    codes = set(codes)
    return frozenset(codes | {ALIASES[code] for code in codes if code in ALIASES})


def _geojson_geometries(value: Mapping[str, Any]) -> list[BaseGeometry]:
    kind = value.get("type")
    if kind == "Feature":
        geometry = value.get("geometry")
        return _geojson_geometries(geometry) if isinstance(geometry, Mapping) else []
    if kind == "FeatureCollection":
        features = value.get("features")
        return [g for f in features if isinstance(f, Mapping) for g in _geojson_geometries(f)] \
            if isinstance(features, list) else []
    if kind == "GeometryCollection":
        members = value.get("geometries")
        return [g for m in members if isinstance(m, Mapping) for g in _geojson_geometries(m)] \
            if isinstance(members, list) else []
    if kind not in ("Polygon", "MultiPolygon") or _declares_other_crs(value):
        return []
    try:
        return [shape(value)]
    except Exception:  # shapely raises several types on malformed coordinates
        return []


def _declares_other_crs(value: Mapping[str, Any]) -> bool:
    """Whether an old-style GeoJSON ``crs`` member names something other than WGS84 lon/lat."""
    crs = value.get("crs")
    if not isinstance(crs, Mapping):
        return False
    name = str((crs.get("properties") or {}).get("name", ""))
    return not (name.endswith(("CRS84", "4326")) or not name)


def _wkt_geometry(text: str) -> list[BaseGeometry]:
    try:
        geometry = shapely.from_wkt(text.strip())
    except Exception:  # shapely.errors.ShapelyError and friends
        return []
    if geometry is None:
        return []
    if geometry.geom_type == "GeometryCollection":
        return [part for part in geometry.geoms if part.geom_type in ("Polygon", "MultiPolygon")]
    return [geometry] if geometry.geom_type in ("Polygon", "MultiPolygon") else []


def _usable(geometry: BaseGeometry) -> bool:
    """Non-empty, valid, and inside longitude/latitude bounds (not eastings and northings)."""
    if geometry.is_empty or not geometry.is_valid:
        return False
    min_x, min_y, max_x, max_y = (float(value) for value in geometry.bounds)
    return -180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90


# --- names ------------------------------------------------------------------------------------


def _words(text: str) -> str:
    """Lower-case ASCII words: "St. Helens" -> "st helens", "Ynys Môn" -> "ynys mon"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"['\u2019`]", "", text).replace("&", " and ")
    words = re.sub(r"[^a-z0-9,;/+]+", " ", text).split()
    return " ".join("st" if word == "saint" else word for word in words)


def _lookup(words: str) -> frozenset[str] | None:
    """Codes for one name (after stripping affixes), None when unknown or ambiguous."""
    health = _health_area(words)
    if health is not None:
        return health
    names = _authority_names()
    candidate = " ".join(re.sub(r"[,;/+]", " ", words).split())
    seen: set[str] = set()
    while candidate and candidate not in seen:
        seen.add(candidate)
        if candidate in _PLACES:
            return _PLACES[candidate]
        if candidate in names:
            codes = names[candidate]
            return with_aliases(codes) if len(codes) == 1 else None
        candidate = _strip_affix(candidate)
    return None


def _strip_affix(words: str) -> str:
    for prefix in _PREFIXES:
        if words.startswith(prefix):
            return words[len(prefix):]
    for suffix in _SUFFIXES:
        if words.endswith(suffix):
            return words[:-len(suffix)]
    return words


@cache
def _authority_names() -> dict[str, frozenset[str]]:
    """Name key -> LAD24 codes, from each English and Welsh name with its affixes stripped
    ("Bristol, City of" -> "bristol city of", "city of bristol", "bristol")."""
    keys: dict[str, set[str]] = {}
    for code, (name, welsh) in _authorities().items():
        if code in RECODES.values():
            continue  # the LAD24 row of the same authority carries the names
        for label in filter(None, (name, welsh)):
            variants = {_words(label)}
            head, _, tail = label.partition(",")
            if tail:
                variants.add(_words(f"{tail} {head}"))
                variants.add(_words(head))
            for variant in list(variants):
                stripped = variant
                while (shorter := _strip_affix(stripped)) != stripped:
                    stripped = shorter
                    variants.add(stripped)
            for variant in variants - _NOT_AN_AUTHORITY:
                keys.setdefault(variant.replace(",", ""), set()).add(code)
    return {key: frozenset(codes) for key, codes in keys.items()}


# Words that make a name a health area's: ICB, integrated care board or system, health board.
_HEALTH_MARKER = re.compile(r"\b(?:icb|ics|integrated care (?:board|system)|(?:university |teaching )?health board"
                            r"|[lu]hb)\b")


def _health_area(words: str) -> frozenset[str] | None:
    """The codes of an ICB (its sub-ICB locations), a sub-ICB location or a Welsh health board
    named by ``words`` with one of the marker words; None for any other name."""
    if not _HEALTH_MARKER.search(words):
        return None
    return _health_area_names().get(_health_key(words))


def _health_key(words: str) -> str:
    """"nhs west yorkshire icb" and "the west yorkshire integrated care board area" -> "west
    yorkshire"; a sub-ICB keeps its suffix: "nhs west yorkshire icb 15f" -> "west yorkshire 15f"."""
    words = _CODE.sub(" ", _HEALTH_MARKER.sub(" ", re.sub(r"[,;/+]", " ", words)))
    kept = [word for word in words.split() if word not in ("nhs", "the")]
    key = " ".join(kept)
    while (shorter := _strip_affix(key).strip()) != key:
        key = shorter
    return key


@cache
def _health_area_names() -> dict[str, frozenset[str]]:
    """Health-area key -> codes: each ICB (the sub-ICB locations named after it), each sub-ICB
    location by its full name, each Welsh health board."""
    keys: dict[str, set[str]] = {}
    for filename in (SUB_ICB_BOUNDARIES, HEALTH_BOARD_BOUNDARIES):
        layer = _layer(filename)
        for code, name in zip(layer.codes, layer.names, strict=True):
            keys.setdefault(_health_key(_words(name)), set()).add(code)
            icb, _, sub_icb = name.partition(" - ")  # "NHS West Yorkshire ICB - 15F"
            if sub_icb:
                keys.setdefault(_health_key(_words(icb)), set()).add(code)
    return {key: frozenset(codes) for key, codes in keys.items()}


@cache
def _authorities() -> dict[str, tuple[str, str]]:
    """Code -> (name, Welsh name or "") for every UK local authority, both vintages."""
    with (DATA / "local_authorities.csv").open(newline="", encoding="utf-8") as handle:
        return {row["code"]: (row["name"], row["name_welsh"]) for row in csv.DictReader(handle)}


def local_authority_name(code: str) -> str | None:
    """"E08000035" -> "Leeds"; None for an unknown code."""
    found = _authorities().get(code)
    return found[0] if found else None


# --- where a point is -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """Polygons with their codes and names, indexed for point lookups."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    geometries: Any  # numpy array of prepared shapely geometries
    tree: shapely.STRtree

    @classmethod
    def load(cls, filename: str) -> _Layer:
        data = json.loads((DATA / filename).read_text(encoding="utf-8"))
        codes = tuple(feature["properties"]["code"] for feature in data["features"])
        names = tuple(feature["properties"]["name"] for feature in data["features"])
        geometries = shapely.from_geojson([json.dumps(feature["geometry"]) for feature in data["features"]])
        shapely.prepare(geometries)
        return cls(codes, names, geometries, shapely.STRtree(geometries))

    def at(self, latitude: float, longitude: float) -> str | None:
        """The code of the polygon covering the point (the lowest code on a shared border)."""
        candidates = self.tree.query(shapely.Point(longitude, latitude))
        hits = [self.codes[i] for i in candidates
                if shapely.intersects_xy(self.geometries[i], longitude, latitude)]
        return min(hits) if hits else None


@cache
def _layer(filename: str) -> _Layer:
    return _Layer.load(filename)


# Longitude degrees are shorter than latitude degrees: scale them (at Britain's middle latitude)
# so that "nearest" in the index is nearest on the ground.
_LONGITUDE_SCALE = math.cos(math.radians(54.0))


@dataclass(frozen=True)
class _Centroids:
    """Labelled points with an index for nearest lookups."""

    codes: tuple[str, ...]
    latitudes: tuple[float, ...]
    longitudes: tuple[float, ...]
    tree: shapely.STRtree

    @classmethod
    def build(cls, rows: list[tuple[str, float, float]]) -> _Centroids:
        codes, latitudes, longitudes = zip(*rows, strict=True) if rows else ((), (), ())
        points = shapely.points([lon * _LONGITUDE_SCALE for lon in longitudes], list(latitudes))
        return cls(tuple(codes), tuple(latitudes), tuple(longitudes), shapely.STRtree(points))

    def nearest(self, latitude: float, longitude: float, within_m: float = math.inf) -> str | None:
        """The code of the nearest point, if it lies within ``within_m`` metres."""
        index = self.tree.nearest(shapely.Point(longitude * _LONGITUDE_SCALE, latitude))
        if index is None:
            return None
        i = int(index)
        return self.codes[i] if haversine_m(latitude, longitude, self.latitudes[i], self.longitudes[i]) <= within_m \
            else None


@cache
def _sector_points(country_prefix: str = "") -> _Centroids:
    """Postcode-sector centroids labelled with their local authority (of one country, or all)."""
    with (DATA / "gb_sector_centroids.csv").open(newline="", encoding="utf-8") as handle:
        return _Centroids.build([(row["lad"], float(row["lat"]), float(row["lon"]))
                                 for row in csv.DictReader(handle) if row["lad"].startswith(country_prefix or "")
                                 and row["lad"]])


@cache
def _northern_ireland_points() -> _Centroids:
    """Label points of Northern Ireland's eleven districts."""
    with (DATA / "local_authorities.csv").open(newline="", encoding="utf-8") as handle:
        return _Centroids.build([(row["code"], float(row["lat"]), float(row["lon"]))
                                 for row in csv.DictReader(handle) if row["code"].startswith("N09")])


LAD_BOUNDARIES = "lad24_boundaries.geojson"
SUB_ICB_BOUNDARIES = "sicbl22_boundaries.geojson"
HEALTH_BOARD_BOUNDARIES = "lhb20_boundaries.geojson"
SECTOR_FALLBACK_M = 5_000.0  # points just outside a generalised English or Scottish coast
NORTHERN_IRELAND_FALLBACK_M = 30_000.0  # NI: nearest district label point, a rough guess


def local_authority_at(latitude: float, longitude: float) -> str | None:
    """The local authority (ONS code) at a WGS84 point, or None outside the UK.

    England and Scotland: the shipped 500 m-generalised boundaries, else (just off a
    generalised coast) the local authority of the nearest postcode-sector centroid within
    5 km. Wales, whose boundaries are not shipped: the nearest Welsh sector centroid of a
    point inside a Welsh health board. Northern Ireland (no sectors, no boundaries): the
    nearest district label point within 30 km. A postcode's own local authority (the
    postcode table) is always better: this is for coordinates.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    found = _layer(LAD_BOUNDARIES).at(latitude, longitude)
    if found is None and _layer(HEALTH_BOARD_BOUNDARIES).at(latitude, longitude) is not None:
        found = _sector_points("W").nearest(latitude, longitude)
    return (found
            or _sector_points().nearest(latitude, longitude, SECTOR_FALLBACK_M)
            or _northern_ireland_points().nearest(latitude, longitude, NORTHERN_IRELAND_FALLBACK_M))


def areas_at(session: Session, point: HasLocation | None, la_code: str | None = None) -> frozenset[str]:
    """The patient's area codes: local authority, country, sub-ICB (England) or health board
    (Wales), and always ``EVERYWHERE``.

    ``la_code`` is the postcode table's local authority when the patient gave a postcode;
    without it the local authority comes from ``point`` (``local_authority_at``). ``session``
    is part of the signature so that callers need not change when lookups move into the
    database (PostGIS); the shipped boundaries need none.
    """
    del session
    codes = {EVERYWHERE}
    latitude = longitude = math.nan
    if point is not None:
        latitude, longitude = float(point.latitude), float(point.longitude)
    located = math.isfinite(latitude) and math.isfinite(longitude)
    if la_code is None and located:
        la_code = local_authority_at(latitude, longitude)
    country = COUNTRY_BY_PREFIX.get(la_code[:1]) if la_code else None
    if la_code:
        codes |= with_aliases({la_code})
    if country:
        codes.add(country)
    # NHS areas by point, in the patient's country only (generalised borders overlap a little).
    if located and country in (ENGLAND, None):
        sub_icb = _layer(SUB_ICB_BOUNDARIES).at(latitude, longitude)
        if sub_icb:
            codes |= {sub_icb, ENGLAND}
    if located and country in (WALES, None):
        board = _layer(HEALTH_BOARD_BOUNDARIES).at(latitude, longitude)
        if board:
            codes |= {board, WALES}
    return frozenset(codes)


def warm() -> None:
    """Load every boundary and index now (e.g. in a worker before it serves), not on first use."""
    for filename in (LAD_BOUNDARIES, SUB_ICB_BOUNDARIES, HEALTH_BOARD_BOUNDARIES):
        _layer(filename)
    _sector_points()
    _sector_points("W")
    _northern_ireland_points()
    _authority_names()
