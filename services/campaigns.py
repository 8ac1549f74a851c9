"""Campaigns: content sent to a contact list at a pace, by a runner that is a worker chore
(once across all workers).

The runner materialises recipients into the ordinary queue in small batches: each batch is ONE
transaction holding its messages and the move of the campaign's cursor past their contacts,
and the move only counts while the campaign is still `sending` at the cursor it read. So a
crash loses nothing and repeats nothing (never twice per contact per campaign; the unique
(campaign, contact) index on messages says so too), and a pause stops the very next batch.
Whether a contact is mailed is decided at that moment: subscribed, not suppressed, and its
personalised message accepted by the same checks as any send.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import time

from peewee import IntegrityError, fn

import clock
from models import Campaign, Contact, Event, Message
from models.db import by_ident, database
from models.vocabulary import CampaignStatus, ContactStatus, EventType
from services import contacts, domains, sending, templates
from services.addresses import normalize_address
from services.compose import Address
from services.errors import (AccountDisabled, CampaignNotFound, CampaignStateError, DomainNotActive, GatewayError,
                             InvalidAddress, InvalidCampaign)

log = logging.getLogger(__name__)
BATCH = 25  # contacts per transaction: small, so a pause or a crash costs at most a fraction of a second
BUDGET = 0.5  # seconds of each runner pass, so the worker's deliveries are never held long
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)
STATS = {"sent": EventType.ACCEPTED, "delivered": EventType.DELIVERED, "deferred": EventType.DEFERRED,
         "bounced": EventType.BOUNCED, "failed": EventType.FAILED, "opened": EventType.OPENED,
         "clicked": EventType.CLICKED, "unsubscribed": EventType.UNSUBSCRIBED, "complained": EventType.COMPLAINED}


def create(user, *, name: str, list_id, from_email: str, from_name: str = "", reply_to: str = "", template=None,
           subject: str = "", html: str = "", text: str = "", begins_at: datetime.datetime | None = None,
           speed: int = 0, tags=()) -> Campaign:
    campaign = Campaign(user=user, status=CampaignStatus.DRAFT)
    _apply(campaign, dict(name=name, list_id=list_id, from_email=from_email, from_name=from_name, reply_to=reply_to,
                          template=template, subject=subject, html=html, text=text, begins_at=begins_at,
                          speed=speed, tags=tags))
    campaign.save()
    return campaign


def get(ident, user) -> Campaign:
    """By int id or uuid; another user's campaign is indistinguishable from none (user None is
    the operator, who sees every campaign)."""
    condition = by_ident(Campaign, ident)
    query = Campaign.select() if user is None else Campaign.select().where(Campaign.user == user)
    found = query.where(condition).first() if condition is not None else None
    if found is None:
        raise CampaignNotFound()
    return found


def list_for(user, status: str | None = None) -> list[Campaign]:
    query = Campaign.select().where(Campaign.user == user)
    if status is not None:
        query = query.where(Campaign.status == status)
    return list(query.order_by(Campaign.id.desc()))


def update(campaign: Campaign, **changes) -> Campaign:
    """The keywords of `create`; a draft, scheduled or paused campaign only."""
    _require(campaign, EDITABLE, "changed")
    _apply(campaign, changes)
    if campaign.status != CampaignStatus.DRAFT and "template" in changes and campaign.template_id:
        for part in ("subject", "html", "text"):  # the new template's, but for parts given with it
            setattr(campaign, part, changes.get(part) or "")
        _copy_template(campaign)
    campaign.updated_at = clock.now()
    campaign.save(only=campaign.dirty_fields)  # never the cursor or counts the runner moves
    return campaign


def launch(campaign: Campaign, begins_at: datetime.datetime | None = None) -> Campaign:
    """draft -> scheduled; the runner starts it once `begins_at` (default: now) has come. The
    template's content is copied now: editing it later does not change a campaign under way."""
    _require(campaign, (CampaignStatus.DRAFT,), "launched")  # before the checks: their errors would mislead
    if campaign.list_id is None:
        raise InvalidCampaign("The campaign has no contact list")
    sending.check_sender(campaign.domain)
    if campaign.template_id:
        _copy_template(campaign)
    if not campaign.subject.strip() or not (campaign.html.strip() or campaign.text.strip()):
        raise InvalidCampaign("The campaign needs a subject and an HTML or text body")
    now = clock.now()
    return _move(campaign, CampaignStatus.SCHEDULED, (CampaignStatus.DRAFT,), "launched",
                 begins_at=begins_at or campaign.begins_at or now, subject=campaign.subject, html=campaign.html,
                 text=campaign.text, paced_from=now, paced_count=0)


def pause(campaign: Campaign) -> Campaign:
    return _move(campaign, CampaignStatus.PAUSED, (CampaignStatus.SCHEDULED, CampaignStatus.SENDING), "paused")


