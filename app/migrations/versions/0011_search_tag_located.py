"""search_tag.at_location with a partial (tag, entry) index of the entries at a location

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 02:10:00.000000

Coverage on /service_at_locations (one row per service at a location) found every entry tagged
with the patient's area codes, then read each entry's row to drop those without a location
(~550 read to keep ~100 on the search benchmark). ``search_tag.at_location`` repeats the
entry's flag, and ``ix_search_tag_located`` lists the tags of entries at a location only.
Filled here from the entries already indexed, so no reindex is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('search_tag', sa.Column('at_location', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE search_tag SET at_location = (SELECT e.at_location FROM search_entry e "
               "WHERE e.entry = search_tag.entry)")
    op.create_index('ix_search_tag_located', 'search_tag', ['tag', 'entry'], unique=False,
                    sqlite_where=sa.text('at_location'), postgresql_where=sa.text('at_location'))


def downgrade() -> None:
    op.drop_index('ix_search_tag_located', table_name='search_tag')
    with op.batch_alter_table('search_tag') as batch:
        batch.drop_column('at_location')
