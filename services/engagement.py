"""What recipients do with delivered mail: opens, clicks and unsubscribes, through the signed
tracking URLs (and the List-Unsubscribe mailto). Each becomes an event; an unsubscribe also a
suppression. Mail of a domain that is no longer Enabled is not tracked: its URLs are 404s.
"""
from __future__ import annotations

import config
from models import Delivery, Event, Message, SenderDomain
from models.db import database
from services import dns_records, events, suppressions, tracking, verification
from services.domains import ENABLED
from services.errors import NotFound


def base_url(domain: SenderDomain) -> str:
    """The domain's own tracking host once its CNAME verified, else the installation's."""
    settings = config.current()
    own = dns_records.tracking_host(domain)
    host = own if own and verification.last_results(domain).get("tracking") else settings.tracking_host
    return f"{settings.tracking_scheme}://{host}"


def tracking_for(delivery: Delivery) -> tracking.Tracking | None:
    """What to track in this delivery's copy: the message's TrackOpens/TrackLinks, else the
    domain's options; the unsubscribe link is the domain's UnsubscribeLink option."""
    message, domain = delivery.message, delivery.message.domain
    opens = domain.open_tracking if message.track_opens is None else message.track_opens
    clicks = domain.link_tracking if message.track_links is None else message.track_links
    if not (opens or clicks or domain.unsubscribe_link):
        return None
    return tracking.Tracking(base_url(domain), delivery.id, bool(opens), bool(clicks), bool(domain.unsubscribe_link))


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


def _delivery(kind: str, token: str) -> tuple[Delivery, str]:
    found = tracking.read(kind, token)
    if found is None:
        raise NotFound()
    delivery = (Delivery.select(Delivery, Message, SenderDomain).join(Message).join(SenderDomain)
                .where(Delivery.id == found[0]).first())
    if delivery is None or delivery.message.domain.status != ENABLED:
        raise NotFound()
    return delivery, found[1]


def opened(token: str, *, user_agent: str = "", ip: str = "") -> None:
    delivery, _ = _delivery("o", token)
    with database.atomic():
        events.record("opened", message=delivery.message, delivery=delivery, user_agent=user_agent[:500], ip=ip)


def clicked(token: str, *, user_agent: str = "", ip: str = "") -> str:
    """Record the click; returns where it goes (only ever a signed http(s) URL)."""
    delivery, url = _delivery("c", token)
    if not url.lower().startswith(("http://", "https://")):
        raise NotFound()
    with database.atomic():
        events.record("clicked", message=delivery.message, delivery=delivery, url=url, user_agent=user_agent[:500],
                      ip=ip)
    return url


def check_unsubscribe(token: str) -> Delivery:
    """The delivery an unsubscribe token is for (the confirmation page shows its address)."""
    return _delivery("u", token)[0]


def unsubscribed(token: str, *, how: str, user_agent: str = "", ip: str = "") -> Delivery:
    """Idempotent: a second unsubscribe of the same delivery records nothing new."""
    delivery = check_unsubscribe(token)
    with database.atomic():
        if not delivery.events.where(Event.event == "unsubscribed").exists():
            events.record("unsubscribed", message=delivery.message, delivery=delivery, method=how,
                          user_agent=user_agent[:500], ip=ip)
        suppressions.add(delivery.message.user_id, delivery.recipient, "unsubscribe", f"via {how}")
    return delivery
