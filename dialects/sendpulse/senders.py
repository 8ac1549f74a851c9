"""Senders, sending IPs and sender domains: `/senders`, `/smtp/senders`, `/smtp/ips`, the v2
`/v2/email-service/smtp/sender_domains` calls, and the legacy `/smtp/domains` calls pysendpulse
still makes. A sender domain is a Gatepost sender domain: adding one starts its DNS
verification (`gatepost domain records` shows what to publish); `checks` are its last results."""
from __future__ import annotations

from flask import jsonify

from dialects.sendpulse.resource import blueprint, params, refuse, user
from edge.errors import Declared, declares
from models.vocabulary import DomainStatus
from services import dns_records, domains, senders, verification
from services.addresses import normalize_address
from services.errors import (DomainLimitReached, DomainLocked, DomainNotFound, ForeignSender, InvalidAddress,
                             InvalidDomainName)

SENDER_ERRORS = (Declared(InvalidAddress, 400, 400), Declared(ForeignSender, 400, 400),
                 Declared(senders.SenderNotFound, 404, 404))
DOMAIN_ERRORS = (Declared(InvalidDomainName, 400, 400), Declared(DomainLimitReached, 403, 403),
                 Declared(DomainLocked, 403, 403), Declared(DomainNotFound, 404, 404),
                 Declared(InvalidAddress, 400, 400))


@blueprint.get("/senders")
def list_senders():
    return jsonify([{"name": s.name, "email": s.email,
                     "status": "Active" if s.domain.status == DomainStatus.ENABLED else "Inactive"}
                    for s in senders.list_for(user())])


@blueprint.get("/smtp/senders")
def smtp_senders():
    return jsonify([s.email for s in senders.list_for(user()) if s.domain.status == DomainStatus.ENABLED])


@blueprint.post("/senders")
@declares(*SENDER_ERRORS)
def add_sender():
    values = params()
    email, name = str(values.get("email") or "").strip(), str(values.get("name") or "").strip()
    if not email or not name:
        raise refuse(400, "email and name are required")
    senders.name(user(), email, name)
    return jsonify({"result": True})


@blueprint.delete("/senders")
@declares(*SENDER_ERRORS)
def delete_sender():
    senders.remove(user(), str(params().get("email") or ""))
    return jsonify({"result": True})


@blueprint.get("/smtp/ips")
def ips():
    return jsonify(senders.sending_ips())


def _checks(domain) -> dict:
    passed = verification.last_results(domain)
    spf = next(r.value for r in dns_records.records(domain) if r.purpose == "spf")
    return {"check_dkim": bool(passed.get("dkim")), "check_spf": bool(passed.get("spf")),
            "check_dmarc": bool(passed.get("dmarc")), "all_checks": bool(passed) and all(passed.values()),
            "spf_txt_needed": spf}


@blueprint.get("/v2/email-service/smtp/sender_domains")
def sender_domains():
    found = domains.list_for(user())
    return jsonify({"data": {"result": True, "data": [
        {"id": d.id, "user_id": d.user_id, "service_type": 3, "service_value": d.name,
         "status": int(d.status == DomainStatus.ENABLED), "expire_date": None, "auto_free_prolong": 0, "currency": "",
         "is_default": n == 0, "ssl_type": 0, "ssl_expired": None, "ssl_generated": None, "checks": _checks(d)}
        for n, d in enumerate(found)]}})


@blueprint.post("/v2/email-service/smtp/sender_domains/<name>")
@declares(*DOMAIN_ERRORS)
def add_sender_domain(name: str):
    domains.add(user(), name)
    return jsonify({"data": {"result": True, "error": None}})


# The legacy calls (retired by SendPulse, still made by pysendpulse): names, add by an address
# on the domain, verify by that address.
@blueprint.get("/smtp/domains")
def legacy_domains():
    return jsonify([d.name for d in domains.list_for(user())])


@blueprint.post("/smtp/domains")
@declares(*DOMAIN_ERRORS)
def legacy_add_domain():
    email = normalize_address(str(params().get("email") or ""))
    domains.add(user(), email.rpartition("@")[2])
    return jsonify({"result": True})


@blueprint.get("/smtp/domains/<email>")
@declares(*DOMAIN_ERRORS)
def legacy_verify_domain(email: str):
    name = normalize_address(email).rpartition("@")[2].lower()
    domain = next((d for d in domains.list_for(user()) if d.name == name), None)
    if domain is None:
        raise DomainNotFound()
    checks = verification.verify(domain)
    return jsonify({"result": all(c.verified for c in checks), "status": domain.status})
