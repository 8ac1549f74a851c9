"""Logging: one JSON object per line (GATEPOST_LOG_FORMAT=json, the default) or plain text,
with the request id of the HTTP request being served and, where code passes one, the
message id (`log.info(..., extra={"message_id": ...})`)."""
from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# Credentials that clients put in query strings or forms (Octeth's APIKey=..., the other
# dialects' tokens) never reach a log line: the value after the name is replaced.
SECRET_PARAMS = re.compile(r"((?:api_?key|sender_?api_?key|admin_?api_?key|session_?id|smtp_?password|password|"
                           r"client_secret|access_token|token|secret)=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1[redacted]", text)


class Redacting(logging.Filter):
    """On the handler, so every logger's lines pass it (werkzeug's and gunicorn's request lines too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
_FIELDS = ("message_id", "delivery_id", "command")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if request_id.get():
            entry["request_id"] = request_id.get()
        entry.update({k: getattr(record, k) for k in _FIELDS if getattr(record, k, None) is not None})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(kind: str = "json", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(Redacting())
    handler.setFormatter(JSONFormatter() if kind == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
