"""staging lookup: a covering index on staged_record (source_id, external_id, content_hash, state)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:50:00.000000

Each harvest batch asks staging which of its external ids are staged, with which content hash
and state; a feed that hashes as it reads asks for all of a source's known hashes. Those
columns sit after the raw and normalised payloads, so answering from the table reads the
payloads' pages as well (most of the file at 100,000 records). The index answers from itself.
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_staged_record_lookup', 'staged_record',
                    ['source_id', 'external_id', 'content_hash', 'state'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_staged_record_lookup', table_name='staged_record')
