"""SMTP credentials of a domain: list, create (the guide's `{name}` or the reference's
`{username}`; the password is shown once), get, delete, reset password (guide `POST`,
reference `PUT`). They are the domain's SMTP credentials (Octeth's AddSMTP ones): they log in
to the SMTP listener and to the send calls here.

A credential answers both shapes: the reference's `id` (int), `user_smtp_guid` and `username`,
and the guide's `name`. Paths take the id, `cred_<id>`, the `user_smtp_guid` or the username.
"""
from __future__ import annotations

from dialects.kirim.resource import (account_domain, blueprint, invalid, iso, ok, pagination, paging, params, row_id,
                                     text, unix)
from edge.errors import Declared, declares
from models import SenderDomain, SMTPCredential, User
from services import smtp_credentials
from services.errors import InvalidSMTPDefaults, SMTPCredentialExists, SMTPCredentialNotFound

NOT_FOUND = Declared(SMTPCredentialNotFound, "credential_not_found", 404, "Credential not found")


def view(row: SMTPCredential, domain: SenderDomain) -> dict:
    return {"id": row.id, "user_smtp_guid": f"cred_{row.id}", "username": row.username, "name": row.name,
            "domain": domain.name, "status": row.status == "Enabled", "created_at": unix(row.created_at),
            "modified_at": unix(row.created_at), "created_at_iso": iso(row.created_at)}


def _credential(user: User, domain: SenderDomain, ident: str) -> SMTPCredential:
    if "@" in ident or not ident.removeprefix("cred_").isdigit():
        wanted = ident.strip().lower()
        wanted = wanted if "@" in wanted else f"{wanted}@{domain.name}"
        for row in smtp_credentials.list_for(user, domain.id):
            if row.username == wanted:
                return row
        raise SMTPCredentialNotFound()
    row = smtp_credentials.get(user, row_id(ident, ("cred_",), SMTPCredentialNotFound))
    if row.domain_id != domain.id:
        raise SMTPCredentialNotFound()
    return row


@blueprint.get("/domains/<name>/credentials")
def list_credentials(name):
    user, domain = account_domain(name)
    page, limit, offset = paging(params())
    rows = smtp_credentials.list_for(user, domain.id)
    return ok([view(r, domain) for r in rows[offset:offset + limit]],
              pagination=pagination(len(rows), page, limit, offset))


@blueprint.post("/domains/<name>/credentials")
@declares(Declared(InvalidSMTPDefaults, "username", 422), Declared(SMTPCredentialExists, "username", 422))
def create_credential(name):
    user, domain = account_domain(name)
    values = params()
    label = text(values, "name", limit=255)
    username = text(values, "username", limit=255)
    if not label and not username:
        raise invalid("username", "The username (or name) field is required.")
    row, password = smtp_credentials.add(user, domain.id, name=label or username, username=username)
    shown = {**view(row, domain), "password": password}
    return ok({**shown, "credential": view(row, domain), "password": password, "remote_synced": True},
              "Credential created successfully.", 201)


@blueprint.get("/domains/<name>/credentials/<ident>")
@declares(NOT_FOUND)
def get_credential(name, ident):
    user, domain = account_domain(name)
    return ok(view(_credential(user, domain, ident), domain))


@blueprint.delete("/domains/<name>/credentials/<ident>")
@declares(NOT_FOUND)
def delete_credential(name, ident):
    user, domain = account_domain(name)
    smtp_credentials.delete(user, _credential(user, domain, ident).id)
    return ok(message="Credential deleted successfully.")


@blueprint.route("/domains/<name>/credentials/<ident>/reset-password", methods=["POST", "PUT"])
@declares(NOT_FOUND)
def reset_password(name, ident):
    user, domain = account_domain(name)
    row, password = smtp_credentials.reset_password(user, _credential(user, domain, ident).id)
    return ok({**view(row, domain), "credential": view(row, domain), "password": password, "new_password": password},
              "Password reset successfully.")
