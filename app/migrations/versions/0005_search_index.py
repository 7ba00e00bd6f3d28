"""search index: search_entry with tag, opening and shape side tables; FTS5/R*Tree or tsvector/PostGIS

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00.000000

The portable tables follow ``app.models.search``. The spatial and full-text structures are
dialect DDL (listed in ``app.models.search.RAW_DDL_*`` so model comparison skips them):

- SQLite: ``search_fts``, an FTS5 index over search_entry's text (external content, so the
  text is stored once; tokens arrive pre-analysed, hence plain unicode61) and
  ``search_shape_rtree`` (coverage shape bounding boxes).
- PostgreSQL: a generated ``tsv`` column (name weight A, body weight B, config 'simple') with
  GIN; ``search_shape_geom`` holding coverage shapes as PostGIS geometries with GiST.

Points are portable: search_entry's unit-sphere x, y, z and grid cell, with the covering
index ``ix_search_entry_cell`` (``app.search.sql_query`` turns a radius into cell ranges).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(name_text, body_text, content='search_entry', "
    "content_rowid='entry', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_shape_rtree USING rtree(shape, min_lat, max_lat, min_lon, max_lon)",
)
POSTGRESQL = (
    "ALTER TABLE search_entry ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(setweight(to_tsvector('simple', name_text), 'A') || setweight(to_tsvector('simple', body_text), 'B')) STORED",
    "CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv)",
    "CREATE TABLE search_shape_geom (shape integer PRIMARY KEY, entry integer NOT NULL, "
    "geom geometry(Geometry, 4326) NOT NULL)",
    "CREATE INDEX ix_search_shape_geom_geom ON search_shape_geom USING gist (geom)",
)


def upgrade() -> None:
    op.create_table('search_entry',
    sa.Column('entry', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=True),
    sa.Column('organization_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('last_modified', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('minimum_age', sa.Integer(), nullable=True),
    sa.Column('maximum_age', sa.Integer(), nullable=True),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.Column('name_text', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('at_location', sa.Boolean(), nullable=False),
    sa.Column('x', sa.Float(), nullable=True),
    sa.Column('y', sa.Float(), nullable=True),
    sa.Column('z', sa.Float(), nullable=True),
    sa.Column('cell', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('entry', name=op.f('pk_search_entry')),
    sa.UniqueConstraint('id', name=op.f('uq_search_entry_id'))
    )
    op.create_index('ix_search_entry_cell', 'search_entry', ['cell', 'x', 'y', 'z', 'at_location', 'free',
                    'minimum_age', 'maximum_age', 'service_id', 'entry'], unique=False)
    op.create_index('ix_search_entry_name_id', 'search_entry', ['name', 'id'], unique=False)
    op.create_index(op.f('ix_search_entry_organization_id'), 'search_entry', ['organization_id'], unique=False)
    op.create_index(op.f('ix_search_entry_service_id'), 'search_entry', ['service_id'], unique=False)
    op.create_table('search_open',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Integer(), nullable=True),
    sa.Column('valid_to', sa.Integer(), nullable=True),
    sa.Column('nth', sa.Integer(), nullable=True),
    sa.Column('every', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_open'))
    )
    op.create_index('ix_search_open_entry_start', 'search_open', ['entry', 'start'], unique=False)
    op.create_table('search_shape',
    sa.Column('shape', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry', sa.Integer(), nullable=False),
    sa.Column('geojson', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('shape', name=op.f('pk_search_shape'))
    )
    op.create_index(op.f('ix_search_shape_entry'), 'search_shape', ['entry'], unique=False)
    op.create_table('search_tag',
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('entry', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tag', 'entry', name=op.f('pk_search_tag'))
    )
    op.create_index(op.f('ix_search_tag_entry'), 'search_tag', ['entry'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in ("search_shape_rtree", "search_fts"):
            op.execute(f"DROP TABLE {table}")
    elif dialect == "postgresql":
        op.execute("DROP TABLE search_shape_geom")
    op.drop_index(op.f('ix_search_tag_entry'), table_name='search_tag')
    op.drop_table('search_tag')
    op.drop_index(op.f('ix_search_shape_entry'), table_name='search_shape')
    op.drop_table('search_shape')
    op.drop_index('ix_search_open_entry_start', table_name='search_open')
    op.drop_table('search_open')
    op.drop_index(op.f('ix_search_entry_service_id'), table_name='search_entry')
    op.drop_index(op.f('ix_search_entry_organization_id'), table_name='search_entry')
    op.drop_index('ix_search_entry_name_id', table_name='search_entry')
    op.drop_index('ix_search_entry_cell', table_name='search_entry')
    op.drop_table('search_entry')
