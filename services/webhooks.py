"""Webhook endpoints: registration with the SSRF rules Octeth v6 applies (public addresses only),
and the same rules for each POST (`destination`)."""
from __future__ import annotations

import ipaddress

import config
from models import User, Webhook
from services import dns, domains, outbound_http
from services.errors import (ForbiddenWebhookHost, InvalidWebhookEvent, InvalidWebhookURL, WebhookDomainMismatch,
                             WebhookNotFound)

EVENTS = ("delivery", "bounce", "open", "click", "unsubscribe", "complaint")
PUBLIC_NAMES = dict(zip(EVENTS, ("delivered", "bounced", "opened", "clicked", "unsubscribed", "complained")))
_ALIASES = {**{e: e for e in EVENTS}, **{p: e for e, p in PUBLIC_NAMES.items()}}
_LOCAL_NAMES = ("localhost", "local", "internal", "localdomain", "home.arpa")
MAX_URL = 2048


def event_name(name: str) -> str:
    """The canonical event name for either spelling (`bounce` or `bounced`)."""
    try:
        return _ALIASES[(name or "").strip().lower()]
    except KeyError:
        raise InvalidWebhookEvent() from None


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


def add(user: User, domain_id, event: str, url: str) -> Webhook:
    event = event_name(event)
    domain = domains.get(user, domain_id)
    check_url(url)
    return Webhook.create(domain=domain, event=event, url=url.strip())


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


def delete(hook: Webhook) -> None:
    hook.delete_instance()
