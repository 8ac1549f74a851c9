"""create_app(settings) -> Flask, in the flaskr shape: settings, the database's request
lifecycle, the operator's health blueprint, then each dialect registering itself.

Errors outside a handler's own contract (routing errors, a database that is down, a crash)
are answered here once, in the shape of the dialect that owns the path: each dialect in
DIALECTS has a NAME (its label in metrics), `init_app(app, settings)`, `owns(path)` and
`render_error(status, text, headers)`.
Adding a dialect is adding it to DIALECTS.
"""
from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

import api_v1
import commands
import config
import logs
import tracking
import ui
from dialects import autorelay, kirim, sendpulse, smtpprovider
from edge import health
from models import db
from services import metrics

log = logging.getLogger(__name__)
# autorelay and smtpprovider before api_v1: all three live under /api/v1 (sk_ keys and smtp-* paths are theirs)
DIALECTS = (commands, autorelay, smtpprovider, api_v1, tracking, kirim, sendpulse, ui)
# SQLite: a web process's commits copy the write-ahead log into the file only past 10,000 pages
# (40 MB), so the workers' commits, at 1,000, do it instead: one an API request made cost it
# 3-12 ms, one accept in forty (bench_delivery). Without workers the log stops at 40 MB. (Only
# where the app is the process's first opening: gunicorn's; `gatepost serve` keeps 1,000.)
WEB_CHECKPOINT_PAGES = 10_000
UNAVAILABLE_TEXT = "Service temporarily unavailable: the database cannot be reached"
CRASH_TEXT = "API command failed"


class Gatepost(Flask):
    """Flask asking `inspect` whether a view or hook is a coroutine function once per function,
    not on each of its calls (11 times an accept); none of ours is, and the answer never changes."""

    def ensure_sync(self, func):
        try:
            return self._synced[func]
        except KeyError:
            self._synced[func] = synced = super().ensure_sync(func)
            return synced
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)

    def __init__(self, *args, **kwargs):
        self._synced: dict = {}
        super().__init__(*args, **kwargs)


def create_app(settings: config.Settings | None = None) -> Flask:
    settings = config.use(settings or config.current())
    db.open_database(settings.database_url, settings.db_max_connections, checkpoint_pages=WEB_CHECKPOINT_PAGES)
    logs.configure(settings.log_format)
    app = Gatepost(__name__)
    app.json.sort_keys = False  # the envelope reads Success, ErrorCode, ErrorText first
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # larger bodies: 413, unread
    app.before_request(_start)
    app.after_request(_finish)
    db.init_app(app, skip=("health.healthz",))
    app.register_blueprint(health.blueprint)
    for dialect in DIALECTS:
        dialect.init_app(app, settings)
    app.register_error_handler(Exception, _error)
    return app


def _start():
    g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
    logs.request_id.set(g.request_id)


def _finish(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    endpoint = g.get("command") or (request.url_rule.rule if request.url_rule else "unknown")
    dialect = _owner(request.path)
    metrics.REQUESTS.labels(dialect.NAME if dialect else "other", endpoint, response.status_code).inc()
    return response


def _owner(path: str):
    return next((d for d in DIALECTS if d.owns(path)), None)


def _error(exc: Exception):
    """Routing errors, a database that is down (503 with Retry-After), or a crash (logged, never a
    traceback), in the shape of the dialect the path belongs to."""
    headers = {}
    if isinstance(exc, HTTPException):
        status, text = exc.code or 500, exc.description
    elif isinstance(exc, db.UNAVAILABLE):
        log.error("database unavailable: %s", exc)
        status, text, headers = 503, UNAVAILABLE_TEXT, {"Retry-After": health.RETRY_AFTER}
    else:
        log.exception("%s %s failed", request.method, request.path)
        status, text = 500, CRASH_TEXT
    dialect = _owner(request.path)
    if dialect is not None:
        return dialect.render_error(status, text, headers)
    if isinstance(exc, HTTPException):
        return exc
    return Response(text, status, headers, mimetype="text/plain")
