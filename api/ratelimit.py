"""Per-account rate limits: a token bucket per (account, what), in this process.

A bucket holds ``burst`` requests and refills at ``per_second``; a request finding it empty is
answered 429 ``rate_limited`` with ``Retry-After`` (whole seconds until one request is available).
The defaults (``Settings.rate_limit_*``) are far above what a station's console makes; the
employer's candidate searches have their own, stricter bucket (probing by repeated searches).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, *, clock=time.monotonic):
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._mutex = threading.Lock()
        self._clock = clock

    def take(self, key: tuple[str, str], *, per_second: float, burst: int) -> None:
        """Take one request from ``key``'s bucket or raise :class:`RateLimited`. ``per_second`` 0: no limit."""
        if per_second <= 0:
            return
        now = self._clock()
        with self._mutex:
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(float(burst), now)
            b.tokens = min(float(burst), b.tokens + (now - b.at) * per_second)
            b.at = now
            if b.tokens < 1.0:
                raise RateLimited(max(1, math.ceil((1.0 - b.tokens) / per_second)))
            b.tokens -= 1.0
