"""/api/v1/domains: the user's sender domains ({id, domain, status}: the seed shows no `id`, but
verify needs one), and `POST /domains/:id/verify` (the id, or the domain's name) over the
verification service, answered with each DNS record's result."""
from __future__ import annotations

from dialects.autorelay import resource
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import DOMAIN_STATUS, iso
from edge.errors import Declared, declares
from services import domains, verification
from services.errors import DomainNotFound


def view(domain) -> dict:
    return {"id": str(domain.id), "domain": domain.name, "status": DOMAIN_STATUS.get(domain.status, "pending"),
            "createdAt": iso(domain.created_at)}


@blueprint.get("/domains")
def list_domains():
    return {"domains": [view(d) for d in domains.list_for(resource.user())]}


@blueprint.post("/domains/<ident>/verify")
@declares(Declared(DomainNotFound, "not_found", 404, "Domain not found"))
def verify_domain(ident: str):
    user = resource.user()
    found = [d for d in domains.list_for(user) if ident in (str(d.id), d.name)]
    if not found:
        raise DomainNotFound()
    checks = verification.verify(found[0])
    return view(found[0]) | {"records": [{"type": c.record.type, "host": c.record.host, "value": c.record.value,
                                          "purpose": c.record.purpose, "verified": c.verified, "reason": c.reason}
                                         for c in checks]}
