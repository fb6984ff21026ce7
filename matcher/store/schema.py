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
    Column("id_key", String(32)),  # a hash of the ID number: duplicate check and re-import by ID number
    Index("ix_seekers_seq", "seq"),
    Index("ix_seekers_region", "region_code"),
    Index("ix_seekers_station", "station_id"),
    Index("ix_seekers_phone_tail", "phone_tail"),
    Index("ix_seekers_id_key", "id_key"),
)

employers = Table(
    "employers",
    metadata,
    *_record_columns(),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12)),
    Column("credit_code", String(18)),  # duplicate check and re-import by unified social credit code
    Index("ix_employers_seq", "seq"),
    Index("ix_employers_region", "region_code"),
    Index("ix_employers_credit_code", "credit_code"),
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
    # the employer of the job when the referral was made: an employer sees a referral (and a
    # consent given for it) only when it was made to that employer, wherever the job went since
    Column("employer_id", String(64)),
    Index("ix_referrals_seq", "seq"),
    Index("ix_referrals_employer", "employer_id"),
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

# The last run of each batch task (``digest``): when it finished and how long it took, for the
# ``matcher_last_digest_*`` metrics and the "digest late" alert (docs/operations.md).
task_runs = Table(
    "task_runs",
    metadata,
    Column("task", String(40), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("detail", JSON, nullable=False),
)

# Consent is a fact about a seeker and an employer, given for a referral (who recorded it, when),
# revocable: revoking sets ``revoked_at``; rows are never deleted.
consents = Table(
    "consents",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("seeker_id", String(64), nullable=False),
    Column("employer_id", String(64), nullable=False),
    Column("referral_id", String(64), nullable=False),
    Column("given_at", DateTime(timezone=True), nullable=False),
    Column("given_by", String(100), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", String(100)),
    Index("ix_consents_pair", "employer_id", "seeker_id"),
    Index("ix_consents_referral", "referral_id"),
)

# Random keys the server makes once per database (e.g. the key of employers' candidate handles).
server_keys = Table(
    "server_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
)

TABLES = {"job": jobs, "seeker": seekers, "employer": employers, "station": stations, "referral": referrals}


# -- the station's daily work (DESIGN.md section 8): the employment ledger, assistance cases and their
# follow-ups, service records (appointments, visits, staff days...) and 包联 assignments. Each row keeps
# the validated record as JSON plus the columns the lists filter on; ``region_code`` is the area the
# row belongs to (the person's, or the station's), so area rules work like the records'.
employment_events = Table(
    "employment_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("seeker_id", String(64), nullable=False),
    Column("region_code", String(12)),
    Column("status", String(16), nullable=False),
    Column("form", String(24), nullable=False),
    Column("started_at", Date, nullable=False),
    Column("source", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_employment_events_seeker", "seeker_id"),
    Index("ix_employment_events_region", "region_code"),
    Index("ix_employment_events_started", "started_at"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("seeker_id", String(64), nullable=False),
    Column("region_code", String(12)),
    Column("owner", String(100)),
    Column("status", String(16), nullable=False),
    Column("next_due", Date),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_cases_seeker", "seeker_id"),
    Index("ix_cases_region", "region_code"),
    Index("ix_cases_owner", "owner"),
)

case_contacts = Table(
    "case_contacts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("at", Date, nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_case_contacts_case", "case_id"),
)

services = Table(
    "services",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("station_id", String(64)),
    Column("seeker_id", String(64)),
    Column("region_code", String(12)),
    Column("at", DateTime, nullable=False),  # local time at the station
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_services_region", "region_code"),
    Index("ix_services_station", "station_id"),
    Index("ix_services_seeker", "seeker_id"),
    Index("ix_services_at", "at"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account", String(100), nullable=False),
    Column("region_code", String(12)),
    Column("station_id", String(64)),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_assignments_account", "account"),
    Index("ix_assignments_region", "region_code"),
)

WORK_TABLES = {"employment": employment_events, "case": cases, "contact": case_contacts, "service": services,
               "assignment": assignments}
# -- network (DESIGN.md §8): cooperation pairs, events and their attendance. Small collections that
# matching reads whole; kept as JSON by (kind, id), with the two columns lists filter on.
network_items = Table(
    "network_items",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("region_code", String(12)),
    Column("ref_id", String(64)),
    Column("data", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_network_items_ref", "kind", "ref_id"),
)
