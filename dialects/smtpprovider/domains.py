"""Sending domains: add (its DKIM selector and key), list, view (the DNS records to publish and
what the last check found) and verify (live DNS: "Verified Successfully" only when every record
passes). A domain name is unique per user (`The domain name has already been taken.`): Gatepost
keeps domains per account, and says nothing of another account's."""
from __future__ import annotations

from dialects.smtpprovider.resource import ForUser, blueprint, failure, invalid, ok, read, stamp
from dialects.smtpprovider.rules import Text
from edge.errors import Declared, Refusal, declares
from models.vocabulary import DomainStatus
from services import dns_records, domains, verification
from services.errors import DomainLimitReached, DomainNotFound, InvalidDomainName

VERIFIED = "Verified Successfully"
TIMED_OUT = "The DNS lookup timed out; nothing was changed. Please try again."


class DomainRequest(ForUser):
    domain_name = Text(required=True)


def _dkim(domain) -> dns_records.DNSRecord:
    return next(r for r in dns_records.records(domain) if r.purpose == "dkim")


def domain_view(domain) -> dict:
    dkim = _dkim(domain)
    return {"id": domain.id, "user_id": domain.user_id, "domain_name": domain.name, "host": dkim.host,
            "selector": domain.dkim_selector, "public_key": dkim.value, "status": domain.status,
            "verified": domain.status == DomainStatus.ENABLED, "verified_at": stamp(domain.verified_at),
            "created_at": stamp(domain.created_at)}


@blueprint.post("/v1/smtp-domain-add")
@declares(Declared(InvalidDomainName, "domain_name", 422, "The domain name field must be a valid domain name."),
          Declared(DomainLimitReached, "domain_name", 403))
def add_domain():
    user, values = read(DomainRequest)
    try:
        domains.by_name(user, values["domain_name"])
    except DomainNotFound:
        pass
    else:
        raise Refusal(("domain_name", "The domain name has already been taken."))
    return ok(success=True, domain=domain_view(domains.add(user, values["domain_name"])))


@blueprint.get("/v1/smtp-domain-list")
def list_domains():
    user, _ = read(ForUser)
    return ok(domains=[domain_view(d) for d in domains.list_for(user)])


@blueprint.get("/v1/smtp-domain-view")
@declares(invalid("domain_name", DomainNotFound))
def view_domain():
    user, values = read(DomainRequest)
    domain = domains.by_name(user, values["domain_name"])
    last = verification.last_results(domain)
    return ok(domain=domain_view(domain), dns_records=[
        {"type": r.type, "host": r.host, "value": r.value, "purpose": r.purpose, "verified": last.get(r.purpose, False)}
        for r in dns_records.records(domain)])


@blueprint.get("/v1/smtp-domain-verify")
@declares(invalid("domain_name", DomainNotFound))
def verify_domain():
    user, values = read(DomainRequest)
    domain = domains.by_name(user, values["domain_name"])
    checks = verification.verify(domain)
    if any(c.timed_out for c in checks):
        return failure([TIMED_OUT], 503, {"Retry-After": "30"})
    failing = [c for c in checks if not c.verified]
    if failing:
        return failure([f"The {c.record.purpose} record ({c.record.type} {c.record.host}) is not verified: {c.reason}"
                        for c in failing], 422)
    return ok(success=True, message=VERIFIED, status=domain.status)
