"""Signing in and out with the Gatepost user's email and password (services.accounts)."""
from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, session, url_for

from services import accounts
from services.errors import InvalidLogin
from ui.web import FAILURES, blueprint, csrf_token, field


def _safe_next(target: str) -> str:
    """Only a dashboard path: never an open redirect."""
    return target if target.startswith("/ui/") and not target.startswith("//") else url_for("ui.index")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.user is not None:
            return redirect(url_for("ui.index"))
        csrf_token()
        return render_template("login.html", next=request.args.get("next", ""))
    email, password, address = field("email"), request.form.get("password", ""), request.remote_addr or "?"
    failures = current_app.extensions[FAILURES]
    if not failures.allowed(email, address):
        wait = failures.retry_after(email, address)
        return render_template("login.html", email=email, next=field("next"),
                               error=f"Too many failed sign-ins. Try again in {wait} seconds."), 429, {"Retry-After": str(wait)}
    try:
        token, _ = accounts.login(email, password)
    except InvalidLogin:
        failures.failed(email, address)
        return render_template("login.html", email=email, next=field("next"), error="Wrong email or password."), 401
    session.clear()  # a new session and CSRF token after sign-in: no fixation
    session["sid"] = token
    csrf_token()
    return redirect(_safe_next(field("next")))


@blueprint.post("/logout")
def logout():
    accounts.logout(session.get("sid", ""))
    session.clear()
    return redirect(url_for("ui.login"))


@blueprint.get("/")
def index():
    return redirect(url_for("ui.domains"))
