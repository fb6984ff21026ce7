"""owners at the time and consent as a fact: referrals keep their employer, consents table, server keys

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employer_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_referrals_employer", ["employer_id"], unique=False)
    # the employer a referral was made to is the job's employer when it was made: for the referrals
    # already stored, that is the job's employer now
    op.execute("UPDATE referrals SET employer_id = (SELECT jobs.employer_id FROM jobs WHERE jobs.id = referrals.job_id)")
    op.create_table(
        "consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("seeker_id", sa.String(length=64), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("given_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_pair", "consents", ["employer_id", "seeker_id"])
    op.create_index("ix_consents_referral", "consents", ["referral_id"])
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("server_keys")
    op.drop_index("ix_consents_referral", table_name="consents")
    op.drop_index("ix_consents_pair", table_name="consents")
    op.drop_table("consents")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_employer")
        batch_op.drop_column("employer_id")
