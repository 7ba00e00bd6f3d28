"""The SQL search index (``app.search.sql``): one row per ``SearchDocument`` plus side tables.

These are derived tables: ``waymark search reindex`` can always rebuild them from the golden
records, so they carry no foreign keys to HSDS tables and are written in bulk.

Each dialect adds its own index structures with raw DDL in migration 0005, because they are
not portable SQLAlchemy types: on SQLite an FTS5 table and an R*Tree of coverage shapes, on
PostgreSQL a GIN index over a generated ``tsvector`` column and a companion table of PostGIS
geometries for coverage shapes. Points need neither: they are portable columns (unit-sphere
x, y, z and a grid cell) with a covering B-tree index. ``RAW_DDL`` lists
them so the migration/model comparison (and autogenerate) can leave them alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime


class SearchEntry(Base):
    """One indexed document. ``entry`` is a compact integer key for the side tables and the FTS5
    rowid; ``id`` is the document id the API returns."""

    __tablename__ = "search_entry"

    entry: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    location_id: Mapped[str | None] = mapped_column(String(64))
    organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    last_modified: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    name_text: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    at_location: Mapped[bool] = mapped_column(Boolean, default=False)  # location_id is not None
    # The point on the unit sphere (``sql_rows.unit_vector``) and its grid cell (``sql_rows.cell``):
    # a radius is a few ranges of cells and an exact squared-chord test, nearest first is the
    # ascending squared chord. NULL without coordinates.
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    cell: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_search_entry_name_id", "name", "id"),
        # Covering for radius counts: the cell ranges, the exact test and the filters kept on
        # the entry row are answered from the index alone (no visit to the wide rows).
        Index("ix_search_entry_cell", "cell", "x", "y", "z", "at_location", "free", "minimum_age", "maximum_age",
              "service_id", "entry"),
    )


class SearchCell(Base):
    """How many entries at a location each grid cell holds (``search_entry.cell``), kept by the
    dialects' ``write`` and ``forget`` in the same transaction as the entries. The exact count of
    a radius then sums the cells wholly inside the circle and tests entries one by one only in
    the cells its edge crosses (``app.search.sql_query.cell_count``): a 16 km radius in a city
    holds tens of thousands of entries but a few hundred edge cells."""

    __tablename__ = "search_cell"

    cell: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    located: Mapped[int] = mapped_column(Integer)  # entries with at_location and this cell


class SearchTag(Base):
    """A value a filter matches exactly: ``term:<id>``, ``taxonomy:<id>``, ``lang:pl``,
    ``delivery:online``, ``area:E08000035``. The (tag, entry) key answers "entries with any
    of these tags" and "does this entry have one of them" from the index alone."""

    __tablename__ = "search_tag"

    tag: Mapped[str] = mapped_column(String(255), primary_key=True)
    entry: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    # The entry's grid cell (``search_entry.cell``; NULL without coordinates): with (tag, cell),
    # "tagged and within this radius" reads the tagged entries of the circle's cells only, not
    # every tagged entry in the country (``app.search.sql_query``).
    cell: Mapped[int | None] = mapped_column(Integer)
    # The entry's ``at_location``: with the partial (tag, entry) index of the entries at a location,
    # "tagged, one row per service at a location" (coverage codes on /service_at_locations) reads
    # those entries only, not every tagged entry to drop the services without a location.
    at_location: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_search_tag_tag_cell", "tag", "cell", "entry"),
                      Index("ix_search_tag_located", "tag", "entry", sqlite_where=text("at_location"),
                            postgresql_where=text("at_location")))


class SearchOpen(Base):
    """One weekly open interval of an entry (``app.search.opening.OpenInterval``). Dates are
    day numbers (days since 1970-01-01) so both dialects do the same integer arithmetic."""

    __tablename__ = "search_open"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[int | None] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    nth: Mapped[int | None] = mapped_column(Integer)
    every: Mapped[int] = mapped_column(Integer, default=1)
    anchor: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_search_open_entry_start", "entry", "start"),)


class SearchShape(Base):
    """A coverage polygon of an entry (GeoJSON, WGS84). Its spatial index is dialect DDL: an
    R*Tree of bounding boxes (SQLite) or a PostGIS geometry with GiST (PostgreSQL)."""

    __tablename__ = "search_shape"

    shape: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry: Mapped[int] = mapped_column(Integer, index=True)
    geojson: Mapped[str] = mapped_column(Text)


# Objects migration 0005 creates with raw DDL (see the module docstring), by kind.
RAW_DDL_TABLES = ("search_fts", "search_shape_rtree", "search_shape_geom")
RAW_DDL_COLUMNS = {("search_entry", "tsv")}
RAW_DDL_INDEXES = {"ix_search_entry_tsv", "ix_search_entry_region_tsv"}  # the second: migration 0007


def is_raw_ddl(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Whether a reflected object belongs to the raw DDL above (FTS5/R*Tree shadow tables included)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == table or name.startswith(table + "_") for table in RAW_DDL_TABLES)
    if type_ == "column":
        return (parent_names.get("table_name"), name) in RAW_DDL_COLUMNS
    if type_ == "index":
        return name in RAW_DDL_INDEXES
    return False


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic ``include_name`` hook: compare and autogenerate everything but the raw DDL."""
    return not is_raw_ddl(name, type_, parent_names)
