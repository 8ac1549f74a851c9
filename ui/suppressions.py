"""Suppressions: search, add, remove, with the reason and the failure that caused it."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from models.vocabulary import SuppressionReason
from services import addresses, suppressions
from ui.web import blueprint, field

SHOWN = 500


@blueprint.get("/suppressions", endpoint="suppressions")
def search():
    rows = suppressions.list_for(g.user, field("q"), limit=SHOWN + 1)
    return render_template("suppressions.html", rows=rows[:SHOWN], more=len(rows) > SHOWN, q=field("q"))


@blueprint.post("/suppressions")
def add_suppression():
    email = addresses.normalize_address(field("email"))
    suppressions.add(g.user, email, SuppressionReason.MANUAL, field("detail") or "added in the dashboard")
    flash(f"{email} suppressed.", "ok")
    return redirect(url_for("ui.suppressions"))


@blueprint.post("/suppressions/remove")
def remove_suppression():
    email = field("email")
    flash(f"{email} removed." if suppressions.remove(g.user, email) else f"{email} was not suppressed.", "ok")
    return redirect(url_for("ui.suppressions"))
