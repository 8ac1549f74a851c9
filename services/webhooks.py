"""Webhook endpoints: registration with the SSRF rules Octeth v6 applies (public addresses only)."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import config
from models import User, Webhook
from services import dns, domains
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
    """http(s) only, at most 2048 characters; the host must be, or resolve only to, public
    addresses (unless allowed)."""
    if len(url or "") > MAX_URL:
        raise InvalidWebhookURL(f"Webhook URL is longer than {MAX_URL} characters.")
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InvalidWebhookURL() from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidWebhookURL()
    if config.current().webhook_allow_private:
        return
    try:
        found = [ipaddress.ip_address(host)]
    except ValueError:
        if any(host == n or host.endswith("." + n) for n in _LOCAL_NAMES):
            raise ForbiddenWebhookHost() from None
        try:
            found = [ipaddress.ip_address(a) for a in dns.addresses(host)]
        except dns.DNSTimeout:
            raise ForbiddenWebhookHost("Webhook URL host could not be resolved; try again later.") from None
    if not found:
        raise ForbiddenWebhookHost("Webhook URL host does not resolve to an address.")
    if not all(ip.is_global for ip in found):
        raise ForbiddenWebhookHost()


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
