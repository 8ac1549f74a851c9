"""Signed webhook POSTs from the outbox, retried until they land.

`events.record` writes a WebhookDelivery row for each matching webhook in the event's own
transaction; workers lease due rows (as they lease mail, at most PER_ENDPOINT in flight per
webhook) and POST them through `outbound_http`: the URL parsed strictly, resolved and checked
again before every POST and connected to at exactly the checked address, 10 s for the whole
POST, no redirects.
A 2xx is success; anything else is retried after 1 m, 5 m, 15 m, 1 h, 3 h, 6 h, 12 h and 24 h,
then the row is `failed` (`gatepost webhooks replay` sends it again). Each attempt is kept,
with a truncated response. An endpoint that fails GATEPOST_WEBHOOK_SUSPEND_AFTER times in a
row is suspended with the reason, which its owner sees in GetWebhooks.

What is POSTed (body, headers, signature) is the webhook's dialect's: each dialect registers the
renderer of its format (`register_format`); the outbox, the retries and the records are one.
`signing_keys` gives a renderer the domain's key, and the previous one for a day after
RegenerateSigningKey, so receivers can switch keys without a gap.

A format may batch (SendPulse POSTs arrays of events): its rows are written due `wait` after
their event (at once when `size` of them wait), and when one falls due the worker leases the
webhook's rows due within that wait too (up to `size`), renders them into one body, POSTs once
and records the outcome on each row.
A failed batch counts as one failure of the endpoint; each row keeps its own retries and replay.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import time
from collections.abc import Callable

from peewee import fn

import clock
import config
from models import Event, Message, SenderDomain, Webhook, WebhookAttempt, WebhookDelivery
from models.db import database, insert_rows
from models.vocabulary import OutboxStatus, Switch
from services import dns, domains, metrics, outbound_http, outbox, secrets, webhooks
from services.errors import ForbiddenWebhookHost, InvalidWebhookURL

log = logging.getLogger(__name__)
RETRY_AFTER = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)  # seconds, after attempt 1, 2, ...
TIMEOUT = 10  # seconds for a whole POST: connect, send, answer
PER_ENDPOINT = 2  # POSTs in flight at once to one webhook, across all workers
KEY_GRACE = datetime.timedelta(days=1)
USER_AGENT = "Gatepost-Webhooks/1"

# format name -> render(event, message, domain, delivery_id) -> (body, headers)
Renderer = Callable[[Event, Message | None, SenderDomain, int], tuple[bytes, dict[str, str]]]
FORMATS: dict[str, Renderer] = {}


@dataclasses.dataclass(frozen=True)
class Batching:
    """`render([(event, message, domain, delivery_id), ...]) -> (body, headers)` for up to `size`
    events of one webhook, each waiting at most `wait` for the others."""
    render: Callable[[list[tuple[Event, Message | None, SenderDomain, int]]], tuple[bytes, dict[str, str]]]
    size: int = 500
    wait: datetime.timedelta = datetime.timedelta(seconds=30)


BATCHED: dict[str, Batching] = {}


def register_format(name: str, batch: Batching | None = None):
    """Register a dialect's payload renderer under its format name (a decorator); `batch` for a
    format that POSTs several events at once."""
    def register(render: Renderer) -> Renderer:
        if FORMATS.get(name, render) is not render:
            raise ValueError(f"webhook format {name} is registered twice")
        FORMATS[name] = render
        if batch is not None:
            BATCHED[name] = batch
        return render
    return register


def enqueue(event: Event) -> None:
    """Outbox rows for the domain's webhooks subscribed to this event's type (call inside the
    transaction that records the event)."""
    enqueue_all([event], subscribed([(event.event, event.domain_id, event.user_id)]))


def subscribed(owners) -> dict[tuple[str, int, int], list[Webhook]]:
    """The webhooks (id, status, format) subscribed to each (event type, domain id, user id)."""
    return {owner: webhooks.subscribers(owner[1], owner[0], owner[2]) for owner in set(owners)}


def enqueue_all(events: list[Event], hooks: dict[tuple[str, int, int], list[Webhook]]) -> None:
    """Outbox rows for `events` (id, event, domain_id, user_id, created_at), to the webhooks
    `subscribed` found for them, in one INSERT. A suspended endpoint's rows are written as
    failed, so `replay` can still send them once it is enabled again: no event is lost to a
    suspension."""
    rows, batched = [], {}
    for event in events:
        hooked = hooks[(event.event, event.domain_id, event.user_id)]
        rows += outbox_rows(event.id, event.created_at, hooked)
        batched |= {h.id: (BATCHED[h.format].size, event.created_at) for h in hooked
                    if h.format in BATCHED and h.status == Switch.ENABLED}
    insert_rows(WebhookDelivery, rows)
    for hook_id, (size, now) in batched.items():
        _full_batch_goes_now(hook_id, size, now)


def outbox_rows(event_id, created_at: datetime.datetime, hooks: list[Webhook]) -> list[dict]:
    """An event's outbox rows to `hooks` (its subscribers), without what `enqueue_all` does
    after them for batching formats (see `batching`)."""
    return [{"webhook": h.id, "event": event_id, "created_at": created_at,
             "next_attempt_at": created_at + (BATCHED[h.format].wait if h.format in BATCHED else datetime.timedelta()),
             "status": OutboxStatus.PENDING if h.status == Switch.ENABLED else OutboxStatus.FAILED,
             "last_error": "" if h.status == Switch.ENABLED else f"endpoint {h.status.lower()}"} for h in hooks]


def batching(hooks: list[Webhook]) -> bool:
    """Whether any of `hooks` batches its POSTs (its rows are not only written: `enqueue_all`)."""
    return any(h.format in BATCHED for h in hooks)


def _full_batch_goes_now(webhook_id: int, size: int, now: datetime.datetime) -> None:
    """A webhook with full batches waiting has them due at once, not when their wait is over;
    the rest, oldest first, still waits (several events may have come in one transaction)."""
    waiting = (WebhookDelivery.select(WebhookDelivery.id)
               .where(WebhookDelivery.webhook == webhook_id, WebhookDelivery.status == OutboxStatus.PENDING,
                      WebhookDelivery.attempts == 0, WebhookDelivery.next_attempt_at > now)
               .order_by(WebhookDelivery.id))
    full = waiting.count() // size * size
    if full:
        ids = [row.id for row in waiting.limit(full)]
        WebhookDelivery.update(next_attempt_at=now).where(WebhookDelivery.id.in_(ids)).execute()


def signing_keys(domain: SenderDomain) -> list[str]:
    keys = [domains.signing_key(domain)]
    if domain.previous_signing_key and domain.signing_key_rotated_at and \
            clock.now() - domain.signing_key_rotated_at < KEY_GRACE:
        keys.append(secrets.decrypt(domain.previous_signing_key))
    return keys


def run_once(owner: str, limit: int = 50, submit: Callable[[Callable[[], None]], None] | None = None) -> int:
    """Lease a batch of due webhook deliveries and POST them: here, one after another, or each
    through `submit` (the worker's webhook pool). Endpoints that already have PER_ENDPOINT POSTs
    in flight (under any worker's lease) are left for later, so a slow one holds few threads;
    the pool leases with limit=1, so a batch cannot exceed that either. Returns how many were
    leased."""
    with database.atomic():  # one transaction: on SQLite no other worker leases in between
        now = clock.now()
        busy = (WebhookDelivery.select(WebhookDelivery.webhook)
                .where(WebhookDelivery.status == OutboxStatus.PENDING, outbox.held(WebhookDelivery, now))
                .group_by(WebhookDelivery.webhook).having(fn.COUNT(WebhookDelivery.id) >= PER_ENDPOINT))
        ids = outbox.lease(WebhookDelivery, (OutboxStatus.PENDING,), owner, limit, where=WebhookDelivery.webhook.not_in(busy))
    for rows in _posts(owner, _leased(ids, owner)):
        if submit is None:
            _attempt(owner, rows)
        else:
            submit(functools.partial(_attempt, owner, rows))
    return len(ids)


def _leased(ids: list[int], owner: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.select(WebhookDelivery, Webhook, Event, SenderDomain)
                .join(Webhook).switch(WebhookDelivery).join(Event).join(SenderDomain)
                .where(WebhookDelivery.id.in_(ids), WebhookDelivery.lease_owner == owner)
                .order_by(WebhookDelivery.id))


def _posts(owner: str, rows: list[WebhookDelivery]) -> list[list[WebhookDelivery]]:
    """The leased rows as POSTs: one each, but a batched format's rows of one webhook together,
    with the webhook's rows due within its wait leased to go along."""
    posts, batches = [], {}
    for row in rows:
        if row.webhook.format in BATCHED:
            batches.setdefault(row.webhook_id, []).append(row)
        else:
            posts.append([row])
    for hook_id, group in batches.items():
        batching = BATCHED[group[0].webhook.format]
        if len(group) < batching.size:
            with database.atomic():
                group += _leased(outbox.lease(WebhookDelivery, (OutboxStatus.PENDING,), owner, batching.size - len(group),
                                              where=WebhookDelivery.webhook == hook_id, ahead=batching.wait), owner)
        posts += [group[i:i + batching.size] for i in range(0, len(group), batching.size)]
    return posts


def _attempt(owner: str, rows: list[WebhookDelivery]) -> None:
    """POST one row, or one batch of a webhook's rows, and record the outcome on each."""
    hook = rows[0].webhook
    hook.status, hook.status_reason = (Webhook.select(Webhook.status, Webhook.status_reason)
                                       .where(Webhook.id == hook.id).tuples().get())  # as it is now, not at claim
    if hook.status != Switch.ENABLED:
        for row in rows:
            outbox.settle(row, owner, status=OutboxStatus.FAILED,
                          last_error=f"endpoint {hook.status.lower()}: {hook.status_reason}")
        return
    items = [(row.event, row.event.message, row.event.domain, row.id) for row in rows]
    batching = BATCHED.get(hook.format)
    body, headers = batching.render(items) if batching else FORMATS[hook.format](*items[0])
    started = time.monotonic()
    status, response, error = post_once(hook.url, body, headers)  # resolved and checked now, for this POST only
    _record(owner, rows, hook, status, response, error, int((time.monotonic() - started) * 1000))


def post_once(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """One POST, the URL resolved and checked now, 10 s for all of it: (HTTP status or None, the
    answer's start, what went wrong). The outbox's attempts use it, and so do dialects' test
    calls, which POST a sample outside the outbox."""
    try:
        target, addresses = webhooks.destination(url)
        answer = outbound_http.post(target, addresses, body, {"User-Agent": USER_AGENT, **headers}, TIMEOUT)
    except (ForbiddenWebhookHost, InvalidWebhookURL) as exc:
        return None, "", f"Webhook URL is not an allowed outbound destination: {exc}"
    except dns.DNSTimeout:
        return None, "", "DNSTimeout: the webhook host could not be resolved in time"
    except outbound_http.Failure as exc:
        return None, "", str(exc)[:2000]
    return answer.status, answer.text[:2000], ""


def _record(owner: str, rows: list[WebhookDelivery], hook: Webhook, status, response: str, error: str,
            duration: int) -> None:
    """Each row's attempt and outcome; the endpoint's failure count moves once for the POST."""
    ok = status is not None and 200 <= status < 300
    reason = error or f"HTTP {status}"
    settled = False
    with database.atomic():
        for row in rows:
            attempts = row.attempts + 1
            if ok:
                changes = dict(status=OutboxStatus.DELIVERED)
            elif attempts > len(RETRY_AFTER) or error.startswith("Webhook URL is not an allowed"):
                changes = dict(status=OutboxStatus.FAILED)
            else:
                changes = dict(next_attempt_at=clock.now() + datetime.timedelta(seconds=RETRY_AFTER[attempts - 1]))
            metrics.WEBHOOKS.labels(OutboxStatus.DELIVERED if ok else changes.get("status", "retry")).inc()
            WebhookAttempt.create(delivery=row, duration_ms=duration, status_code=status, response=response, error=error)
            settled |= outbox.settle(row, owner, attempts=attempts, last_status=status,
                                     last_error="" if ok else reason, **changes)
        if not settled:
            return
        if ok:
            Webhook.update(consecutive_failures=0).where(Webhook.id == hook.id).execute()
            return
        Webhook.update(consecutive_failures=Webhook.consecutive_failures + 1).where(Webhook.id == hook.id).execute()
        limit = config.current().webhook_suspend_after
        (Webhook.update(status=Switch.SUSPENDED, status_reason=f"{limit} failures in a row; last: {reason}"[:1000])
         .where(Webhook.id == hook.id, Webhook.consecutive_failures >= limit, Webhook.status == Switch.ENABLED).execute())


def replay(*, delivery_ids: list[int] | None = None, since: datetime.datetime | None = None) -> int:
    """Send failed webhook deliveries again (by id, or every one that failed since a time)."""
    query = WebhookDelivery.update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now(), last_error="")
    condition = WebhookDelivery.status == OutboxStatus.FAILED
    if delivery_ids:
        condition &= WebhookDelivery.id.in_(delivery_ids)
    if since:
        condition &= WebhookDelivery.created_at >= since
    return query.where(condition).execute()


def of_webhook(hook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    """A webhook's deliveries, newest first, with their event."""
    return list(WebhookDelivery.select(WebhookDelivery, Event).join(Event).where(WebhookDelivery.webhook == hook)
                .order_by(WebhookDelivery.id.desc()).limit(limit))


def attempts_of(rows: list[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of some deliveries, newest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = {row.id: [] for row in rows}
    if found:
        for attempt in (WebhookAttempt.select().where(WebhookAttempt.delivery.in_(list(found)))
                        .order_by(WebhookAttempt.id.desc())):
            found[attempt.delivery_id].append(attempt)
    return found


def resend(hook: Webhook, delivery_id) -> bool:
    """Send one of a webhook's finished deliveries (landed or given up) again, as a new round of
    attempts; the earlier attempts stay on record. False when it is not that webhook's or still waits."""
    return bool(WebhookDelivery.update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now(), last_error="")
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook == hook,
                       WebhookDelivery.status != OutboxStatus.PENDING).execute())


def failed(limit: int) -> list[WebhookDelivery]:
    """Deliveries that gave up, newest first (`gatepost webhooks failed`)."""
    return list(WebhookDelivery.select().where(WebhookDelivery.status == OutboxStatus.FAILED)
                .order_by(WebhookDelivery.id.desc()).limit(limit))


def enable(webhook_id: int) -> bool:
    """Lift a suspension; deliveries that failed meanwhile can be replayed."""
    return bool(Webhook.update(status=Switch.ENABLED, status_reason="", consecutive_failures=0)
                .where(Webhook.id == webhook_id).execute())
