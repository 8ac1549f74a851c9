"""What every dashboard page shares: the blueprint, the signed-in user, the CSRF token, form
helpers, and how a refused action comes back to the page as a message.

The browser holds Flask's signed session cookie (HttpOnly, SameSite=Lax) with two values: the
Gatepost session id (a Session row, as User.Login opens: logging out, an expiry or disabling the
user ends it on the server) and the CSRF token every form carries back (the synchronizer token
pattern; compared in constant time before any POST handler runs)."""
from __future__ import annotations

import functools
import secrets
from urllib.parse import urlsplit

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request, session,
                   url_for)

from services import accounts
from services.errors import AuthenticationFailed, GatewayError, NotFound

blueprint = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates", static_folder="static")
PUBLIC = {"ui.login", "ui.static"}
FAILURES = "gatepost.ui_failed_logins"  # app.extensions key of the failed sign-in counters (ui.init_app)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
}


class BadInput(GatewayError):
    """The form has a value that cannot be read"""


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@blueprint.before_request
def _authenticate():
    g.user = None
    if request.endpoint == "ui.static":
        return None
    if session.get("sid"):
        try:
            g.user = accounts.user_by_session(session["sid"])
        except AuthenticationFailed:
            session.pop("sid", None)
    if request.method == "POST":
        sent, kept = request.form.get("csrf_token", ""), session.get("csrf", "")
        if not kept or not secrets.compare_digest(sent.encode(), kept.encode()):
            return render_template("error.html", status=400, text="This form has expired. Reload the page and try again."), 400
    if g.user is None and request.endpoint not in PUBLIC:
        return redirect(url_for("ui.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "ui.static":
        response.headers.setdefault("Cache-Control", "no-store")  # pages may hold a secret shown once
    return response


@blueprint.app_template_global()
def csrf_field():
    from markupsafe import Markup, escape

    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')


@blueprint.context_processor
def _globals():
    return {"user": g.get("user"), "is_operator": bool(g.get("user")) and accounts.is_operator(g.user)}


@blueprint.errorhandler(GatewayError)
def _refused(exc: GatewayError):
    """A refused action: back to the page it came from with the reason; a missing object is a 404."""
    if isinstance(exc, NotFound):
        return render_template("error.html", status=404, text=str(exc)), 404
    if request.method != "POST":
        return render_template("error.html", status=400, text=str(exc)), 400
    flash(str(exc), "error")
    return redirect(back())


def back() -> str:
    """The page a form was posted from (same site only), else the dashboard's front page."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc == request.host and parts.path.startswith("/ui/"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("ui.index")


def operator_only(view):
    """Operator pages: a 404 for everyone else (they do not learn the page exists)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not accounts.is_operator(g.user):
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def field(name: str, default: str = "") -> str:
    return (request.values.get(name) or default).strip()


def number(name: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = field(name)
    if not value:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise BadInput(f"{name} must be a whole number") from None
    if parsed < minimum:
        raise BadInput(f"{name} must be at least {minimum}")
    return parsed


def checked(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true")
