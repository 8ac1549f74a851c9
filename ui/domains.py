"""Sender domains: add, the DNS records to publish with their last verification, verify now,
tracking switches, delete."""
from __future__ import annotations

import json

from flask import flash, g, redirect, render_template, url_for

from services import dns_records, domains, stats, verification
from ui.web import blueprint, checked, field


@blueprint.get("/domains", endpoint="domains")
def list_domains():
    rows = domains.list_for(g.user)
    ids = [d.id for d in rows]
    return render_template("domains.html", domains=rows, activity=stats.activity(ids) if ids else {})



@blueprint.post("/domains")
def add_domain():
    domain = domains.add(g.user, field("name"))
    flash(f"{domain.name} added. Publish its records, then verify it.", "ok")
    return redirect(url_for("ui.domain", domain_id=domain.id))


@blueprint.get("/domains/<int:domain_id>")
def domain(domain_id: int):
    found = domains.get(g.user, domain_id)
    last = {r["Purpose"]: r for r in json.loads(found.verification or "[]")}
    return render_template("domain.html", domain=found, records=dns_records.records(found), last=last)


@blueprint.post("/domains/<int:domain_id>/verify")
def verify_domain(domain_id: int):
    found = domains.get(g.user, domain_id)
    checks = verification.verify(found)
    passed = sum(c.verified for c in checks)
    flash(f"{passed} of {len(checks)} records verified; status: {found.status}.", "ok" if passed == len(checks) else "error")
    return redirect(url_for("ui.domain", domain_id=domain_id))


@blueprint.post("/domains/<int:domain_id>/tracking")
def domain_tracking(domain_id: int):
    domains.update(g.user, domain_id, link_tracking=checked("link_tracking"), open_tracking=checked("open_tracking"),
                   unsubscribe_link=checked("unsubscribe_link"))
    flash("Tracking settings saved.", "ok")
    return redirect(url_for("ui.domain", domain_id=domain_id))


@blueprint.post("/domains/<int:domain_id>/delete")
def delete_domain(domain_id: int):
    name = domains.get(g.user, domain_id).name
    domains.delete(g.user, domain_id)
    flash(f"{name} deleted.", "ok")
    return redirect(url_for("ui.domains"))
