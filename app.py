"""create_app(settings) -> Flask: one database per process, opened per request; the dialects;
health, readiness and metrics for the operator."""
from __future__ import annotations

import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

import api_v1
import commands  # noqa: F401  (importing it registers the /api.php commands)
import config
import logs
import tracking
from commands import envelope
from commands.dispatcher import blueprint as api_php
from models.db import UNAVAILABLE, database, open_database, pending_migrations
from services import metrics

RETRY_AFTER = "30"
UNAVAILABLE_TEXT = "Service temporarily unavailable: the database cannot be reached"


def create_app(settings: config.Settings | None = None) -> Flask:
    settings = config.use(settings or config.current())
    open_database(settings.database_url, settings.db_max_connections)
    logs.configure(settings.log_format)
    app = Flask(__name__)
    app.json.sort_keys = False  # the envelope reads Success, ErrorCode, ErrorText first

    @app.before_request
    def _start():
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        logs.request_id.set(g.request_id)
        if request.endpoint not in ("healthz", None):
            database.connect(reuse_if_open=True)

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        dialect = "api.php" if request.path == "/api.php" else request.blueprint or "other"
        endpoint = g.get("command") or (request.url_rule.rule if request.url_rule else "unknown")
        metrics.REQUESTS.labels(dialect, endpoint, response.status_code).inc()
        return response

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()

    @app.get("/healthz")
    def healthz():
        """The process is up (no database touched): for load balancers, and the bare baseline of bench/."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """Ready for traffic: the database answers and every migration is applied."""
        pending = pending_migrations()
        if pending:
            return {"status": "migrations pending", "pending": pending}, 503, {"Retry-After": RETRY_AFTER}
        return {"status": "ready"}

    @app.get("/metrics")
    def prometheus():
        return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")

    def _database_down(exc):
        app.logger.error("database unavailable: %s", exc)
        return unavailable(request.path)

    for kind in UNAVAILABLE:
        app.register_error_handler(kind, _database_down)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        """Routing errors answer in the dialect of the path that was asked for."""
        if request.path.startswith("/api/v1"):
            return api_v1.http_error(exc)
        if request.path == "/api.php" and exc.code == 405:
            return envelope.render(envelope.hard_failure(100001, "Invalid connection method"), 400)
        if request.path == "/api.php":
            return envelope.render(envelope.hard_failure(100005, "API command failed"), exc.code or 500)
        return exc

    app.register_blueprint(api_php)
    app.register_blueprint(tracking.blueprint)
    api_v1.init_app(app, settings.api_rate_limit, settings.ratelimit_storage)
    return app


def unavailable(path: str) -> Response:
    """503 with Retry-After, in the shape of the dialect asked for."""
    headers = {"Retry-After": RETRY_AFTER}
    if path.startswith("/api/v1"):
        return api_v1.error_response([(503, UNAVAILABLE_TEXT)], 503, headers)
    if path == "/api.php":
        return envelope.render(envelope.hard_failure(100005, UNAVAILABLE_TEXT), 503, headers=headers)
    return Response(UNAVAILABLE_TEXT, 503, headers, mimetype="text/plain")
