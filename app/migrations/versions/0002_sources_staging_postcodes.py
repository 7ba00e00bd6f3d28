"""sources, harvest runs, staged records, postcodes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:42:28.675210
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('postcode',
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('local_authority', sa.String(length=9), nullable=True),
    sa.Column('country', sa.String(length=9), nullable=True),
    sa.Column('terminated', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('postcode', name=op.f('pk_postcode'))
    )
    with op.batch_alter_table('postcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode_local_authority'), ['local_authority'], unique=False)

    op.create_table('source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('config', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('credentials', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('schedule', sa.String(length=100), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_complete_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('http_cache', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source')),
    sa.UniqueConstraint('name', name=op.f('uq_source_name'))
    )
    op.create_table('harvest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('incremental', sa.Boolean(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_harvest_run_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_run'))
    )
    with op.batch_alter_table('harvest_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvest_run_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_harvest_run_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_harvest_run_status'), ['status'], unique=False)

    op.create_table('staged_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('origin', sa.Text(), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('normalised', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('quarantine_stage', sa.String(length=30), nullable=True),
    sa.Column('quarantine_reason', sa.Text(), nullable=True),
    sa.Column('golden_id', sa.String(length=36), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_changed', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['harvest_run.id'], name=op.f('fk_staged_record_run_id_harvest_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_staged_record_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_record')),
    sa.UniqueConstraint('source_id', 'external_id', name=op.f('uq_staged_record_source_id'))
    )
    with op.batch_alter_table('staged_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_record_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_record_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_record_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staged_record_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('staged_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_record_state'))
        batch_op.drop_index(batch_op.f('ix_staged_record_source_id'))
        batch_op.drop_index(batch_op.f('ix_staged_record_run_id'))
        batch_op.drop_index(batch_op.f('ix_staged_record_golden_id'))

    op.drop_table('staged_record')
    with op.batch_alter_table('harvest_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvest_run_status'))
        batch_op.drop_index(batch_op.f('ix_harvest_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_harvest_run_source_id'))

    op.drop_table('harvest_run')
    op.drop_table('source')
    with op.batch_alter_table('postcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postcode_local_authority'))

    op.drop_table('postcode')
