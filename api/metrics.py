"""A tiny Prometheus text exporter (format 0.0.4) with no extra dependency.

Request counters and latency histograms are labelled by method, route template (``/v1/jobs/{id}``,
never the raw path, so ids do not explode the label set) and status. Gauges (index sizes, records,
index lag) are read from the engine when ``/metrics`` is scraped.

The same middleware writes the access log (logger ``matcher.access``): method, route template,
status and milliseconds, never the raw path or the query string, which can carry personal data
(``/v1/seekers?q=王小明``). ``matcher serve`` turns uvicorn's own access log off for that reason.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

access_log = logging.getLogger("matcher.access")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(str(v))}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _num(v: float) -> str:
    if v == float("inf"):
        return "+Inf"
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


class Counter:
    def __init__(self, name: str, help: str, labels: tuple[str, ...]):
        self.name, self.help, self.labelnames = name, help, labels
        self._values: dict[tuple[str, ...], float] = defaultdict(float)
        self._lock = threading.Lock()

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] += amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        with self._lock:
            items = sorted(self._values.items())
        for labels, v in items:
            yield f"{self.name}{_labels(self.labelnames, labels)} {_num(v)}"


class Histogram:
    def __init__(self, name: str, help: str, labels: tuple[str, ...], buckets: tuple[float, ...] = DEFAULT_BUCKETS):
        self.name, self.help, self.labelnames = name, help, labels
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[tuple[str, ...], list[int]] = {}
        self._sums: dict[tuple[str, ...], float] = defaultdict(float)
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        i = bisect.bisect_left(self.buckets, value)
        with self._lock:
            counts = self._counts.setdefault(labels, [0] * (len(self.buckets) + 1))
            counts[i] += 1
            self._sums[labels] += value

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        with self._lock:
            items = sorted((k, list(v), self._sums[k]) for k, v in self._counts.items())
        for labels, counts, total in items:
            running = 0
            for bound, c in zip((*self.buckets, float("inf")), counts, strict=True):
                running += c
                le = 'le="' + _num(bound) + '"'
                yield f"{self.name}_bucket{_labels(self.labelnames, labels, le)} {running}"
            yield f"{self.name}_sum{_labels(self.labelnames, labels)} {total!r}"
            yield f"{self.name}_count{_labels(self.labelnames, labels)} {running}"


def gauge(name: str, help: str, samples: Iterable[tuple[dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} gauge"]
    for labels, v in samples:
        names = tuple(labels)
        lines.append(f"{name}{_labels(names, tuple(labels[n] for n in names))} {_num(v)}")
    return lines


class Metrics:
    """The app's request metrics (one per app, kept on ``app.state.metrics``)."""

    def __init__(self) -> None:
        self.requests = Counter("matcher_http_requests_total", "HTTP requests by method, route and status.",
                                ("method", "route", "status"))
        self.latency = Histogram("matcher_http_request_duration_seconds", "HTTP request latency in seconds.",
                                 ("method", "route"))
        self.in_flight = 0
        self._lock = threading.Lock()

    def render(self, extra: Iterable[str] = ()) -> str:
        lines = [*self.requests.render(), *self.latency.render(),
                 *gauge("matcher_http_requests_in_flight", "Requests being served.", [({}, self.in_flight)]),
                 *extra]
        return "\n".join(lines) + "\n"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    return "unmatched"  # 404s on unknown paths: one label, not one per path


class MetricsMiddleware:
    """Pure ASGI middleware: counts, times and access-logs every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        m = self.metrics
        with m._lock:
            m.in_flight += 1
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            with m._lock:
                m.in_flight -= 1
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope.get("method", "GET")
            m.requests.inc(method, route, str(status))
            m.latency.observe(elapsed, method, route)
            access_log.info("%s %s %s %.1fms", method, route, status, elapsed * 1000)
