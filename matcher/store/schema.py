"""Database schema (SQLAlchemy Core). Portable between SQLite and PostgreSQL: no dialect-only
types or SQL. Each record table keeps the validated record as JSON plus the columns the engine
filters on, a per-record ``version``, and ``seq`` (a store-wide change counter) so an index can ask
what changed since it was built. Deletes are tombstones (``deleted``) for the same reason."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

metadata = MetaData()


def _record_columns() -> list[Column]:
    return [
        Column("id", String(64), primary_key=True),
        Column("data", JSON, nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("seq", BigInteger, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("deleted", Boolean, nullable=False, default=False),
        # blake2b-128 of the record's canonical JSON (sorted keys): an upsert compares it instead of
        # decoding ``data``. NULL for rows written before migration 0007 (compared by their JSON).
        Column("data_hash", String(32)),
    ]


jobs = Table(
    "jobs",
    metadata,
    *_record_columns(),
    Column("title", String(200), nullable=False),
    Column("occupation_code", String(16)),
    Column("employer_id", String(64)),
    Column("region_code", String(12)),
    Column("status", String(16), nullable=False),
    Column("posted_at", Date),
    Column("expires_at", Date),
    Column("wage_min", Float),
    Column("wage_max", Float),
    Index("ix_jobs_seq", "seq"),
    Index("ix_jobs_region", "region_code"),
    Index("ix_jobs_employer", "employer_id"),
    Index("ix_jobs_occupation", "occupation_code"),
)

seekers = Table(
    "seekers",
    metadata,
    *_record_columns(),
    Column("name", String(50)),
    Column("phone_tail", String(4)),
    Column("region_code", String(12)),
    Column("station_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("is_priority", Boolean, nullable=False, default=False),
    Index("ix_seekers_seq", "seq"),
    Index("ix_seekers_region", "region_code"),
    Index("ix_seekers_station", "station_id"),
    Index("ix_seekers_phone_tail", "phone_tail"),
)

employers = Table(
    "employers",
    metadata,
    *_record_columns(),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12)),
    Index("ix_employers_seq", "seq"),
    Index("ix_employers_region", "region_code"),
)

stations = Table(
    "stations",
    metadata,
    *_record_columns(),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("region_code", String(12)),
    Index("ix_stations_seq", "seq"),
    Index("ix_stations_region", "region_code"),
)

referrals = Table(
    "referrals",
    metadata,
    *_record_columns(),
    Column("seeker_id", String(64), nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("station_id", String(64)),
    Column("status", String(16), nullable=False),
    Index("ix_referrals_seq", "seq"),
    Index("ix_referrals_seeker", "seeker_id"),
    Index("ix_referrals_job", "job_id"),
    Index("ix_referrals_station", "station_id"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Embeddings of stored records, keyed by the encoder that made them, so nothing is embedded twice
# and a changed encoder is noticed (its rows simply do not match).
embeddings = Table(
    "embeddings",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("encoder", String(200), primary_key=True),
    Column("text_hash", String(32), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# -- access: accounts, their API tokens (only hashes are kept) and the audit log of personal-data reads.
accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("region_code", String(12)),
    Column("employer_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("hint", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_tokens_account", "account_id"),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE on both databases.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("account_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("region_code", String(12)),
    Column("purpose", String(200), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_region", "region_code"),
    Index("ix_audit_log_record", "kind", "record_id"),
)

TABLES = {"job": jobs, "seeker": seekers, "employer": employers, "station": stations, "referral": referrals}
