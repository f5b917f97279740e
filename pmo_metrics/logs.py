"""Structured logs: one JSON object per line on stderr, for loads and page errors, when `log_format`
is "json" (the default "text" leaves logging as Python and Streamlit set it up).

A record carries its event's fields (`extra={"pmo": {...}}`), never the settings or the secrets: every
string is passed through `settings.masked`, so a URL that slipped into a message loses its password.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from .settings import masked

LOGGERS = ("pmo_metrics", "pmo_dashboard")
_MARK = "_pmo_json_lines"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return masked(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return masked(str(value))


def non_empty_fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields that are set (a page's filters, say), for a log record."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if getattr(obj, f.name) not in (None, (), [], "")}


class JsonLines(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, event, message, the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "pmo", None) or {})
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "event": fields.pop("event", "log"), "message": record.getMessage(),
        }
        out.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["error"] = {"type": type(exc).__name__, "message": str(exc).splitlines()[0] if str(exc) else "",
                            "traceback": self.formatException(record.exc_info)}
        return json.dumps(_clean(out), ensure_ascii=False, default=str)


def configure_logging(log_format: str, stream=None) -> None:
    """Route the product's loggers to JSON lines on `stream` (stderr) when `log_format` is "json".

    Safe to call on every script run: the handler is added once per logger.
    """
    if log_format != "json":
        return
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if any(getattr(h, _MARK, False) for h in logger.handlers):
            continue
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(JsonLines())
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
