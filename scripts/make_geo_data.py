"""Build the geographic reference files shipped in ``app/geo/data`` from ``../shared/data/geo``.

Reproducible: run ``python scripts/make_geo_data.py`` (optionally ``--source DIR``) and the
same inputs give byte-identical outputs. What it writes, and why:

- ``local_authorities.csv``: code, English and Welsh name, ONS label point of every UK local
  authority (LAD May 2024), plus the two LAD25 recodes (Barnsley, Sheffield) as extra rows, so
  a name or a code of either vintage is recognised.
- ``lad24_boundaries.geojson``: English and Scottish local-authority polygons (500 m
  generalised), coordinates rounded to 5 decimals (about 1 m).
- ``sicbl22_boundaries.geojson`` and ``lhb20_boundaries.geojson``: NHS sub-ICB locations
  (England) and local health boards (Wales), converted once from British National Grid to
  WGS84 here, so the app needs no projection at run time; rounded to 5 decimals and
  simplified by 10 m (far below the size of a postcode) to keep the files small.
- ``gb_sector_centroids.csv``: postcode sector centroids, rounded to 5 decimals.

Source licences and attribution: ``app/geo/data/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import shapely  # type: ignore[import-untyped]
from pyproj import Transformer
from shapely import make_valid, set_precision  # type: ignore[import-untyped]
from shapely.geometry import MultiPolygon, mapping, shape  # type: ignore[import-untyped]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "geo"
TARGET = ROOT / "app" / "geo" / "data"
DECIMALS = 5
SIMPLIFY_METRES = 10.0
# LAD25 recodes (the postcode table uses LAD25 codes; the boundaries and names are LAD24).
RECODES = {"E08000016": "E08000038", "E08000019": "E08000039"}


def _round(value: Any) -> Any:
    """Round nested coordinate lists to DECIMALS."""
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, (list, tuple)):
        return [_round(item) for item in value]
    return value


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """A valid geometry keeping only its polygons (make_valid can add stray lines or points)."""
    geometry = make_valid(geometry)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    polygons = [polygon for part in getattr(geometry, "geoms", ())
                for polygon in (part.geoms if part.geom_type == "MultiPolygon" else [part])
                if polygon.geom_type == "Polygon"]
    return MultiPolygon(polygons)


def _write_features(path: Path, features: list[tuple[dict[str, str], BaseGeometry]]) -> None:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": _round(mapping(geometry))}
        for properties, geometry in features
    ]}
    path.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")


def local_authorities(source: Path, target: Path) -> int:
    with (source / "lad24_uk_names_codes_centroids.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["LAD24CD"])
    out: list[list[str]] = []
    for row in rows:
        welsh = row["LAD24NMW"].strip()
        point = [f"{float(row['LAT']):.{DECIMALS}f}", f"{float(row['LONG']):.{DECIMALS}f}"]
        base = [row["LAD24NM"].strip(), welsh, *point]
        out.append([row["LAD24CD"], *base])
        if row["LAD24CD"] in RECODES:
            out.append([RECODES[row["LAD24CD"]], *base])
    with (target / "local_authorities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name", "name_welsh", "lat", "lon"])
        writer.writerows(sorted(out))
    return len(out)


def lad_boundaries(source: Path, target: Path) -> int:
    data = json.loads((source / "lad24_boundaries_england_scotland_buc.geojson").read_text(encoding="utf-8"))
    features = [({"code": f["properties"]["lad24cd"], "name": f["properties"]["lad24nm"]},
                 _polygonal(set_precision(shape(f["geometry"]), 10 ** -DECIMALS)))
                for f in sorted(data["features"], key=lambda f: f["properties"]["lad24cd"])]
    _write_features(target / "lad24_boundaries.geojson", features)
    return len(features)


def _from_grid(source: Path, name: str, code: str, label: str) -> list[tuple[dict[str, str], BaseGeometry]]:
    data = json.loads((source / name).read_text(encoding="utf-8"))
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform
    features = []
    for feature in sorted(data["features"], key=lambda f: f["properties"][code]):
        grid = shape(feature["geometry"]).simplify(SIMPLIFY_METRES, preserve_topology=True)
        wgs84 = shapely.transform(grid, lambda x, y: to_wgs84(x, y), interleaved=False)
        geometry = _polygonal(set_precision(wgs84, 10 ** -DECIMALS))
        features.append(({"code": feature["properties"][code], "name": feature["properties"][label]}, geometry))
    return features


def nhs_boundaries(source: Path, target: Path) -> tuple[int, int]:
    sub_icbs = _from_grid(source, "sicbl22_england_epsg27700.geojson", "SICBL22CD", "SICBL22NM")
    _write_features(target / "sicbl22_boundaries.geojson", sub_icbs)
    boards = _from_grid(source, "lhb20_wales_epsg27700.geojson", "LHB20CD", "LHB20NM")
    _write_features(target / "lhb20_boundaries.geojson", boards)
    return len(sub_icbs), len(boards)


def sector_centroids(source: Path, target: Path) -> int:
    with (source / "gb_sector_centroids.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (target / "gb_sector_centroids.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["sector", "lat", "lon", "n_postcodes", "lad"])
        for row in rows:
            writer.writerow([row["sector"], f"{float(row['lat']):.{DECIMALS}f}", f"{float(row['lon']):.{DECIMALS}f}",
                             row["n_postcodes"], row["lad"]])
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder holding the shared geo data")
    parser.add_argument("--target", type=Path, default=TARGET, help="app/geo/data")
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    counts = {
        "local_authorities": local_authorities(args.source, args.target),
        "lad24_boundaries": lad_boundaries(args.source, args.target),
        "sicbl22_lhb20_boundaries": nhs_boundaries(args.source, args.target),
        "gb_sector_centroids": sector_centroids(args.source, args.target),
    }
    sizes = {path.name: path.stat().st_size for path in sorted(args.target.iterdir()) if path.is_file()}
    print(json.dumps({"rows": counts, "bytes": sizes}, indent=2))


if __name__ == "__main__":
    main()
