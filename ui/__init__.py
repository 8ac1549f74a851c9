"""The dashboard: server-rendered pages (Jinja2, a little plain JavaScript, no build step) for
the people who use and run Gatepost, over the same services as every dialect, under /ui/
(and `/`, which leads there). Tenancy is the services': every call names the signed-in user."""
from __future__ import annotations

import datetime

from flask import Flask, Response, redirect, render_template, url_for
from flask.sessions import SecureCookieSessionInterface

from services import accounts, secrets
from ui import auth, content, domains, keys, messages, operator, stats, suppressions, webhooks  # noqa: F401 (routes)
from ui.web import FAILURES, blueprint

NAME = "ui"


def init_app(app: Flask, settings) -> None:
    app.secret_key = secrets.derive(settings.secret_key, b"gatepost dashboard session")
    app.session_interface = DashboardSessions()
    app.config.update(SESSION_COOKIE_NAME="gatepost_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.ui_secure_cookie)
    # scope "login", as User.Login's: with a shared (redis) store both count against one budget
    app.extensions[FAILURES] = accounts.FailedLogins(
        settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "login")
    app.jinja_env.finalize = _shown  # the dashboard's are the app's only templates
    app.register_blueprint(blueprint)
    app.add_url_rule("/", "ui_root", lambda: redirect(url_for("ui.index")))


class DashboardSessions(SecureCookieSessionInterface):
    """The signed cookie session, opened on the dashboard's paths only: no dialect uses it, and
    opening it (a signing serializer built per request) was a twentieth of /healthz's time."""

    def open_session(self, app, request):
        return super().open_session(app, request) if owns(request.path) else self.make_null_session(app)


def _shown(value):
    """Times to the second (they are UTC everywhere inside; pages say so)."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime.datetime) else value


def owns(path: str) -> bool:
    return path == "/" or path == "/ui" or path.startswith("/ui/")


def render_error(status: int, text: str, headers: dict) -> Response:
    """A plain page (no navigation: it must render with the database down too)."""
    return Response(render_template("error.html", status=status, text=text), status, headers, mimetype="text/html")
