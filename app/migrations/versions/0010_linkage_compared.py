"""linkage_compared: what the last run compared per entity, for incremental linkage

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 22:00:00.000000

One row per entity (``app.models.linkage.LinkageCompared``): the candidate pairs of the last run that scored it,
their comparison levels and the fitted model, as one compressed numpy archive. A table of its own rather than a
column on ``linkage_run``: only the latest is ever read, so each run replaces it instead of keeping one per run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('linkage_compared',
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('linkage_run_id', sa.Integer(), nullable=True),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['linkage_run_id'], ['linkage_run.id'],
                            name=op.f('fk_linkage_compared_linkage_run_id_linkage_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('entity', name=op.f('pk_linkage_compared'))
    )


def downgrade() -> None:
    op.drop_table('linkage_compared')
