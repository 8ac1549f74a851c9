"""Webhook endpoints: registration with the SSRF rules Octeth v6 applies (public addresses only),
and the same rules for each POST (`destination`)."""
from __future__ import annotations

import ipaddress

import config
from models import User, Webhook, WebhookDelivery, WebhookEvent
from models.db import database, prepared, row_id
from models.vocabulary import EventType
from services import dns, domains, outbound_http, secrets
from services.errors import (ForbiddenWebhookHost, InvalidWebhookEvent, InvalidWebhookURL, WebhookDomainMismatch,
                             WebhookNotFound)

_LOCAL_NAMES = ("localhost", "local", "internal", "localdomain", "home.arpa")
MAX_URL = 2048


def check_url(url: str) -> None:
    """At registration: a URL `outbound_http.parse` reads without ambiguity, whose host is, or
    resolves only to, public addresses (unless GATEPOST_WEBHOOK_ALLOW_PRIVATE)."""
    target = _parse(url)
    if not config.current().webhook_allow_private:
        try:
            _addresses(target)
        except dns.DNSTimeout:
            raise ForbiddenWebhookHost("Webhook URL host could not be resolved; try again later.") from None


def destination(url: str) -> tuple[outbound_http.Target, list[str]]:
    """At send time: the URL's parts and the addresses to connect to, resolved once now and all
    checked (DNS may have changed since registration). DNSTimeout when no server answered."""
    target = _parse(url)
    return target, _addresses(target)


def _parse(url: str) -> outbound_http.Target:
    if len(url or "") > MAX_URL:
        raise InvalidWebhookURL(f"Webhook URL is longer than {MAX_URL} characters.")
    try:
        return outbound_http.parse((url or "").strip())
    except outbound_http.InvalidURL as exc:
        raise InvalidWebhookURL(f"Webhook {exc}") from None


def _addresses(target: outbound_http.Target) -> list[str]:
    """Every address of the host, through the one resolver; ForbiddenWebhookHost unless all of
    them are public (any address goes with GATEPOST_WEBHOOK_ALLOW_PRIVATE)."""
    allow_private = config.current().webhook_allow_private
    if target.ip is not None:
        found = [target.ip]
    elif not allow_private and any(target.host == n or target.host.endswith("." + n) for n in _LOCAL_NAMES):
        raise ForbiddenWebhookHost()
    else:
        found = [ipaddress.ip_address(a) for a in dns.addresses(target.host)]
    if not found:
        raise ForbiddenWebhookHost("Webhook URL host does not resolve to an address.")
    if not allow_private and not all(outbound_http.public(ip) for ip in found):
        raise ForbiddenWebhookHost()
    return [str(ip) for ip in found]


def add(user: User, domain_id, events, url: str, format: str = "octeth") -> Webhook:
    """Subscribe `url` to `events` (event types; each dialect reads its own names into them)."""
    wanted = list(dict.fromkeys(events))
    if not wanted or not all(isinstance(e, EventType) for e in wanted):
        raise InvalidWebhookEvent()
    domain = domains.get(user, domain_id)
    check_url(url)
    with database.atomic():
        hook = Webhook.create(domain=domain, url=url.strip(), format=format)
        WebhookEvent.insert_many([{"webhook": hook.id, "event": e} for e in wanted]).execute()
    return hook


def events_of(hook: Webhook) -> list[EventType]:
    """The event types a webhook is subscribed to, in the vocabulary's order."""
    subscribed = {row.event for row in hook.subscriptions}
    return [e for e in EventType if e in subscribed]


def subscribers(domain_id: int, event: str, user_id: int) -> list[Webhook]:
    """The domain's webhooks subscribed to an event type (id, status, format), and its user's
    account-wide ones, for the outbox."""
    return _subscribers(domain_id, user_id, event)


def subscribers_query(domain_id, user_id, event, *columns):
    """The SELECT `subscribers` runs, of `columns` (id, status, format unless given): the
    accept path reads it in one statement with the suppression check."""
    return (Webhook.select(*(columns or (Webhook.id, Webhook.status, Webhook.format))).join(WebhookEvent)
            .where((Webhook.domain == domain_id) | (Webhook.user == user_id), WebhookEvent.event == event))


_subscribers = prepared(subscribers_query, 3)


def add_for_account(user: User, events, url: str, format: str) -> tuple[Webhook, str]:
    """An account-wide webhook (every domain of `user`) with its own signing secret, which is
    returned once, with it."""
    wanted = list(dict.fromkeys(events))
    if not wanted or not all(isinstance(e, EventType) for e in wanted):
        raise InvalidWebhookEvent()
    check_url(url)
    secret = "whsec_" + secrets.new_token(24)
    with database.atomic():
        hook = Webhook.create(user=user, url=url.strip(), format=format, secret=secrets.encrypt(secret))
        WebhookEvent.insert_many([{"webhook": hook.id, "event": e} for e in wanted]).execute()
    return hook, secret


def account_webhooks(user: User, format: str) -> list[Webhook]:
    return list(Webhook.select().where(Webhook.user == user, Webhook.format == format).order_by(Webhook.id))


def account_webhook(user: User, webhook_id, format: str) -> Webhook:
    """The user's account-wide webhook of `format`; WebhookNotFound for any other id."""
    hook = Webhook.get_or_none(Webhook.id == row_id(webhook_id), Webhook.user == user, Webhook.format == format)
    if hook is None:
        raise WebhookNotFound()
    return hook


def secret_for(delivery_id: int) -> str:
    """The signing secret of the endpoint a webhook delivery goes to (for formats signed per endpoint)."""
    (token,) = (Webhook.select(Webhook.secret).join(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id).tuples().get())
    return secrets.decrypt(token)


def list_for(user: User, domain_id) -> list[Webhook]:
    domain = domains.get(user, domain_id)
    return list(Webhook.select().where(Webhook.domain == domain).order_by(Webhook.id))


def get(user: User, webhook_id, domain_id=None) -> Webhook:
    """The user's webhook; with `domain_id`, it must also hang off that domain (the domain is
    checked first: DomainNotFound, then WebhookNotFound, then WebhookDomainMismatch)."""
    domain = domains.get(user, domain_id) if domain_id is not None else None
    hook = domains.owned(Webhook, user, webhook_id, WebhookNotFound)
    if domain is not None and hook.domain_id != domain.id:
        raise WebhookDomainMismatch()
    return hook


def update(hook: Webhook, *, events=None, url: str | None = None) -> Webhook:
    """Change a webhook's URL (checked as at registration) and/or its event types (None: keep)."""
    wanted = None if events is None else list(dict.fromkeys(events))
    if wanted is not None and (not wanted or not all(isinstance(e, EventType) for e in wanted)):
        raise InvalidWebhookEvent()
    if url is not None:
        check_url(url)
    with database.atomic():
        if url is not None:
            hook.url = url.strip()
            hook.save()
        if wanted is not None:
            WebhookEvent.delete().where(WebhookEvent.webhook == hook.id).execute()
            WebhookEvent.insert_many([{"webhook": hook.id, "event": e} for e in wanted]).execute()
    return hook


def delete(hook: Webhook) -> None:
    hook.delete_instance()
