"""create_app(settings) -> Flask: one database per process, opened per request; the dialects."""
from __future__ import annotations

import logging

from flask import Flask

import api_v1
import commands  # noqa: F401  (importing it registers the /api.php commands)
import config
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
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()

    app.register_blueprint(api_php)
    api_v1.init_app(app, settings.api_rate_limit, settings.ratelimit_storage)
    return app
