"""One JSON object per log line (``MATCHER_LOG_FORMAT=json``), for a log shipper: ``ts`` (UTC,
ISO 8601), ``level``, ``logger``, ``message`` and, for an error, ``exc_type`` (the type only: an
exception's message can carry personal data; see ``api.app.redacted_traceback``)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
        return json.dumps(out, ensure_ascii=False)
