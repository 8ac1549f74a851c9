"""Keys and credentials: sender-domain API keys, SMTP credentials and the other dialects'
credentials. A secret appears once, in the answer to the POST that made it (never stored in
the session, never rendered again; the page is not cached)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

import config
from services import api_keys, credentials, domains, smtp_credentials
from ui.web import blueprint, checked, field, number


def _keys_page(domain_id: int, secret: dict | None = None):
    found = domains.get(g.user, domain_id)
    settings = config.current()
    return render_template("keys.html", domain=found, keys=api_keys.list_for(g.user, domain_id),
                           smtp=smtp_credentials.list_for(g.user, domain_id), secret=secret,
                           smtp_host=settings.smtp_host, smtp_ports=settings.smtp_ports)


@blueprint.get("/domains/<int:domain_id>/keys")
def domain_keys(domain_id: int):
    return _keys_page(domain_id)


@blueprint.post("/domains/<int:domain_id>/keys")
def create_key(domain_id: int):
    row, key = api_keys.add(g.user, domain_id, field("description") or "dashboard")
    return _keys_page(domain_id, {"title": f"API key “{row.description}”", "values": [("API key", key)]})


@blueprint.post("/keys/<int:key_id>/revoke")
def revoke_key(key_id: int):
    row = api_keys.get(g.user, key_id)
    api_keys.delete(g.user, key_id)
    flash(f"API key “{row.description}” revoked.", "ok")
    return redirect(url_for("ui.domain_keys", domain_id=row.domain_id))


@blueprint.post("/domains/<int:domain_id>/smtp")
def create_smtp(domain_id: int):
    row, password = smtp_credentials.add(g.user, domain_id, from_email=field("from_email"), from_name=field("from_name"))
    return _keys_page(domain_id, {"title": "SMTP credential", "values": [("Username", row.username), ("Password", password)]})


@blueprint.post("/smtp/<int:smtp_id>/reset")
def reset_smtp(smtp_id: int):
    row, password = smtp_credentials.reset_password(g.user, smtp_id)
    return _keys_page(row.domain_id, {"title": "New SMTP password", "values": [("Username", row.username), ("Password", password)]})


@blueprint.post("/smtp/<int:smtp_id>/revoke")
def revoke_smtp(smtp_id: int):
    row = smtp_credentials.get(g.user, smtp_id)
    smtp_credentials.delete(g.user, smtp_id)
    flash(f"SMTP credential {row.username} revoked.", "ok")
    return redirect(url_for("ui.domain_keys", domain_id=row.domain_id))


ISSUABLE = [kind for kind in credentials.KINDS.values() if kind.issued_by_operator]


def _credentials_page(secret: dict | None = None):
    rows = [credentials.view(row) for row in credentials.list_for(g.user)]
    return render_template("credentials.html", credentials=rows, kinds=ISSUABLE, domains=domains.list_for(g.user),
                           secret=secret)


@blueprint.get("/credentials", endpoint="credentials")
def credentials_page():
    return _credentials_page()



@blueprint.post("/credentials")
def create_credential():
    domain_id = number("domain")
    domain = domains.get(g.user, domain_id) if domain_id else None
    row, shown = credentials.issue(g.user, field("kind"), domain=domain, name=field("name"), test=checked("test"))
    return _credentials_page({"title": f"{row.kind} credential", "values": [(k, str(v)) for k, v in shown.items()]})


@blueprint.post("/credentials/<int:credential_id>/revoke")
def revoke_credential(credential_id: int):
    credentials.revoke(g.user, credential_id)
    flash("Credential revoked.", "ok")
    return redirect(url_for("ui.credentials"))
