"""Operators (a group granted Gatepost.Operator, or "*"): users, groups and their limits, and the
domains awaiting approval. Everyone else gets a 404 here."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from models.vocabulary import Switch
from services import accounts, domains
from services.errors import DomainNotFound
from ui.web import BadInput, blueprint, field, operator_only


@blueprint.get("/operator", endpoint="operator")
@operator_only
def overview():
    return render_template("operator.html", users=accounts.list_users(), groups=accounts.list_groups(),
                           awaiting=domains.list_all(domains.APPROVABLE))


@blueprint.post("/operator/domains/<int:domain_id>/approve")
@operator_only
def approve_domain(domain_id: int):
    found = next(iter(domains.find_live(str(domain_id))), None)
    if found is None:
        raise DomainNotFound()
    domains.approve(found)
    flash(f"{found.name} approved: Enabled.", "ok")
    return redirect(url_for("ui.operator"))


@blueprint.post("/operator/users/status")
@operator_only
def user_status():
    user, status = accounts.find_user(field("email")), field("status")
    if user is None or status not in (Switch.ENABLED, Switch.DISABLED):
        raise BadInput("Unknown user or status")
    if user.id == g.user.id:
        raise BadInput("Operators cannot disable themselves here")
    accounts.set_status(user, status)
    flash(f"{user.email}: {status}.", "ok")
    return redirect(url_for("ui.operator"))
