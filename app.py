"""create_app(settings) -> Flask: one database per process, opened per request; the dialects."""
from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import HTTPException

import api_v1
import commands  # noqa: F401  (importing it registers the /api.php commands)
import config
import tracking
from commands import envelope
from commands.dispatcher import blueprint as api_php
from models.db import database, open_database


def create_app(settings: config.Settings | None = None) -> Flask:
    settings = config.use(settings or config.current())
    open_database(settings.database_url)
    app = Flask(__name__)
    app.json.sort_keys = False  # the envelope reads Success, ErrorCode, ErrorText first
    logging.basicConfig(level=logging.INFO)

    @app.before_request
    def _connect():
        if request.endpoint != "healthz":
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()

    @app.get("/healthz")
    def healthz():
        """The process is up (no database touched): for load balancers, and the bare baseline of bench/."""
        return {"status": "ok"}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        """Routing errors answer in the dialect of the path that was asked for."""
        if request.path.startswith("/api/v1"):
            return api_v1.http_error(exc)
        if request.path == "/api.php":
            return envelope.render(envelope.hard_failure(100001, "Invalid connection method"), 400)
        return exc

    app.register_blueprint(api_php)
    app.register_blueprint(tracking.blueprint)
    api_v1.init_app(app, settings.api_rate_limit, settings.ratelimit_storage)
    return app
