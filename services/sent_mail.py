"""Reading sent mail one recipient at a time: each delivery with its message, its last SMTP
reply and the opens and clicks recorded for it, as plain values (a dialect names the fields).
Pages are newest first; the extra rows of a page (attempts, engagement) come in one query each."""
from __future__ import annotations

import dataclasses
import datetime
import json

from peewee import fn

from models import Delivery, DeliveryAttempt, Event, Message, MessageTag, User
from models.vocabulary import DeliveryStatus, EventType
from services.errors import NotFound

MAX_IDS = 500


class MessageNotFound(NotFound):
    """Email not found"""


@dataclasses.dataclass(frozen=True)
class SentMail:
    message_id: str
    sender: str
    size: int
    recipient: str
    subject: str
    accepted_at: datetime.datetime
    status: str
    smtp_code: int | None
    reply: str
    mx_host: str
    opens: tuple[dict, ...]  # {at, ip, user_agent}
    clicks: tuple[dict, ...]  # {at, url, ip, user_agent}


def _query(user: User):
    return Delivery.select(Delivery, Message).join(Message).where(Message.user == user)


def page(user: User, *, start: datetime.datetime | None = None, end: datetime.datetime | None = None,
         sender: str = "", recipient: str = "", offset: int = 0, limit: int = 100) -> tuple[int, list[SentMail]]:
    """Deliveries accepted in [start, end), filtered by sender and recipient (exact, any case)."""
    rows = _query(user)
    if start:
        rows = rows.where(Message.created_at >= start)
    if end:
        rows = rows.where(Message.created_at < end)
    if sender:
        rows = rows.where(fn.LOWER(Message.mail_from) == sender.strip().lower())
    if recipient:
        rows = rows.where(Delivery.recipient == recipient.strip().lower())
    found = list(rows.order_by(Message.created_at.desc(), Delivery.id.desc()).offset(offset).limit(limit))
    return rows.count(), _views(found)


def of_messages(user: User, message_ids: list[str]) -> list[SentMail]:
    """Every delivery of these messages (at most MAX_IDS), in the order asked; unknown ids are left out."""
    ids = [str(i).strip().strip("<>").split("@")[0] for i in message_ids[:MAX_IDS]]
    found = list(_query(user).where(Message.uuid.in_(ids)).order_by(Delivery.id)) if ids else []
    order = {ident: n for n, ident in enumerate(ids)}
    return _views(sorted(found, key=lambda d: order[d.message.uuid]))


def of_message(user: User, message_id: str) -> SentMail:
    """The message's first delivery (its first To recipient); MessageNotFound for another user's."""
    views = of_messages(user, [message_id])
    if not views:
        raise MessageNotFound()
    return views[0]


def bounces(user: User, start: datetime.datetime, end: datetime.datetime, offset: int = 0,
            limit: int = 100) -> tuple[int, list[SentMail]]:
    """Deliveries that bounced or failed in [start, end), newest first."""
    rows = _query(user).where(Delivery.status.in_((DeliveryStatus.BOUNCED, DeliveryStatus.FAILED)),
                              Delivery.updated_at >= start, Delivery.updated_at < end)
    found = list(rows.order_by(Delivery.updated_at.desc(), Delivery.id.desc()).offset(offset).limit(limit))
    return rows.count(), _views(found)


def tagged_since(user: User, tag: str, since: datetime.datetime) -> int:
    """How many of the user's messages with `tag` were accepted since a time (a daily allowance
    counted from the messages themselves holds across processes and restarts)."""
    return (Message.select().join(MessageTag)
            .where(Message.user == user, MessageTag.tag == tag, Message.created_at >= since).count())


def _views(deliveries: list[Delivery]) -> list[SentMail]:
    ids = [d.id for d in deliveries]
    last: dict[int, DeliveryAttempt] = {}
    engagement: dict[int, dict[str, list[dict]]] = {i: {"opens": [], "clicks": []} for i in ids}
    if ids:
        for attempt in DeliveryAttempt.select().where(DeliveryAttempt.delivery.in_(ids)).order_by(DeliveryAttempt.id):
            last[attempt.delivery_id] = attempt
        for event in (Event.select().where(Event.delivery.in_(ids), Event.event.in_((EventType.OPENED, EventType.CLICKED)))
                      .order_by(Event.id)):
            details = json.loads(event.details or "{}")
            seen = {"at": event.created_at, "ip": details.get("ip", ""), "user_agent": details.get("user_agent", "")}
            if event.event == EventType.CLICKED:
                engagement[event.delivery_id]["clicks"].append({**seen, "url": details.get("url", "")})
            else:
                engagement[event.delivery_id]["opens"].append(seen)
    views = []
    for d in deliveries:
        attempt = last.get(d.id)
        views.append(SentMail(
            message_id=d.message.uuid, sender=d.message.mail_from, size=d.message.size, recipient=d.recipient,
            subject=d.message.subject, accepted_at=d.message.created_at, status=d.status,
            smtp_code=attempt.smtp_code if attempt else None, reply=attempt.reply if attempt else d.last_reply,
            mx_host=attempt.mx_host if attempt else "", opens=tuple(engagement[d.id]["opens"]),
            clicks=tuple(engagement[d.id]["clicks"])))
    return views
