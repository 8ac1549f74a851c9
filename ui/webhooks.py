"""Webhooks: a domain's subscriptions, each delivery with its response, resend, re-enable."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from models.vocabulary import EventType
from services import domains, webhook_deliveries, webhooks
from ui.web import BadInput, blueprint, field


@blueprint.get("/domains/<int:domain_id>/webhooks")
def domain_webhooks(domain_id: int):
    found = domains.get(g.user, domain_id)
    hooks = webhooks.list_for(g.user, domain_id)
    return render_template("webhooks.html", domain=found, hooks=[(h, webhooks.events_of(h)) for h in hooks],
                           events=list(EventType), formats=sorted(webhook_deliveries.FORMATS))


@blueprint.post("/domains/<int:domain_id>/webhooks")
def add_webhook(domain_id: int):
    try:
        events = [EventType(e) for e in request.form.getlist("events")]
    except ValueError:
        raise BadInput("Unknown event type") from None
    fmt = field("format", "octeth")
    if fmt not in webhook_deliveries.FORMATS:
        raise BadInput(f"Unknown payload format {fmt!r}")
    hook = webhooks.add(g.user, domain_id, events, field("url"), fmt)
    flash("Webhook added.", "ok")
    return redirect(url_for("ui.webhook", webhook_id=hook.id))


@blueprint.get("/webhooks/<int:webhook_id>")
def webhook(webhook_id: int):
    hook = webhooks.get(g.user, webhook_id)
    rows = webhook_deliveries.of_webhook(hook, 100)
    attempts = webhook_deliveries.attempts_of(rows)
    return render_template("webhook.html", hook=hook, events=webhooks.events_of(hook),
                           deliveries=[(d, attempts[d.id][:5]) for d in rows])


@blueprint.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/resend")
def resend_webhook(webhook_id: int, delivery_id: int):
    hook = webhooks.get(g.user, webhook_id)
    if webhook_deliveries.resend(hook, delivery_id):
        flash("Queued to be sent again.", "ok")
    else:
        flash("That delivery is still waiting to be sent.", "error")
    return redirect(url_for("ui.webhook", webhook_id=webhook_id))


@blueprint.post("/webhooks/<int:webhook_id>/enable")
def enable_webhook(webhook_id: int):
    webhook_deliveries.enable(webhooks.get(g.user, webhook_id).id)
    flash("Webhook enabled again. Deliveries that failed meanwhile can be sent again below.", "ok")
    return redirect(url_for("ui.webhook", webhook_id=webhook_id))


@blueprint.post("/webhooks/<int:webhook_id>/delete")
def delete_webhook(webhook_id: int):
    hook = webhooks.get(g.user, webhook_id)
    webhooks.delete(hook)
    flash("Webhook deleted.", "ok")
    return redirect(url_for("ui.domain_webhooks", domain_id=hook.domain_id))
