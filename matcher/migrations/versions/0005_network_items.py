"""network items: cooperation pairs, recruitment events and their attendance

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_items",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("ref_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_index("ix_network_items_ref", "network_items", ["kind", "ref_id"])


def downgrade() -> None:
    op.drop_index("ix_network_items_ref", table_name="network_items")
    op.drop_table("network_items")
