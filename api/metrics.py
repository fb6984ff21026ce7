"""Metrics through prometheus-client, in multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set
(``matcher serve`` sets it to ``settings.metrics_dir``, default ``<home>/metrics``), so that the
workers of one machine report one view: request counts and latency, requests in flight and the
database's health are summed or reduced over the live processes.

Labels: method, route template (``/v1/jobs/{id}``, never the raw path, so ids do not explode the
label set) and status. The engine's gauges (index sizes, embedding queue, index lag, records, the
last digest run) are read from this process's engine and the store when ``/metrics`` is scraped
(:func:`api.routes.health.engine_families`).

The same middleware writes the access log (logger ``matcher.access``): method, route template,
status and milliseconds, never the raw path or the query string, which can carry personal data
(``/v1/seekers?q=王小明``). ``matcher serve`` turns uvicorn's own access log off for that reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.multiproc import multiprocess_dir

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

access_log = logging.getLogger("matcher.access")


class Metrics:
    """The app's own metrics (one per app, on ``app.state.metrics``), in a registry of their own."""

    def __init__(self, settings=None) -> None:
        from prometheus_client import disable_created_metrics

        disable_created_metrics()  # no ``*_created`` series (multiprocess mode has none either)
        if multiprocess_dir() is not None:
            from prometheus_client import values

            if values.ValueClass is values.MutexValue:  # prometheus_client was imported before the folder was set
                values.ValueClass = values.get_value_class()
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("matcher_http_requests", "HTTP requests by method, route and status.",
                                ("method", "route", "status"), registry=r)
        self.latency = Histogram("matcher_http_request_duration_seconds", "HTTP request latency in seconds.",
                                 ("method", "route"), buckets=DEFAULT_BUCKETS, registry=r)
        self.in_flight = Gauge("matcher_http_requests_in_flight", "Requests being served (all workers).",
                               registry=r, multiprocess_mode="livesum")
        self.database_up = Gauge("matcher_database_up",
                                 "1 while the database answers, 0 during an outage (the lowest of the live workers).",
                                 registry=r, multiprocess_mode="livemin")
        self.outages = Counter("matcher_database_outages", "Database outages seen (each counted once, when it began).",
                               registry=r)
        self.database_up.set(1)

    def set_database_up(self, up: bool) -> None:
        self.database_up.set(1 if up else 0)
        if not up:
            self.outages.inc()

    def render(self, extra: Iterable[Metric] = ()) -> bytes:
        """The text exposition: this app's metrics (or, in multiprocess mode, every live worker's
        merged) followed by ``extra`` families read now."""
        if multiprocess_dir() is not None:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        families = list(extra)
        body = generate_latest(registry)
        if families:
            body += generate_latest(_Fixed(families))
        return body


class _Fixed:
    """A collector of already built metric families (for :func:`generate_latest`)."""

    def __init__(self, families: list[Metric]):
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


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
        m.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            m.in_flight.dec()
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope.get("method", "GET")
            m.requests.labels(method, route, str(status)).inc()
            m.latency.labels(method, route).observe(elapsed)
            access_log.info("%s %s %s %.1fms", method, route, status, elapsed * 1000)
