"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 23:38:13.332673
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('embeddings',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('encoder', sa.String(length=200), nullable=False),
    sa.Column('text_hash', sa.String(length=32), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'id', 'encoder')
    )
    op.create_table('employers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.create_index('ix_employers_region', ['region_code'], unique=False)
        batch_op.create_index('ix_employers_seq', ['seq'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('occupation_code', sa.String(length=16), nullable=True),
    sa.Column('employer_id', sa.String(length=64), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('posted_at', sa.Date(), nullable=True),
    sa.Column('expires_at', sa.Date(), nullable=True),
    sa.Column('wage_min', sa.Float(), nullable=True),
    sa.Column('wage_max', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_employer', ['employer_id'], unique=False)
        batch_op.create_index('ix_jobs_occupation', ['occupation_code'], unique=False)
        batch_op.create_index('ix_jobs_region', ['region_code'], unique=False)
        batch_op.create_index('ix_jobs_seq', ['seq'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seeker_id', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_job', ['job_id'], unique=False)
        batch_op.create_index('ix_referrals_seeker', ['seeker_id'], unique=False)
        batch_op.create_index('ix_referrals_seq', ['seq'], unique=False)
        batch_op.create_index('ix_referrals_station', ['station_id'], unique=False)

    op.create_table('seekers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('phone_tail', sa.String(length=4), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('station_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_priority', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('seekers', schema=None) as batch_op:
        batch_op.create_index('ix_seekers_phone_tail', ['phone_tail'], unique=False)
        batch_op.create_index('ix_seekers_region', ['region_code'], unique=False)
        batch_op.create_index('ix_seekers_seq', ['seq'], unique=False)
        batch_op.create_index('ix_seekers_station', ['station_id'], unique=False)

    op.create_table('stations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.create_index('ix_stations_region', ['region_code'], unique=False)
        batch_op.create_index('ix_stations_seq', ['seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_index('ix_stations_seq')
        batch_op.drop_index('ix_stations_region')

    op.drop_table('stations')
    with op.batch_alter_table('seekers', schema=None) as batch_op:
        batch_op.drop_index('ix_seekers_station')
        batch_op.drop_index('ix_seekers_seq')
        batch_op.drop_index('ix_seekers_region')
        batch_op.drop_index('ix_seekers_phone_tail')

    op.drop_table('seekers')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_station')
        batch_op.drop_index('ix_referrals_seq')
        batch_op.drop_index('ix_referrals_seeker')
        batch_op.drop_index('ix_referrals_job')

    op.drop_table('referrals')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_seq')
        batch_op.drop_index('ix_jobs_region')
        batch_op.drop_index('ix_jobs_occupation')
        batch_op.drop_index('ix_jobs_employer')

    op.drop_table('jobs')
    with op.batch_alter_table('employers', schema=None) as batch_op:
        batch_op.drop_index('ix_employers_seq')
        batch_op.drop_index('ix_employers_region')

    op.drop_table('employers')
    op.drop_table('embeddings')
    op.drop_table('counters')
