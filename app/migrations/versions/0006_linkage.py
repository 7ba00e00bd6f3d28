"""linkage: runs, cluster membership, golden digests, reviewers' decisions, the review queue, field overrides

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:46:19.266180

Tables of ``app.models.linkage``. Keys are (entity, source name, external id) rather than staged row ids, so
decisions and golden ids survive a record being withdrawn and harvested again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('linkage_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('a_source', sa.String(length=100), nullable=False),
    sa.Column('a_external_id', sa.String(length=300), nullable=False),
    sa.Column('b_source', sa.String(length=100), nullable=False),
    sa.Column('b_external_id', sa.String(length=300), nullable=False),
    sa.Column('a_hash', sa.String(length=64), nullable=False),
    sa.Column('b_hash', sa.String(length=64), nullable=False),
    sa.Column('same', sa.Boolean(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_decision')),
    sa.UniqueConstraint('entity', 'a_source', 'a_external_id', 'b_source', 'b_external_id', name=op.f('uq_linkage_decision_entity'))
    )
    op.create_table('linkage_golden',
    sa.Column('golden_id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('golden_id', name=op.f('pk_linkage_golden'))
    )
    op.create_table('linkage_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('golden_id', sa.String(length=36), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_override')),
    sa.UniqueConstraint('golden_id', 'field', name=op.f('uq_linkage_override_golden_id'))
    )
    op.create_table('linkage_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_run'))
    )
    with op.batch_alter_table('linkage_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linkage_run_started_at'), ['started_at'], unique=False)

    op.create_table('linkage_review_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('a_source', sa.String(length=100), nullable=False),
    sa.Column('a_external_id', sa.String(length=300), nullable=False),
    sa.Column('b_source', sa.String(length=100), nullable=False),
    sa.Column('b_external_id', sa.String(length=300), nullable=False),
    sa.Column('a_hash', sa.String(length=64), nullable=False),
    sa.Column('b_hash', sa.String(length=64), nullable=False),
    sa.Column('a_name', sa.Text(), nullable=True),
    sa.Column('b_name', sa.Text(), nullable=True),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('linkage_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['linkage_run_id'], ['linkage_run.id'], name=op.f('fk_linkage_review_pair_linkage_run_id_linkage_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_review_pair')),
    sa.UniqueConstraint('entity', 'a_source', 'a_external_id', 'b_source', 'b_external_id', name=op.f('uq_linkage_review_pair_entity')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('linkage_review_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linkage_review_pair_entity'), ['entity'], unique=False)

    op.create_table('linkage_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=False),
    sa.Column('golden_id', sa.String(length=36), nullable=False),
    sa.Column('fields_hash', sa.String(length=64), nullable=False),
    sa.Column('staged_record_id', sa.Integer(), nullable=True),
    sa.Column('harvest_run_id', sa.Integer(), nullable=True),
    sa.Column('linkage_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['harvest_run_id'], ['harvest_run.id'], name=op.f('fk_linkage_member_harvest_run_id_harvest_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['linkage_run_id'], ['linkage_run.id'], name=op.f('fk_linkage_member_linkage_run_id_linkage_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staged_record_id'], ['staged_record.id'], name=op.f('fk_linkage_member_staged_record_id_staged_record'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_member')),
    sa.UniqueConstraint('entity', 'source', 'external_id', name=op.f('uq_linkage_member_entity'))
    )
    with op.batch_alter_table('linkage_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linkage_member_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_linkage_member_staged_record_id'), ['staged_record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('linkage_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linkage_member_staged_record_id'))
        batch_op.drop_index(batch_op.f('ix_linkage_member_golden_id'))

    op.drop_table('linkage_member')
    with op.batch_alter_table('linkage_review_pair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linkage_review_pair_entity'))

    op.drop_table('linkage_review_pair')
    with op.batch_alter_table('linkage_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linkage_run_started_at'))

    op.drop_table('linkage_run')
    op.drop_table('linkage_override')
    op.drop_table('linkage_golden')
    op.drop_table('linkage_decision')
