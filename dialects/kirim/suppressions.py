"""Suppressions: list all, bounces, unsubscribes or the whitelist (`type`, `search`, `page`,
`limit`/`per_page`); add to the whitelist (`recipient`, `recipient_type` email or domain,
`description`): a whitelisted address or domain is never suppressed, and an earlier suppression
of it no longer blocks; delete by `ids` — over the suppression service.

Suppressions are the account's (Gatepost keeps them per user, not per domain): every domain's
path shows the same list. Kirim.Email's `bounce` type is a hard bounce or repeated soft ones;
`unsubscribe` is an unsubscribe, a complaint or an operator's entry.
"""
from __future__ import annotations

from dialects.kirim.resource import (account, account_domain, blueprint, domain_of, invalid, ok, pagination, paging,
                                     params, text, unix)
from dialects.kirim.vocabulary import SUPPRESSION_TYPE_OF, SUPPRESSION_TYPES
from models import Suppression, SuppressionAllow
from services import addresses, domains, suppressions
from services.errors import InvalidAddress, InvalidDomainName

PATH_TYPES = {"bounces": "bounce", "unsubscribes": "unsubscribe", "whitelist": "whitelist"}
TYPES = ("bounce", "unsubscribe", "whitelist")


def view(row: Suppression) -> dict:
    return {"id": row.id, "type": SUPPRESSION_TYPE_OF.get(row.reason, "unsubscribe"), "recipient_type": "email",
            "recipient": row.email, "tags": [], "description": row.detail, "source": row.reason,
            "created_at": unix(row.created_at)}


def allowed_view(row: SuppressionAllow) -> dict:
    return {"id": row.id, "type": "whitelist", "recipient_type": row.recipient_type, "recipient": row.recipient,
            "tags": [], "description": row.description, "source": "api", "created_at": unix(row.created_at)}


def _list(name: str, kind: str | None):
    user = account()
    values = params()
    domain_of(user, name)
    kind = kind or text(values, "type", limit=20).strip().lower().rstrip("s") or None
    if kind is not None and kind not in TYPES:
        raise invalid("type", "The type must be one of: bounce, unsubscribe, whitelist.")
    page, limit, offset = paging(values)
    search = text(values, "search", limit=320)
    if kind == "whitelist":
        total, rows = suppressions.allowed_page(user, search, offset, limit)
        items = [allowed_view(r) for r in rows]
    else:
        total, rows = suppressions.page(user, reasons=SUPPRESSION_TYPES[kind] if kind else None, search=search,
                                        offset=offset, limit=limit)
        items = [view(r) for r in rows]
    return ok(items, pagination=pagination(total, page, limit, offset))


@blueprint.get("/domains/<name>/suppressions")
def list_suppressions(name):
    return _list(name, None)


@blueprint.get("/domains/<name>/suppressions/<kind>")
def list_suppressions_of(name, kind):
    if kind not in PATH_TYPES:
        raise invalid("type", "The type must be one of: bounces, unsubscribes, whitelist.")
    return _list(name, PATH_TYPES[kind])


@blueprint.post("/domains/<name>/suppressions/whitelist")
def add_to_whitelist(name):
    user, _ = account_domain(name)
    values = params()
    recipient = text(values, "recipient", required=True, limit=320).strip()
    kind = text(values, "recipient_type", limit=10).strip().lower() or ("email" if "@" in recipient else "domain")
    try:
        if kind == "email":
            recipient = addresses.normalize_address(recipient)
        elif kind == "domain":
            recipient = domains.normalize_name(recipient)
        else:
            raise invalid("recipient_type", "The recipient_type must be email or domain.")
    except (InvalidAddress, InvalidDomainName):
        raise invalid("recipient", f"The recipient must be a valid {'email address' if kind == 'email' else 'domain'}.") \
            from None
    row = suppressions.allow(user, recipient, kind, text(values, "description", limit=1000))
    return ok(allowed_view(row), "Recipient added to the whitelist.", 201)


@blueprint.delete("/domains/<name>/suppressions/<kind>")
def delete_suppressions(name, kind):
    """`ids` as a JSON array, a form list (`ids[]=1&ids[]=2`) or a comma-separated string."""
    user, _ = account_domain(name)
    if kind not in PATH_TYPES:
        raise invalid("type", "The type must be one of: bounces, unsubscribes, whitelist.")
    given = params().get("ids")
    items = given if isinstance(given, list) else str(given or "").split(",")
    try:
        ids = [int(str(i).strip()) for i in items if str(i).strip()]
    except ValueError:
        raise invalid("ids", "The ids field must be an array of integers.") from None
    if not ids:
        raise invalid("ids", "The ids field is required.")
    ids = [i for i in ids if 0 < i < 2**63]
    if PATH_TYPES[kind] == "whitelist":
        removed = suppressions.disallow_ids(user, ids)
    else:
        removed = suppressions.remove_ids(user, ids, SUPPRESSION_TYPES[PATH_TYPES[kind]])
    return ok({"deleted": removed}, f"{removed} suppression(s) deleted.")
