"""The engine's errors. Each carries a stable ``code``, a bilingual message (Chinese first) and,
where there is one, the offending ``field``. Mapping to HTTP status codes lives in ``api/`` only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldError:
    """One problem with one field of one record (``row`` is 1-based as a user counts rows)."""

    field: str | None
    message: str
    row: int | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row is not None else ""
        what = f"字段 {self.field}" if self.field else ""
        prefix = " ".join(p for p in (where, what) if p)
        return f"{prefix}: {self.message}" if prefix else self.message


class MatcherError(Exception):
    """Base class: ``code`` is stable and machine-readable; ``message`` is for people."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(MatcherError):
    code = "not_found"

    def __init__(self, kind: str, record_id: str):
        super().__init__(f"未找到{_KIND_ZH.get(kind, kind)}记录 {record_id} / {kind} {record_id} not found", field="id")
        self.kind = kind
        self.record_id = record_id


class ValidationFailed(MatcherError):
    """One or more records were rejected; ``errors`` lists every problem found."""

    code = "validation_error"

    def __init__(self, errors: list[FieldError], message: str | None = None):
        first = errors[0] if errors else None
        super().__init__(message or (str(first) if first else "数据校验失败 / validation failed"),
                         field=first.field if first else None)
        self.errors = errors


class ImportRejected(ValidationFailed):
    """A whole import file was rejected (``--on-error abort``): nothing was written."""

    code = "import_rejected"


class Conflict(MatcherError):
    """The request is valid but clashes with the records' current state (HTTP 409)."""

    code = "conflict"


class Unauthorized(MatcherError):
    """No valid credentials (HTTP 401): a missing, unknown, expired or revoked token."""

    code = "unauthorized"

    def __init__(self, message: str = "需要有效的访问令牌（Authorization: Bearer …）/ a valid access token is required "
                                      "(Authorization: Bearer …)"):
        super().__init__(message)


class Forbidden(MatcherError):
    """The account's role may never do this (HTTP 403). Records outside an account's area are
    answered with :class:`NotFoundError` instead, so their existence is not confirmed."""

    code = "forbidden"

    def __init__(self, message: str = "当前账号的角色无权执行此操作 / this account's role may not do this"):
        super().__init__(message)


_KIND_ZH = {"account": "账号", "region": "区域", "job": "岗位", "seeker": "求职者", "employer": "用人单位", "station": "服务站", "referral": "推荐",
            "case": "援助案件", "service": "服务记录", "assignment": "包联",
            "cooperation": "对口协作", "event": "招聘活动", "attendance": "参会记录"}
