"""Domains: list, create, get, update (tracking switches), delete; and DNS verification in
both spellings, over the one verification service (every call checks every record and applies
the status rules; each answers the records it is about, with why each passes or not):

- mandatory (guide `verify-mx`, reference `verify-mandatory`): ownership, DKIM, the return
  path's MX and SPF, DMARC;
- authentication (guide `setup-auth`, reference `setup-auth-domain` / `verify-auth-domain`):
  DKIM, return-path MX and SPF; `setup-auth-domain {auth_domain}` chooses the return-path host
  (`mail` or `mail.example.com`), `DELETE auth-domain` goes back to the default;
- tracking (guide `setup-tracking`, reference `setup-tracklink {tracking_domain}` /
  `verify-tracklink`): the tracking CNAME; `DELETE tracklink` stops asking for it.

A domain's fields are the reference's (int `id`, `tracklink_domain`, `dns_selector`, ... with
`created_at`/`modified_at` in unix seconds) and the guide's `status` ("verified", "pending", ...)
where the two differ; `is_verified` and `is_active` say it as booleans.
"""
from __future__ import annotations

from dialects.kirim.resource import (account, account_domain, blueprint, domain_of, flag, integer, invalid, ok, pagination,
                                     paging, params, text, unix)
from dialects.kirim.vocabulary import DOMAIN_STATUS
from edge.errors import Declared, declares
from models import SenderDomain
from models.vocabulary import DomainStatus
from services import dns_records, domains, verification
from services.errors import DomainLimitReached, DomainNotFound, DomainLocked, InvalidDomainName, InvalidDomainOption

MANDATORY = ("ownership", "dkim", "return-path", "spf", "dmarc")
AUTHENTICATION = ("dkim", "return-path", "spf")
TRACKING = ("tracking",)
TRACKING_SWITCHES = {"click_track": "link_tracking", "open_track": "open_tracking", "unsub_track": "unsubscribe_link"}


def view(domain: SenderDomain) -> dict:
    passed = verification.last_results(domain)
    records = {r.purpose: r for r in dns_records.records(domain)}
    tracking = records.get("tracking")
    return {
        "id": domain.id, "domain": domain.name, "status": DOMAIN_STATUS.get(domain.status, domain.status.lower()),
        "is_verified": domain.status == DomainStatus.ENABLED, "is_active": domain.status == DomainStatus.ENABLED,
        "status_reason": domain.status_reason,
        "auth_domain": dns_records.return_path_host(domain),
        "auth_domain_is_verified": all(passed.get(p, False) for p in AUTHENTICATION),
        "tracklink_domain": tracking.host if tracking else "",
        "tracklink_domain_is_verified": bool(tracking) and passed.get("tracking", False),
        "dns_selector": domain.dkim_selector, "dns_record": records["dkim"].value,
        "spf_record": records["spf"].value,
        "dkim_key_length": 1024 if len(domain.dkim_public_key) < 300 else 2048,
        "click_track": domain.link_tracking, "open_track": domain.open_tracking,
        "unsub_track": domain.unsubscribe_link,
        "dns_records": [record_view(r) for r in records.values()],
        "created_at": unix(domain.created_at), "modified_at": unix(domain.verified_at or domain.created_at),
    }


def record_view(record, check=None) -> dict:
    found = {"purpose": record.purpose, "type": record.type, "host": record.host, "value": record.value}
    if check is not None:
        found.update(verified=check.verified, reason=check.reason or "found as expected")
    return found


@blueprint.get("/domains")
def list_domains():
    user = account()
    values = params()
    page, limit, offset = paging(values)
    search = text(values, "search", limit=253).strip().lower()
    found = [d for d in domains.list_for(user) if search in d.name]
    return ok([view(d) for d in found[offset:offset + limit]], pagination=pagination(len(found), page, limit, offset))


@blueprint.post("/domains")
@declares(Declared(InvalidDomainName, "domain", 422, "The domain must be a valid domain name."),
          Declared(DomainLimitReached, "domain_limit_reached", 403), Declared(InvalidDomainOption, "dkim_key_length", 422))
def create_domain():
    user = account()
    values = params()
    name = text(values, "domain", required=True, limit=253)
    bits = integer(values, "dkim_key_length", 2048, 1024, 2048)
    if bits not in domains.DKIM_KEY_BITS:
        raise invalid("dkim_key_length", "The dkim_key_length must be 1024 or 2048.")
    try:
        domains.by_name(user, name)
    except DomainNotFound:
        pass
    else:
        raise invalid("domain", "The domain has already been taken.")
    domain = domains.add(user, name, dkim_bits=bits)
    return ok(view(domain), "Domain created successfully.", 201)


