"""What recipients do with delivered mail: opens, clicks and unsubscribes, through the signed
tracking URLs (and the List-Unsubscribe mailto). Each becomes an event; an unsubscribe also a
suppression. Mail of a domain that is no longer Enabled is not tracked: its URLs are 404s, and
so are they under any host but the domain's own tracking host and the installation's (one
tenant's links never redirect under another tenant's brand).

Repeats collapse: an open of a delivery, or a click of one of its URLs, within a minute of the
last one recorded adds to that event's `count` rather than writing another event and webhook
call (mail scanners and image proxies fetch the same URL many times).
"""
from __future__ import annotations

import datetime
import json
from urllib.parse import urlsplit

import peewee

import clock
import config
from models import Delivery, Event, Message, SenderDomain
from models.db import database
from models.vocabulary import DomainStatus, EventType, SuppressionReason
from services import dns_records, events, suppressions, tracking, verification
from services.errors import NotFound

REPEAT_WINDOW = datetime.timedelta(minutes=1)


def tracking_host(domain: SenderDomain) -> str:
    """The domain's own tracking host once its CNAME verified, else the installation's."""
    own = dns_records.tracking_host(domain)
    return own if own and verification.last_results(domain).get("tracking") else config.current().tracking_host


def base_url(domain: SenderDomain) -> str:
    return f"{config.current().tracking_scheme}://{tracking_host(domain)}"


def tracking_for(delivery: Delivery) -> tracking.Tracking | None:
    """What to track in this delivery's copy: the message's TrackOpens/TrackLinks, else the
    domain's options; the unsubscribe link is the domain's UnsubscribeLink option, and always
    there in campaign mail (RFC 8058 one-click: bulk mail must have it)."""
    message, domain = delivery.message, delivery.message.domain
    opens = domain.open_tracking if message.track_opens is None else message.track_opens
    clicks = domain.link_tracking if message.track_links is None else message.track_links
    unsubscribe = bool(domain.unsubscribe_link or message.campaign_id)
    if not (opens or clicks or unsubscribe):
        return None
    return tracking.Tracking(base_url(domain), delivery.id, bool(opens), bool(clicks), unsubscribe)


def personal(delivery: Delivery) -> bool:
    """Whether this delivery's copy differs from its message's (else recipients share one copy,
    one transaction and one signature)."""
    return tracking.personal(bytes(delivery.message.content), tracking_for(delivery))


def personalise(delivery: Delivery) -> bytes:
    content = bytes(delivery.message.content)
    wanted = tracking_for(delivery)
    if wanted is None:
        return content
    mailto = ""
    if wanted.unsubscribe:
        host = dns_records.return_path_host(delivery.message.domain)
        mailto = f"unsubscribe+{tracking.token('u', delivery.id)}@{host}"
    return tracking.personalise(content, wanted, mailto)


def _delivery(kind: str, token: str, host: str | None) -> tuple[Delivery, str]:
    """The delivery and URL of a token arriving under `host` (the request's Host; None when it
    came by mail, where the inbound listener took only return-path hosts)."""
    found = tracking.read(kind, token)
    if found is None:
        raise NotFound()
    delivery = (Delivery.select(Delivery, Message, SenderDomain).join(Message).join(SenderDomain)
                .where(Delivery.id == found[0]).first())
    if delivery is None or delivery.message.domain.status != DomainStatus.ENABLED:
        raise NotFound()
    if host is not None:
        allowed = {_name(tracking_host(delivery.message.domain)), _name(config.current().tracking_host)} - {None}
        if _name(host) not in allowed:
            raise NotFound()
    return delivery, found[1]


def _name(host: str) -> str | None:
    """A Host header's name, without port, case or trailing dot; None when it is no host at all."""
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return None
    return name.rstrip(".") if name else None


def opened(token: str, *, host: str, user_agent: str = "", ip: str = "") -> None:
    delivery, _ = _delivery("o", token, host)
    _record_repeatable(EventType.OPENED, delivery, user_agent=user_agent[:500], ip=ip)


def clicked(token: str, *, host: str, user_agent: str = "", ip: str = "") -> str:
    """Record the click; returns where it goes (only ever a signed http(s) URL without control
    characters: checked before anything is recorded)."""
    delivery, url = _delivery("c", token, host)
    if not tracking.safe_url(url):
        raise NotFound()
    _record_repeatable(EventType.CLICKED, delivery, url=url, user_agent=user_agent[:500], ip=ip)
    return url


def _record_repeatable(event: str, delivery: Delivery, **details) -> None:
    """A new event, or one more on the `count` of the same event (same URL) of this delivery
    recorded less than REPEAT_WINDOW ago."""
    with database.atomic():
        if not isinstance(database.obj, peewee.SqliteDatabase):  # SQLite (pooled too): the transaction is the lock
            list(Delivery.select(Delivery.id).where(Delivery.id == delivery.id).for_update())  # repeats take turns
        recent = (Event.select(Event.id, Event.details)
                  .where(Event.delivery == delivery, Event.event == event,
                         Event.created_at > clock.now() - REPEAT_WINDOW).order_by(Event.id.desc()))
        for row in recent:
            seen = json.loads(row.details or "{}")
            if seen.get("url") == details.get("url"):
                seen["count"] = seen.get("count", 1) + 1
                Event.update(details=json.dumps(seen)).where(Event.id == row.id).execute()
                return
        events.record(event, message=delivery.message, delivery=delivery, count=1, **details)


def check_unsubscribe(token: str, *, host: str) -> Delivery:
    """The delivery an unsubscribe token is for (the confirmation page shows its address)."""
    return _delivery("u", token, host)[0]


def unsubscribed(token: str, *, how: str, host: str | None = None, user_agent: str = "", ip: str = "") -> Delivery:
    """Idempotent: a second unsubscribe of the same delivery records nothing new. `host` is None
    for an unsubscribe by mail."""
    delivery = _delivery("u", token, host)[0]
    with database.atomic():
        if not delivery.events.where(Event.event == EventType.UNSUBSCRIBED).exists():
            events.record(EventType.UNSUBSCRIBED, message=delivery.message, delivery=delivery, method=how,
                          user_agent=user_agent[:500], ip=ip)
        suppressions.add(delivery.message.user_id, delivery.recipient, SuppressionReason.UNSUBSCRIBE, f"via {how}")
    return delivery
