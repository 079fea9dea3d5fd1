"""JSON-lines logging on stdout; called once by each process's `main()`."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Fields that callers pass with `extra=` and that belong on the JSON line.
CONTEXT_FIELDS = (
    "document_id",
    "workflow_id",
    "event_type",
    "event_id",
    "topic",
    "partition",
    "offset",
    "reason_code",
    "route",
    "version",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp, severity, service, logger, message, context."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "severity": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = str(value) if not isinstance(value, int | float) else value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines; safe to call twice."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_docroute", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler._docroute = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Client libraries are chatty at INFO about every metadata refresh.
    for noisy in ("kafka", "aiokafka", "botocore", "urllib3", "faust", "mode"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