def resume(campaign: Campaign) -> Campaign:
    """Back to sending where it stopped; the pace counts afresh from now (no burst for the pause)."""
    _require(campaign, (CampaignStatus.PAUSED,), "resumed")
    sending.check_sender(campaign.domain)
    return _move(campaign, CampaignStatus.SCHEDULED, (CampaignStatus.PAUSED,), "resumed", paced_from=clock.now(),
                 paced_count=0, last_error="")


def cancel(campaign: Campaign) -> Campaign:
    """No more of it is queued; what is already queued goes out."""
    return _move(campaign, CampaignStatus.CANCELLED, (*EDITABLE, CampaignStatus.SENDING), "cancelled",
                 completed_at=clock.now())


def delete(campaign: Campaign) -> None:
    """Not while it may still send; its messages stay (without the campaign)."""
    _require(campaign, (CampaignStatus.DRAFT, CampaignStatus.COMPLETED, CampaignStatus.CANCELLED), "deleted")
    with database.atomic():
        Message.update(campaign=None).where(Message.campaign == campaign).execute()
        campaign.delete_instance()


def stats(campaign: Campaign) -> dict[str, int]:
    """From the events of its messages: each kind counted once per recipient (a second open is
    not a second reader)."""
    rows = dict(Event.select(Event.event, fn.COUNT(Event.delivery.distinct())).join(Message)
                .where(Message.campaign == campaign).group_by(Event.event).tuples())
    recipients = contacts.counts(campaign.list) if campaign.list_id else {}
    return {"recipients": sum(recipients.values()), "queued": campaign.queued, "skipped": campaign.skipped,
            **{name: rows.get(event.value, 0) for name, event in STATS.items()}}


def view(campaign: Campaign) -> dict:
    return {"id": campaign.id, "uuid": str(campaign.uuid), "name": campaign.name, "status": campaign.status,
            "list_id": campaign.list_id, "template_id": campaign.template_id, "segment": campaign.segment,
            "from_email": campaign.from_email, "from_name": campaign.from_name, "reply_to": campaign.reply_to,
            "subject": campaign.subject, "tags": json.loads(campaign.tags), "begins_at": campaign.begins_at,
            "speed": campaign.speed, "last_error": campaign.last_error, "created_at": campaign.created_at,
            "updated_at": campaign.updated_at, "completed_at": campaign.completed_at, "stats": stats(campaign)}


def run_due(budget: float = BUDGET) -> int:
    """The runner chore: start scheduled campaigns whose time has come, then queue batches of
    every sending campaign in turn until none has more due or the budget is spent. Returns
    how many messages it queued."""
    now = clock.now()
    (Campaign.update(status=CampaignStatus.SENDING, updated_at=now)
     .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.begins_at <= now).execute())
    deadline, queued = time.monotonic() + budget, 0
    active = [c.id for c in Campaign.select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING)]
    while active:  # a round: one batch of each, so no campaign holds up another
        for campaign_id in list(active):
            done = _materialise(campaign_id)
            if done is None:
                active.remove(campaign_id)
            else:
                queued += done
        if time.monotonic() >= deadline:
            break
    return queued


class _Moved(Exception):
    """The campaign changed under the batch (paused, cancelled, or another runner got there)."""


def _materialise(campaign_id: int) -> int | None:
    """Queue the next batch of one campaign: the messages queued, or None when it has nothing
    due now (paced, paused, finished)."""
    now = clock.now()
    try:
        with database.atomic():
            campaign = Campaign.get_or_none(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING)
            if campaign is None:
                return None
            if campaign.list_id is None:
                _move(campaign, CampaignStatus.CANCELLED, completed_at=now, last_error="Its contact list was deleted")
                return None
            limit = _allowance(campaign, now)
            room = sending.quota_room(campaign.user)
            if room is not None and room[0] < limit:
                limit = room[0]
                if limit <= 0:
                    _move(campaign, CampaignStatus.PAUSED, last_error=f"Email sending limit reached ({room[1]} limit "
                                                                      f"of {room[2]}); resume it when there is room")
                    return None
            if limit <= 0:
                return None
            try:
                sending.check_sender(campaign.domain)
            except (AccountDisabled, DomainNotActive) as exc:
                _move(campaign, CampaignStatus.PAUSED, last_error=str(exc))
                return None
            batch = list(Contact.select().where(Contact.list == campaign.list_id, Contact.id > campaign.cursor)
                         .order_by(Contact.id).limit(limit))
            if not batch:
                _move(campaign, CampaignStatus.COMPLETED, completed_at=now)
                return None
            pendings = [p for contact in batch if (p := _prepared(campaign, contact)) is not None]
            sending.write_all(pendings)
            queued = len(pendings)
            end = {"status": CampaignStatus.COMPLETED, "completed_at": now} if len(batch) < limit else {}
            moved = (Campaign.update(cursor=batch[-1].id, queued=Campaign.queued + queued,
                                     skipped=Campaign.skipped + len(batch) - queued,
                                     paced_count=Campaign.paced_count + queued, updated_at=now, **end)
                     .where(Campaign.id == campaign.id, Campaign.cursor == campaign.cursor,
                            Campaign.status == CampaignStatus.SENDING).execute())
            if not moved:
                raise _Moved()
    except (_Moved, CampaignStateError, IntegrityError):  # paused, cancelled, or another runner's batch
        return None
    return queued


