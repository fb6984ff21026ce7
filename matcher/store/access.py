"""The store's access tables: accounts and their tokens, the append-only audit log, consents and
server keys. Every SQL statement about who may do what lives here (and in ``store.py`` for the
records), so the access rules in ``matcher.access`` / ``api.guard`` stay free of SQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from matcher.store.schema import accounts, api_tokens, audit_log, consents, server_keys


class AccessStore:
    """Reads and writes of the access tables; ``store.access``."""

    def __init__(self, store):
        self.store = store

    @property
    def _db(self):
        return self.store.engine

    # -- accounts and tokens ----------------------------------------------------------------------
    def account_by_name(self, name: str) -> Any | None:
        with self._db.connect() as conn:
            return conn.execute(select(accounts).where(accounts.c.name == name)).first()

    def list_accounts(self) -> list[Any]:
        with self._db.connect() as conn:
            return list(conn.execute(select(accounts).order_by(accounts.c.name)))

    def create_account(self, account: dict[str, Any], token: dict[str, Any]) -> bool:
        """Insert an account and its first token in one transaction; False when the name is taken."""
        with self._db.begin() as conn:
            if conn.execute(select(accounts.c.id).where(accounts.c.name == account["name"])).first() is not None:
                return False
            conn.execute(accounts.insert().values(**account))
            conn.execute(api_tokens.insert().values(**token))
        return True

    def add_token(self, token: dict[str, Any]) -> None:
        with self._db.begin() as conn:
            conn.execute(api_tokens.insert().values(**token))

    def revoke_account(self, account_id: str, now: datetime) -> int:
        """Revoke an account and all its tokens; returns how many tokens were still active."""
        with self._db.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.id == account_id, accounts.c.revoked_at.is_(None))
                         .values(revoked_at=now))
            active = conn.execute(select(func.count()).select_from(api_tokens).where(
                api_tokens.c.account_id == account_id, api_tokens.c.revoked_at.is_(None),
                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now))).scalar_one()
            conn.execute(update(api_tokens).where(api_tokens.c.account_id == account_id,
                                                  api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
        return int(active)

    def revoke_token(self, token_hash: str, now: datetime) -> bool:
        with self._db.begin() as conn:
            res = conn.execute(update(api_tokens).where(api_tokens.c.token_hash == token_hash,
                                                        api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
        return bool(res.rowcount)

    def token_account(self, token_hash: str) -> Any | None:
        """The account row of a token hash, with the token's own expiry and revocation."""
        q = (select(accounts, api_tokens.c.expires_at.label("token_expires_at"),
                    api_tokens.c.revoked_at.label("token_revoked_at"))
             .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
             .where(api_tokens.c.token_hash == token_hash))
        with self._db.connect() as conn:
            return conn.execute(q).first()

    # -- the audit log ----------------------------------------------------------------------------
    def append_audit(self, rows: list[dict[str, Any]], *, conn=None) -> None:
        if not rows:
            return
        if conn is not None:
            conn.execute(audit_log.insert(), rows)
            return
        with self._db.begin() as c:
            c.execute(audit_log.insert(), rows)

    def query_audit(self, *, region_prefix: str | None = None, account: str | None = None,
                    record_id: str | None = None, action: str | None = None, since: datetime | None = None,
                    until: datetime | None = None, offset: int = 0, limit: int = 100) -> tuple[list[Any], int]:
        t = audit_log
        cond = []
        if region_prefix:
            cond.append(t.c.region_code.startswith(region_prefix, autoescape=True))
        if account:
            cond.append(t.c.account_name == account)
        if record_id:
            cond.append(t.c.record_id == record_id)
        if action:
            cond.append(t.c.action == action)
        if since is not None:
            cond.append(t.c.at >= since)
        if until is not None:
            cond.append(t.c.at < until)
        with self._db.connect() as conn:
            total = conn.execute(select(func.count()).select_from(t).where(*cond)).scalar_one()
            rows = conn.execute(select(t).where(*cond).order_by(t.c.id.desc()).offset(offset).limit(limit)).all()
        return list(rows), int(total)

    # -- consents -----------------------------------------------------------------------------------
    def give_consent(self, *, seeker_id: str, employer_id: str, referral_id: str, by: str, at: datetime,
                     conn=None) -> bool:
        """Record that the seeker consents (for this referral) to this employer seeing their contact
        details; False when that consent is already in force."""
        if conn is None:
            with self._db.begin() as c:
                return self.give_consent(seeker_id=seeker_id, employer_id=employer_id, referral_id=referral_id,
                                         by=by, at=at, conn=c)
        live = conn.execute(select(consents.c.id).where(
            consents.c.referral_id == referral_id, consents.c.employer_id == employer_id,
            consents.c.seeker_id == seeker_id, consents.c.revoked_at.is_(None))).first()
        if live is not None:
            return False
        conn.execute(consents.insert().values(seeker_id=seeker_id, employer_id=employer_id, referral_id=referral_id,
                                              given_at=at, given_by=by[:100]))
        return True

    def revoke_consent(self, referral_id: str, *, by: str, at: datetime, conn=None) -> int:
        """Revoke the consent given for a referral; returns how many were in force."""
        stmt = (update(consents).where(consents.c.referral_id == referral_id, consents.c.revoked_at.is_(None))
                .values(revoked_at=at, revoked_by=by[:100]))
        if conn is not None:
            return int(conn.execute(stmt).rowcount or 0)
        with self._db.begin() as c:
            return int(c.execute(stmt).rowcount or 0)

    def consented_seekers(self, employer_id: str, seeker_ids: Iterable[str]) -> set[str]:
        """Seekers whose consent to this employer is in force."""
        ids = list(dict.fromkeys(seeker_ids))
        if not ids or not employer_id:
            return set()
        out: set[str] = set()
        with self._db.connect() as conn:
            for i in range(0, len(ids), 500):
                out.update(r.seeker_id for r in conn.execute(select(consents.c.seeker_id).where(
                    consents.c.employer_id == employer_id, consents.c.seeker_id.in_(ids[i : i + 500]),
                    consents.c.revoked_at.is_(None))))
        return out

    def consent_history(self, seeker_id: str) -> list[Any]:
        with self._db.connect() as conn:
            return list(conn.execute(select(consents).where(consents.c.seeker_id == seeker_id)
                                     .order_by(consents.c.id)))

    # -- server keys --------------------------------------------------------------------------------
    def server_key(self, name: str) -> str:
        """A random key made once per database (concurrent first calls agree on one)."""
        with self._db.connect() as conn:
            row = conn.execute(select(server_keys.c.value).where(server_keys.c.name == name)).first()
        if row is not None:
            return row.value
        try:
            with self._db.begin() as conn:
                conn.execute(server_keys.insert().values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first
        with self._db.connect() as conn:
            return conn.execute(select(server_keys.c.value).where(server_keys.c.name == name)).scalar_one()
