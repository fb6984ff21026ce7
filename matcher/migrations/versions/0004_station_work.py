"""the station's daily work: employment ledger, assistance cases, service records, 包联 assignments;
seekers.id_key and employers.credit_code for duplicate checks and re-imports by natural key

Revision ID: 0004
Revises: 0002
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _id_key(id_number):
    if not id_number:
        return None
    return hashlib.sha256(f"hjm-id:{str(id_number).strip().upper()}".encode()).hexdigest()[:32]


def _backfill() -> None:
    """Fill the new columns of records written before this revision."""
    conn = op.get_bind()
    seekers = sa.table("seekers", sa.column("id", sa.String), sa.column("data", sa.JSON), sa.column("id_key", sa.String))
    employers = sa.table("employers", sa.column("id", sa.String), sa.column("data", sa.JSON),
                         sa.column("credit_code", sa.String))
    rows = [(r.id, _id_key((r.data or {}).get("id_number"))) for r in conn.execute(sa.select(seekers.c.id, seekers.c.data))]
    for rid, key in rows:
        if key:
            conn.execute(seekers.update().where(seekers.c.id == rid).values(id_key=key))
    rows = [(r.id, (r.data or {}).get("credit_code")) for r in conn.execute(sa.select(employers.c.id, employers.c.data))]
    for rid, code in rows:
        if code:
            conn.execute(employers.update().where(employers.c.id == rid).values(credit_code=code))


def upgrade() -> None:
    with op.batch_alter_table("seekers") as batch:
        batch.add_column(sa.Column("id_key", sa.String(length=32), nullable=True))
        batch.create_index("ix_seekers_id_key", ["id_key"])
    with op.batch_alter_table("employers") as batch:
        batch.add_column(sa.Column("credit_code", sa.String(length=18), nullable=True))
        batch.create_index("ix_employers_credit_code", ["credit_code"])
    _backfill()
    op.create_table(
        "employment_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seeker_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("form", sa.String(length=24), nullable=False),
        sa.Column("started_at", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_employment_events_seeker", "employment_events", ["seeker_id"])
    op.create_index("ix_employment_events_region", "employment_events", ["region_code"])
    op.create_index("ix_employment_events_started", "employment_events", ["started_at"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seeker_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cases_seeker", "cases", ["seeker_id"])
    op.create_index("ix_cases_region", "cases", ["region_code"])
    op.create_index("ix_cases_owner", "cases", ["owner"])
    op.create_table(
        "case_contacts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_contacts_case", "case_contacts", ["case_id"])
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("seeker_id", sa.String(length=64), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_services_region", "services", ["region_code"])
    op.create_index("ix_services_station", "services", ["station_id"])
    op.create_index("ix_services_seeker", "services", ["seeker_id"])
    op.create_index("ix_services_at", "services", ["at"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assignments_account", "assignments", ["account"])
    op.create_index("ix_assignments_region", "assignments", ["region_code"])


def downgrade() -> None:
    for table in ("assignments", "services", "case_contacts", "cases", "employment_events"):
        op.drop_table(table)
    with op.batch_alter_table("employers") as batch:
        batch.drop_index("ix_employers_credit_code")
        batch.drop_column("credit_code")
    with op.batch_alter_table("seekers") as batch:
        batch.drop_index("ix_seekers_id_key")
        batch.drop_column("id_key")
