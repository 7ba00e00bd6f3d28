"""search speed: per-cell counts of located entries (search_cell); search_tag.cell with a (tag, cell) index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:00:00.000000

``search_cell`` holds, per grid cell of ``search_entry.cell``, how many entries at a location
it has (``app.models.search.SearchCell``). The exact count of a nearest-first search over a
wide radius then sums whole cells and tests single entries only where the circle's edge
crosses a cell. ``search_tag.cell`` repeats the entry's cell so that a tag filter within a
radius reads only the tagged entries of the circle's cells (index ``ix_search_tag_tag_cell``).
Both are filled here from the entries already indexed, so no reindex is needed.

On PostgreSQL, ``ix_search_entry_region_tsv`` indexes each entry's tokens prefixed with its region
(a block of 20 x 20 grid cells), so text within a radius is looked up in the circle's regions
only (``app.search.sql_postgresql``, whose query repeats the indexed expression exactly).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

REGIONAL_TSV = ("to_tsvector('simple', regexp_replace(name_text || ' ' || body_text, '(\\S+)', "
                "'r' || (cell / 36000 / 20 * 1800 + cell % 36000 / 20)::text || 'x\\1', 'g'))")


def upgrade() -> None:
    op.create_table('search_cell',
    sa.Column('cell', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('located', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('cell', name=op.f('pk_search_cell'))
    )
    op.execute("INSERT INTO search_cell (cell, located) SELECT cell, count(*) FROM search_entry "
               "WHERE at_location AND cell IS NOT NULL GROUP BY cell")
    op.add_column('search_tag', sa.Column('cell', sa.Integer(), nullable=True))
    op.execute("UPDATE search_tag SET cell = (SELECT e.cell FROM search_entry e WHERE e.entry = search_tag.entry)")
    op.create_index('ix_search_tag_tag_cell', 'search_tag', ['tag', 'cell', 'entry'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_search_entry_region_tsv ON search_entry USING gin ({REGIONAL_TSV})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_entry_region_tsv")
    op.drop_index('ix_search_tag_tag_cell', table_name='search_tag')
    with op.batch_alter_table('search_tag') as batch:
        batch.drop_column('cell')
    op.drop_table('search_cell')
