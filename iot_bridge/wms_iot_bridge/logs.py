"""Structured logs: one JSON object per line on stderr.

Every line has ``ts`` (UTC, ISO 8601), ``level`` and ``event`` (a dotted
name such as ``batch.sent``), then the event's own fields. Use
``log(level, event, **fields)``."""

import json
import logging
import sys
import time

LOGGER = logging.getLogger("wms_iot_bridge")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "event": record.getMessage(),
        }
        for name, value in getattr(record, "fields", {}).items():
            line.setdefault(name, value)  # never instead of ts, level, event
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def setup(level="INFO", stream=None):
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level.upper() if isinstance(level, str) else level)
    LOGGER.propagate = False


def log(level, event, exc_info=False, **fields):
    LOGGER.log(level, event, extra={"fields": fields}, exc_info=exc_info)


def enabled(level):
    return LOGGER.isEnabledFor(level)