def _allowance(campaign: Campaign, now: datetime.datetime) -> int:
    """How many may be queued now: the first at once, then `speed` an hour."""
    if not campaign.speed:
        return BATCH
    elapsed = max((now - (campaign.paced_from or now)).total_seconds(), 0)
    return min(BATCH, 1 + int(campaign.speed * elapsed / 3600) - campaign.paced_count)


def _prepared(campaign: Campaign, contact: Contact) -> sending.Pending | None:
    """One contact's personalised message, for the batch's transaction to write; None when the
    contact is passed over (not subscribed, suppressed, or its message refused)."""
    if contact.status != ContactStatus.SUBSCRIBED:
        return None
    variables = {**json.loads(contact.fields or "{}"), "email": contact.email, "name": contact.name}
    try:
        content = templates.render_parts(campaign.subject, campaign.html, campaign.text, variables)
        out = sending.Outgoing(
            sender=Address(campaign.from_email, campaign.from_name), to=(Address(contact.email, contact.name),),
            reply_to=(Address(campaign.reply_to),) if campaign.reply_to else (), subject=content.subject,
            html=content.html or None, text=content.text or None, tags=tuple(json.loads(campaign.tags)))
        pending = sending.prepare(campaign.domain, out, source="campaign", alone=False)
    except GatewayError as exc:
        log.info("campaign %s passes over contact %s: %s", campaign.id, contact.id, exc)
        return None
    return dataclasses.replace(pending, campaign=campaign, contact_id=contact.id)


def _apply(campaign: Campaign, changes: dict) -> None:
    """Check and set the fields `changes` names."""
    user = campaign.user
    if "name" in changes:
        if not str(changes["name"] or "").strip():
            raise InvalidCampaign("The campaign needs a name")
        campaign.name = str(changes["name"]).strip()[:255]
    if "list_id" in changes:
        campaign.list = contacts.get_list(changes["list_id"], user) if changes["list_id"] is not None else None
    if "from_email" in changes:
        try:
            address = normalize_address(str(changes["from_email"] or ""))
        except InvalidAddress as exc:
            raise InvalidCampaign(f"Invalid from address: {exc}") from None
        campaign.from_email, campaign.domain = address, domains.of_address(user, address)
    if "reply_to" in changes:
        try:
            campaign.reply_to = normalize_address(changes["reply_to"]) if changes["reply_to"] else ""
        except InvalidAddress as exc:
            raise InvalidCampaign(f"Invalid reply-to address: {exc}") from None
    if "from_name" in changes:
        sending.check_header_text("The from name", str(changes["from_name"] or ""))
        campaign.from_name = str(changes["from_name"] or "")[:255]
    if "template" in changes:
        template = changes["template"]
        campaign.template = (template if template is None or hasattr(template, "html")
                             else templates.get(template, user))
    for part in ("subject", "html", "text"):
        if part in changes:
            source = str(changes[part] or "")
            templates.check(part, source)
            setattr(campaign, part, source)
    if "speed" in changes:
        try:
            speed = int(changes["speed"] or 0)
        except (TypeError, ValueError):
            speed = -1
        if speed < 0:
            raise InvalidCampaign("The speed is a number of messages per hour (0: as fast as possible)")
        campaign.speed = speed
    if "begins_at" in changes:
        campaign.begins_at = changes["begins_at"]
    if "tags" in changes:
        campaign.tags = json.dumps([str(t)[:128] for t in (changes["tags"] or ())])


def _copy_template(campaign: Campaign) -> None:
    template = campaign.template
    if not template.active:
        raise InvalidCampaign("The campaign's template is not active")
    campaign.subject = campaign.subject or template.subject  # the campaign's own parts win
    campaign.html, campaign.text = campaign.html or template.html, campaign.text or template.text


def _require(campaign: Campaign, allowed, what: str) -> None:
    if campaign.status not in allowed:
        raise CampaignStateError(f"A {campaign.status} campaign cannot be {what}")


def _move(campaign: Campaign, status: CampaignStatus, allowed=None, what: str = "", **changes) -> Campaign:
    """Change the status (and `changes`) only from one of `allowed` (default: the status read),
    as the database has it now; only the named fields are written, never the cursor the
    runner moves."""
    changes.update(status=status, updated_at=clock.now())
    allowed = allowed or (campaign.status,)
    if not Campaign.update(**changes).where(Campaign.id == campaign.id, Campaign.status.in_(allowed)).execute():
        now = Campaign.get_or_none(Campaign.id == campaign.id)
        raise CampaignStateError(f"A {now.status if now else 'deleted'} campaign cannot be {what or status}")
    for name, value in changes.items():
        setattr(campaign, name, value)
    return campaign
