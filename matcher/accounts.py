"""Accounts and API tokens, kept in the store.

A token is 32 random bytes (``hjm_`` + URL-safe base64), shown once when it is made; the store
keeps only its SHA-256 (a random secret of that length needs no slow password hash) and a short
hint to tell tokens apart. Tokens may expire, and accounts or single tokens may be revoked:
:func:`authenticate` refuses all of those with the same answer.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from matcher.access import Principal, Role, check_account_fields
from matcher.errors import Conflict, FieldError, NotFoundError, Unauthorized, ValidationFailed

TOKEN_PREFIX = "hjm_"


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    role: Role
    region_code: str | None
    employer_id: str | None
    created_at: datetime
    revoked_at: datetime | None

    def principal(self) -> Principal:
        return Principal(self.id, self.name, self.role, self.region_code, self.employer_id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _account(row: Any) -> Account:
    return Account(row.id, row.name, Role(row.role), row.region_code, row.employer_id, _aware(row.created_at),
                   _aware(row.revoked_at))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(c in name for c in "\r\n\t"):
        raise ValidationFailed([FieldError("name", "账号名称须为 1–100 个字符 / an account name has 1–100 characters")])
    return name


def _new_token(account_id: str, expires_days: float | None) -> tuple[str, dict[str, Any]]:
    """A fresh token and the row the store keeps of it (its hash and hint, never the token)."""
    if expires_days is not None and expires_days <= 0:
        raise ValidationFailed([FieldError("expires_days", "有效天数须大于 0 / expiry must be more than 0 days")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    return token, {"token_hash": hash_token(token), "account_id": account_id, "hint": token[:10], "created_at": now,
                   "expires_at": None if expires_days is None else now + timedelta(days=expires_days)}


def add_account(store, name: str, role: Role | str, *, region_code: str | None = None, employer_id: str | None = None,
                expires_days: float | None = None) -> tuple[Account, str]:
    """Create an account and its first token; returns (account, token). The token is not kept."""
    name = _check_name(name)
    role, region_code, employer_id = check_account_fields(role, region_code, employer_id)
    if employer_id is not None and not store.get_dicts("employer", [employer_id]):
        raise NotFoundError("employer", employer_id)
    account_id = "A" + uuid.uuid4().hex[:15].upper()
    token, token_row = _new_token(account_id, expires_days)
    row = {"id": account_id, "name": name, "role": role.value, "region_code": region_code, "employer_id": employer_id,
           "created_at": _now()}
    if not store.access.create_account(row, token_row):
        raise Conflict(f"账号 {name} 已存在 / account {name} already exists", field="name")
    return get_account(store, name), token


def issue_token(store, name: str, *, expires_days: float | None = None) -> str:
    """A further token for an existing, active account (e.g. to rotate one)."""
    acc = get_account(store, name)
    if acc.revoked_at is not None:
        raise Conflict(f"账号 {name} 已停用 / account {name} is revoked", field="name")
    token, row = _new_token(acc.id, expires_days)
    store.access.add_token(row)
    return token


def get_account(store, name: str) -> Account:
    row = store.access.account_by_name(name.strip())
    if row is None:
        raise NotFoundError("account", name)
    return _account(row)


def list_accounts(store) -> list[Account]:
    return [_account(r) for r in store.access.list_accounts()]


def revoke(store, name: str) -> int:
    """Revoke an account and every token of it; returns how many tokens were still active."""
    return store.access.revoke_account(get_account(store, name).id, _now())


def revoke_token(store, token: str) -> bool:
    return store.access.revoke_token(hash_token(token), _now())


def authenticate(store, token: str | None) -> Principal:
    """The principal of a bearer token; :class:`Unauthorized` for a missing, unknown, expired or
    revoked token (one answer for all, so a caller learns nothing from it)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthorized()
    row = store.access.token_account(hash_token(token))
    if row is None or row.revoked_at is not None or row.token_revoked_at is not None:
        raise Unauthorized()
    expires = _aware(row.token_expires_at)
    if expires is not None and expires <= _now():
        raise Unauthorized()
    return _account(row).principal()
