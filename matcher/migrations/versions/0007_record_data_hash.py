"""a content hash of every record's JSON (``data_hash``), so an upsert tells unchanged records
from changed ones without decoding the stored JSON

Revision ID: 0007
Revises: 0002
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TABLES = ("jobs", "seekers", "employers", "stations", "referrals")


def _hash(data) -> str:
    # the same as matcher.store.store.data_hash, kept here so this revision never changes
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def upgrade() -> None:
    # Nullable: a row the backfill below has not reached (none, normally) is compared by its JSON.
    bind = op.get_bind()
    for name in _TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("data_hash", sa.String(length=32), nullable=True))
        table = sa.table(name, sa.column("id", sa.String), sa.column("data", sa.JSON),
                         sa.column("data_hash", sa.String))
        stmt = sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(data_hash=sa.bindparam("b_hash"))
        last = None
        while True:  # keyset pages of 5,000 rows
            q = sa.select(table.c.id, table.c.data).order_by(table.c.id).limit(5000)
            rows = bind.execute(q if last is None else q.where(table.c.id > last)).all()
            if not rows:
                break
            bind.execute(stmt, [{"b_id": r.id, "b_hash": _hash(r.data)} for r in rows])
            last = rows[-1].id


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("data_hash")
