"""The recipients' side: the open pixel, click redirects and the unsubscribe page, under /t/ on
the installation's tracking host and the sender domains' verified tracking CNAMEs. A forged or
damaged token, a domain that is no longer Enabled, or a token under another domain's tracking
host is a 404: never an open redirect."""
from __future__ import annotations

import base64
from html import escape

from flask import Blueprint, Flask, Response, redirect, request
from werkzeug.urls import iri_to_uri

from services import engagement
from services.errors import NotFound

blueprint = Blueprint("tracking", __name__, url_prefix="/t")
NAME = "tracking"
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def init_app(app: Flask, settings) -> None:
    app.register_blueprint(blueprint)


def owns(path: str) -> bool:
    return path.startswith("/t/")


def render_error(status: int, text: str, headers: dict) -> Response:
    """Recipients see plain text, never a traceback."""
    return Response(text, status, headers, mimetype="text/plain")


def _client() -> dict:
    return {"host": request.host, "user_agent": request.headers.get("User-Agent", ""), "ip": request.remote_addr or ""}


@blueprint.errorhandler(NotFound)
def _not_found(exc):
    return Response("Not found", 404, mimetype="text/plain")


@blueprint.get("/o/<token>.gif")
def opened(token: str):
    engagement.opened(token, **_client())
    return Response(PIXEL, 200, NO_STORE, mimetype="image/gif")


@blueprint.get("/c/<token>")
def clicked(token: str):
    # a URL in plain ASCII: a raw non-Latin-1 character cannot go into a header at all
    response = redirect(iri_to_uri(engagement.clicked(token, **_client())), 302)
    response.headers.update(NO_STORE)
    return response


PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">
{body}</body></html>"""


@blueprint.get("/u/<token>")
def unsubscribe_page(token: str):
    """A confirmation page: a GET (a mail scanner following links) must not unsubscribe anyone."""
    delivery = engagement.check_unsubscribe(token, host=request.host)
    body = (f"<h1>Unsubscribe</h1><p>Stop mail from {escape(delivery.message.domain.name)} to "
            f"<b>{escape(delivery.recipient)}</b>?</p><form method=post><button name=confirm value=1>"
            "Unsubscribe</button></form>")
    return Response(PAGE.format(title="Unsubscribe", body=body), 200, NO_STORE, mimetype="text/html")


@blueprint.post("/u/<token>")
def unsubscribe(token: str):
    """RFC 8058 one-click (List-Unsubscribe=One-Click, no cookie, no login) or the page's button."""
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click and request.form.get("confirm") != "1":
        raise NotFound()
    delivery = engagement.unsubscribed(token, how="one-click" if one_click else "page", **_client())
    body = f"<h1>Unsubscribed</h1><p>{escape(delivery.recipient)} will get no more mail from this sender.</p>"
    return Response(PAGE.format(title="Unsubscribed", body=body), 200, NO_STORE, mimetype="text/html")
