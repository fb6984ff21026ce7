"""Dependencies shared by the routers, as ``Annotated`` aliases (``EngineDep``, ``PageDep``...).

Tests replace the engine by building the app with ``create_app(engine=...)``, or override
:func:`get_engine` with ``app.dependency_overrides``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from matcher.engine import MatchEngine
from matcher.settings import Settings

MAX_PAGE = 200
MAX_OFFSET = 1_000_000_000  # bounded: a 64-bit overflow in the database's OFFSET was a 500


class ApiError(Exception):
    """An error that exists only at the HTTP layer (not ready, body too large, bad request)."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def not_ready(message: str = "服务正在启动，索引尚未加载 / the service is starting: indexes are not loaded yet") -> ApiError:
    return ApiError(503, "not_ready", message)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> MatchEngine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        raise not_ready("数据库尚未打开 / the store is not open yet")
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[MatchEngine, Depends(get_engine)]


@dataclass(frozen=True)
class Pagination:
    offset: int
    limit: int


def pagination(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数 / records to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="每页条数（≤200）/ page size (≤ 200)")] = 50,
) -> Pagination:
    return Pagination(offset, limit)


PageDep = Annotated[Pagination, Depends(pagination)]

MatchLimit = Annotated[int, Query(ge=1, le=500, description="返回条数 / number of matches")]

_fallback_lock = threading.RLock()


@contextmanager
def writing(engine: MatchEngine) -> Iterator[None]:
    """Serialise the API's writes (check-then-write, and the index sync that follows a write)
    under the engine's own lock, so concurrent requests never apply the same change twice."""
    with engine.writing() if hasattr(engine, "writing") else _fallback_lock:
        yield

# Query parameters shared by the list filters.
RegionQuery = Annotated[str | None, Query(
    pattern=r"^\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?$",
    description="区划代码前缀（2/4/6/9/12位）/ region code prefix (2/4/6/9/12 digits)",
)]
IdQuery = Annotated[str | None, Query(max_length=64)]