@blueprint.get("/domains/<name>")
def get_domain(name):
    return ok(view(domain_of(account(), name)))


@blueprint.route("/domains/<name>", methods=["PUT", "PATCH"])
def update_domain(name):
    user, domain = account_domain(name)
    values = params()
    changes = {column: flag(values, key) for key, column in TRACKING_SWITCHES.items()}
    domain, _ = domains.update(user, domain.id, **changes)
    return ok(view(domain), "Domain updated successfully.")


@blueprint.delete("/domains/<name>")
@declares(Declared(DomainLocked, "domain_locked", 403))
def delete_domain(name):
    user, domain = account_domain(name)
    domains.delete(user, domain.id)
    return ok(message="Domain deleted successfully.")


def _verify(domain: SenderDomain, purposes: tuple[str, ...], what: str):
    checks = [c for c in verification.verify(domain) if c.record.purpose in purposes]
    verified = bool(checks) and all(c.verified for c in checks)
    message = f"{what} verified." if verified else f"{what} not verified yet: " + "; ".join(
        f"{c.record.purpose} ({c.reason})" for c in checks if not c.verified)
    return ok({"domain": domain.name, "verified": verified, "status": DOMAIN_STATUS.get(domain.status, domain.status),
               "records": [record_view(c.record, c) for c in checks]}, message)


@blueprint.post("/domains/<name>/verify-mx")
@blueprint.post("/domains/<name>/verify-mandatory")
def verify_mandatory(name):
    return _verify(domain_of(account(), name), MANDATORY, "Mandatory DNS records")


def _subdomain(domain: SenderDomain, given: str, field: str) -> str:
    """A host on the domain (`mail.example.com`) or its first label(s) (`mail`), as a label."""
    host = given.strip().lower().rstrip(".")
    if host.endswith("." + domain.name):
        host = host[: -len(domain.name) - 1]
    if not host or host == domain.name or "." in host and field == "auth_domain":
        raise invalid(field, f"The {field} must be a host of {domain.name}, such as mail.{domain.name}.")
    return host


@blueprint.post("/domains/<name>/setup-auth")
@blueprint.post("/domains/<name>/setup-auth-domain")
@blueprint.post("/domains/<name>/verify-auth-domain")
@declares(Declared(InvalidDomainOption, "auth_domain", 422))
def verify_auth_domain(name):
    user, domain = account_domain(name)
    values = params()
    given = text(values, "auth_domain", limit=253) or text(values, "subdomain", limit=253)
    if given:
        domain, _ = domains.update(user, domain.id, subdomain=_subdomain(domain, given, "auth_domain"))
    return _verify(domain, AUTHENTICATION, "Authentication domain")


@blueprint.post("/domains/<name>/setup-tracking")
@blueprint.post("/domains/<name>/setup-tracklink")
@blueprint.post("/domains/<name>/verify-tracklink")
@declares(Declared(InvalidDomainOption, "tracking_domain", 422))
def verify_tracklink(name):
    """`tracking_domain` is `<prefix>-<return path label>.<domain>`, `<prefix>.<return path
    label>.<domain>` (the hosts Gatepost's tracking CNAME can have) or just `<prefix>`."""
    user, domain = account_domain(name)
    given = text(params(), "tracking_domain", limit=253)
    changes = {"track_prefix_disabled": False}
    if given:
        host, sub = _subdomain(domain, given, "tracking_domain"), dns_records.return_path_host(domain).split(".")[0]
        for merge in ("-", "."):
            if host.endswith(merge + sub):
                changes.update(track_prefix=host[: -len(merge + sub)], track_merge=merge)
                break
        else:
            if "." in host:
                raise invalid("tracking_domain", f"The tracking_domain must be <prefix>-{sub}.{domain.name} or "
                                                 f"<prefix>.{sub}.{domain.name}.")
            changes.update(track_prefix=host, track_merge="-")
    domain, _ = domains.update(user, domain.id, **changes)
    return _verify(domain, TRACKING, "Tracking domain")


@blueprint.delete("/domains/<name>/auth-domain")
def delete_auth_domain(name):
    user, domain = account_domain(name)
    domain, _ = domains.update(user, domain.id, subdomain="")
    return ok(view(domain), "Authentication domain removed; the default return-path host is used.")


@blueprint.delete("/domains/<name>/tracklink")
def delete_tracklink(name):
    user, domain = account_domain(name)
    domain, _ = domains.update(user, domain.id, track_prefix_disabled=True)
    return ok(view(domain), "Tracking domain removed.")
