"""The delivery loop: claim due deliveries and send them, every destination at once, each on
up to `destination_connections` connections of its own (`worker_connections` in all), the
recipients of a message that share a domain in one transaction; each destination's messages
are personalised and signed by its own thread while its connections have others on the wire,
and one recorder thread records every attempt and what it decided as soon as it comes back:
whatever outcomes came back during the last record share the next transaction, but none waits
for others: a crash between a 250 and its record sends that message again, so the window is
kept to the messages on the wire. A receiver a round trip away answers each command tens of
milliseconds later: one connection at a time would deliver a few dozen messages a second.

2xx -> delivered; 4xx, no answer, timeouts -> deferred with backoff (a "try again in N
seconds" hint wins) until the retry horizon, then failed; 5xx -> bounced. A bounced or failed
delivery's event carries its reason (services.bounce_reasons); the recipient is suppressed
only when that reason says the address is dead, or when it keeps failing softly. Mail whose
sender may no longer send fails with the reason.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import logging
import queue as queue_
import re
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import peewee

import clock
import config
from models import Delivery, DeliveryAttempt
from models.db import database, insert_rows
from models.vocabulary import DeliveryStatus, DomainStatus
from services import (bounce_reasons, dkim, dns, dns_records, engagement, events, metrics, outbox, queue, retention,
                      secrets, suppressions, transport, verp)
from services.transport import Reply

log = logging.getLogger(__name__)
HINT = re.compile(r"try again in (\d+)\s*(s|sec|second|m|min|minute|h|hour)s?\b", re.IGNORECASE)
UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
MAX_BACKOFF = 4 * 3600
LINE_AHEAD = 2  # messages signed and waiting for each connection, at most
LATE = "not sent: the delivery pass ran out of time (a slow receiver); try again in 1 second"
WIDEN_SECONDS = 0.02  # a transaction longer than this waited on the receiver (a round trip a command, a
# content scan): another connection is opened. Loopback and LAN receivers answer within a few ms.
IDLE_SECONDS = 2.0  # a session kept open for the next pass to the same destination (Postfix's cache: 2 s)
QUIT_SECONDS = 0.5  # a kept session's QUIT waits no longer: the pass closes them
REUSE_SECONDS = 300  # a route (and its session) is reused that long after its MX lookup (Postfix: 300 s)


def backoff(attempts: int, reply: str) -> datetime.timedelta:
    """1, 2, 4 ... minutes up to 4 hours; a receiver's own "try again in N seconds" wins."""
    hint = HINT.search(reply)
    if hint:
        return datetime.timedelta(seconds=max(1, int(hint[1]) * UNITS[hint[2].lower()]))
    return datetime.timedelta(seconds=min(60 * 2 ** max(0, attempts - 1), MAX_BACKOFF))


def run_once(owner: str) -> int:
    """One pass: claim a batch and deliver it, every destination at once on a thread of its own
    (one destination's trouble must not hold the others' mail); returns how many deliveries
    were handled. A recording that failed leaves what it did not record for the next retry."""
    SESSIONS.close_idle()
    settings = config.current()
    claimed = queue.claim(owner, settings.worker_batch)
    claimed.sort(key=lambda d: (_destination(d), d.message_id, d.id))
    batches = [list(batch) for _, batch in itertools.groupby(claimed, key=_destination)]
    if not batches:
        return 0
    recorder, connections = _Recorder(owner), max(1, settings.worker_connections)
    slots = threading.BoundedSemaphore(connections)
    try:
        with ThreadPoolExecutor(min(len(batches), connections), thread_name_prefix="delivery") as destinations:
            for batch in batches:
                destinations.submit(_deliver_apart, owner, batch, recorder, slots)
    finally:
        try:
            recorder.close()
        except Exception as exc:
            log.exception("delivery pass: recording failed")
            _defer_unsettled(owner, claimed, _interrupted(exc))
    return len(claimed)


def _interrupted(exc: Exception) -> str:
    return f"Delivery interrupted: {exc.__class__.__name__}: {exc}"


def _deliver_apart(owner: str, batch: list[Delivery], recorder: _Recorder, slots: threading.Semaphore) -> None:
    """A destination's share of the pass, on its own thread: trouble here defers what of it is
    unsettled. It reads nothing from the database (the claim read it all; the recorder writes):
    one it did read anyway goes back to the pool."""
    try:
        _deliver(owner, batch, recorder, slots)
    except Exception as exc:
        log.exception("delivery pass: mail for %s stopped", _destination(batch[0]) or "the relay")
        recorder.defer_unsettled(batch, _interrupted(exc))
    finally:
        if not database.is_closed():
            database.close()


def _defer_unsettled(owner: str, batch: list[Delivery], reason: str) -> None:
    """What of a batch is still ours waits for the next retry with the reason, rather than
    staying leased until the lease expires and coming back in the same batch."""
    held = {row_id for (row_id,) in Delivery.select(Delivery.id).where(Delivery.id.in_([d.id for d in batch]),
                                                                      Delivery.lease_owner == owner).tuples()}
    _settle_many(owner, [Outcome(d, Reply(None, reason), DeliveryStatus.DEFERRED, attempted=False)
                         for d in batch if d.id in held])


def _destination(delivery: Delivery) -> str:
    """Deliveries with one destination share its connections: the smarthost, or a recipient domain."""
    return "" if config.current().relay_url else delivery.recipient_domain


def _blocked(delivery: Delivery) -> str:
    message = delivery.message
    domain, user = message.domain, message.user
    if not user.is_enabled:
        return "Sending blocked: account disabled"
    if domain.status != DomainStatus.ENABLED:
        return f"Sending blocked: sender domain {domain.status}"
    if domain.queue_cleared_at and message.created_at <= domain.queue_cleared_at:
        return "cleared by user"
    return ""


def _deliver(owner: str, batch: list[Delivery], recorder: _Recorder | None = None,
             slots: threading.Semaphore | None = None) -> None:
    """One destination's deliveries, on up to `destination_connections` connections (`slots`:
    the pass's, shared by every destination). Without a recorder: with one of its own."""
    if recorder is None:
        recorder = _Recorder(owner)
        try:
            return _deliver(owner, batch, recorder, slots)
        finally:
            recorder.close()
    reasons = {d.id: _blocked(d) for d in batch}
    recorder.put([Outcome(d, Reply(None, reasons[d.id]), DeliveryStatus.FAILED, attempted=False)
                  for d in batch if reasons[d.id]])
    ready = [d for d in batch if not reasons[d.id]]
    if not ready:
        return
    groups = list(_transactions(ready))
    destination = _Destination.of(ready[0])
    kept = SESSIONS.take(destination)
    if kept is None:
        try:
            route = transport.route(ready[0].recipient_domain)
        except transport.NoRoute as exc:
            return recorder.put([Outcome(d, Reply(None, str(exc)), DeliveryStatus.BOUNCED) for d in ready])
        except dns.DNSTimeout as exc:
            return recorder.put([Outcome(d, Reply(None, f"MX lookup timed out: {exc}")) for d in ready])
        kept = SESSIONS.take(route) or _Session(route)
    line = _Line(destination, kept, recorder, max(1, min(len(groups), config.current().destination_connections)),
                 slots)
    try:
        for i, group in enumerate(groups):
            if recorder.error is not None:  # nothing more can be recorded: the rest stays for the pass to defer
                break
            if recorder.late():
                recorder.put([Outcome(d, Reply(None, LATE), attempted=False) for rest in groups[i:] for d in rest])
                break
            if line.failure is not None:  # the destination is unreachable: the rest waits too
                recorder.put([Outcome(d, line.failure) for rest in groups[i:] for d in rest])
                break
            content = _prepared(group, recorder)
            if content is not None:
                line.put(group, _return_path(group[0]), content)
    finally:
        line.close()


class _Jobs:
    """A destination's messages for its connections, in order, about `ahead` of them waiting at
    most (one that a connection gave back, because it could not open, is the next one taken);
    once no connection is left to take them (`abandoned`), they are only collected."""

    def __init__(self, ahead: int):
        self.ahead, self.items, self.closed, self.abandoned = ahead, deque(), False, False
        self.changed = threading.Condition()

    def put(self, job) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.items) < self.ahead or self.abandoned)
            self.items.append(job)
            self.changed.notify_all()

    def give_back(self, job) -> None:
        with self.changed:
            self.items.appendleft(job)
            self.changed.notify_all()

    def take(self):
        """The next job; None once closed and none is left."""
        with self.changed:
            self.changed.wait_for(lambda: self.items or self.closed)
            job = self.items.popleft() if self.items else None
            self.changed.notify_all()
            return job

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def abandon(self) -> list:
        """No connection takes jobs any more: what is waiting, and no more waiting to put."""
        with self.changed:
            self.abandoned = True
            left, self.items = list(self.items), deque()
            self.changed.notify_all()
            return left


class _Line:
    """A destination's SMTP connections, fed by the destination's thread through one short queue,
    each driven by a thread of its own, so the next message is personalised and signed while
    others are on the wire; the outcomes go to the pass's recorder as they come back. The first
    connection is the session kept from the last pass, if any. A transaction that waited on the
    receiver (longer than WIDEN_SECONDS) opens one more, while the line and the pass have room:
    a receiver a round trip away gets up to `connections` at once, one that answers at once (a
    relay on the same network, loopback) keeps getting one, and an unreachable destination costs
    one attempt. A 421 or a drop closes a connection and its next message opens another. A
    connection that cannot be opened while others of the line still send leaves its message to
    them (a receiver that allows a few connections only); the last one cannot leave: the
    destination cannot be reached, `failure` is set, and every message still queued gets it.
    Once a recording failed, no more is sent (the pass defers what it could not record)."""

    def __init__(self, destination: _Destination, session: _Session, recorder: _Recorder, connections: int,
                 slots: threading.Semaphore | None):
        self.destination, self.session, self.recorder, self.failure = destination, session, recorder, None
        self.route, self.slots, self.lock = session.route, slots, threading.Lock()
        if slots is not None:
            slots.acquire()  # the first connection waits its turn; the others take spare slots only
        self.room, self.sending = connections - 1, 1
        self.jobs = _Jobs(LINE_AHEAD * connections)
        self.threads: list[threading.Thread] = []
        self._start(session.connection)  # (no thread to be had: it raises, the destination's mail waits for a retry)
        while self.room and (kept := SESSIONS.take(destination)) is not None:  # as wide as the last pass ended
            if not self._widen(kept.connection):
                SESSIONS.keep(destination, kept)
                break

    def put(self, group: list[Delivery], mail_from: str, content: bytes) -> None:
        self.jobs.put((group, mail_from, content))

    def close(self) -> None:
        """Wait for what was queued to go and its outcomes to be handed to the recorder; what no
        connection took (each gave up at once) waits for a retry."""
        self.jobs.close()
        joined = 0
        while joined < len(self.threads):  # (a thread may start another until it ends)
            self.threads[joined].join()
            joined += 1
        self._unsent(self.jobs.abandon())

    def _unsent(self, jobs: list) -> None:
        reply = self.failure or Reply(None, "no connection to the destination could be opened")
        self.recorder.put([Outcome(d, reply, attempted=False) for group, _, _ in jobs for d in group])

    def _widen(self, connection: transport.Connection | None = None) -> bool:
        """One more connection (a kept one, or one opened when its first message comes), while the
        line and the pass have room for it and a thread can be had (a process or container limit
        may refuse one: the line goes on as wide as it is); whether it was added."""
        with self.lock:  # (held while the thread starts: its end counts itself out under it)
            if self.room < 1 or self.failure is not None or (
                    self.slots is not None and not self.slots.acquire(blocking=False)):
                return False
            try:
                self._start(connection)
            except RuntimeError:
                return False
            self.room -= 1
            self.sending += 1
            return True

    def _start(self, connection: transport.Connection | None) -> None:
        """A thread sending over `connection`, on the slot taken for it; when the process cannot
        have one (a process or container limit), the slot is given back and RuntimeError raised."""
        thread = threading.Thread(target=self._run, args=(connection,), name="smtp-line", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            if self.slots is not None:
                self.slots.release()
            raise
        self.threads.append(thread)

    def _run(self, connection: transport.Connection | None) -> None:
        try:
            while (job := self.jobs.take()) is not None:
                group, mail_from, content = job
                if self.recorder.error is not None:  # its outcome could not be recorded: the pass defers it
                    continue
                if self.recorder.late():
                    self.recorder.put([Outcome(d, Reply(None, LATE), attempted=False) for d in group])
                    continue
                started = time.monotonic()
                try:
                    if self.failure is None and (connection is None or not connection.open):
                        connection = transport.Connection(self.route, helo=config.current().mail_host)
                        if not connection.open and self._leave(job, connection.failure):
                            return
                    outcomes = self._send(connection, group, mail_from, content)
                except Exception as exc:  # a bug here must not strand the pass waiting on the queue
                    log.exception("SMTP line to %s failed", self.route.hosts)
                    outcomes = [Outcome(d, Reply(None, _interrupted(exc)), DeliveryStatus.DEFERRED, attempted=False)
                                for d in group]
                self.recorder.put(outcomes)
                if time.monotonic() - started > WIDEN_SECONDS and self.jobs.items:  # (and mail is waiting)
                    self._widen()
            if connection is not None and connection.open:  # (one that could not open holds nothing to close)
                SESSIONS.keep(self.destination, dataclasses.replace(self.session, connection=connection))
        finally:
            with self.lock:
                self.sending -= 1
                last = self.sending == 0
            if last:  # none is left to take what waits: it waits for a retry, and puts no longer wait
                self._unsent(self.jobs.abandon())
            if self.slots is not None:
                self.slots.release()

    def _leave(self, job, failure: Reply) -> bool:
        """A connection could not be opened: this thread leaves its message to the others and
        ends (True), or, the last one sending, the destination cannot be reached (False)."""
        with self.lock:
            if self.sending > 1:
                self.jobs.give_back(job)
                return True
            self.failure = failure
            return False

    def _send(self, connection, group: list[Delivery], mail_from: str, content: bytes) -> list[Outcome]:
        if self.failure is not None:
            return [Outcome(d, self.failure) for d in group]
        started = time.monotonic()
        replies = connection.send(mail_from, [d.recipient for d in group], content)
        return [Outcome(d, replies[d.recipient], duration_ms=transport.elapsed_ms(started)) for d in group]


class _Recorder:
    """Records the pass's outcomes on a thread with its own database connection, as they come
    back: whatever came back during the last record shares the next transaction. A recording
    that failed records nothing more; close() raises it (what it left is still leased). The pass
    it records is `late()` once half the lease has gone: what it has not sent by then waits a
    second for the next pass (a receiver that answers every command after many seconds would
    otherwise hold the worker's next claim, and outlive the leases: other workers would send
    the same mail again)."""

    def __init__(self, owner: str):
        self.owner, self.error = owner, None
        self.deadline = time.monotonic() + config.current().lease_seconds / 2
        self.items: queue_.Queue = queue_.Queue()
        self.thread = threading.Thread(target=self._run, name="delivery-recorder", daemon=True)
        self.thread.start()

    def put(self, outcomes: list[Outcome]) -> None:
        if outcomes:
            self.items.put(outcomes)

    def late(self) -> bool:
        return time.monotonic() > self.deadline

    def defer_unsettled(self, batch: list[Delivery], reason: str) -> None:
        """_defer_unsettled, after what was put before it."""
        self.items.put((batch, reason))

    def close(self) -> None:
        self.items.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            with database.connection_context():
                while True:
                    taken = [self.items.get()]
                    while not self.items.empty():
                        taken.append(self.items.get())
                    if self.error is None:
                        try:
                            self._record([item for item in taken if item is not None])
                        except Exception as exc:  # the rest is not recorded either: close() raises it
                            self.error = exc
                    if taken[-1] is None:
                        return
        except Exception as exc:  # no connection: nothing is recorded, close() raises it
            self.error = self.error or exc

    def _record(self, items: list) -> None:
        outcomes: list[Outcome] = []
        for item in items:
            if isinstance(item, tuple):  # in order: what came before is settled first
                _settle_many(self.owner, outcomes)
                outcomes = []
                _defer_unsettled(self.owner, *item)
            else:
                outcomes += item
        _settle_many(self.owner, outcomes)


@dataclasses.dataclass(frozen=True)
class _Destination:
    """Where a pass's mail goes, as sessions are kept: a recipient domain (or the smarthost) under
    the settings that decide its route."""
    domain: str
    relay_url: str
    mx_port: int
    dns_servers: tuple[str, ...]

    @classmethod
    def of(cls, delivery: Delivery) -> _Destination:
        settings = config.current()
        return cls(_destination(delivery), settings.relay_url, settings.mx_port, settings.dns_servers)


@dataclasses.dataclass(frozen=True)
class _Session:
    """A destination's route (the MX lookup's answer) and the session opened on it, if any."""
    route: transport.Route
    connection: transport.Connection | None = None
    looked_up: float = dataclasses.field(default_factory=time.monotonic)


class _Sessions:
    """SMTP sessions a pass left open for the next one to the same destination, as many as it
    had (`destination_connections` at most) per destination and process, so mail that trickles in
    does not open a session, nor look its MX up, for every message or two, and a far receiver's
    next pass starts as wide as the last one ended. As Postfix's connection cache: a session is
    found by its destination before any DNS lookup, else by the route the lookup found (domains
    that share MX hosts share sessions); one idle longer than IDLE_SECONDS is closed, and one the
    receiver dropped meanwhile is caught by a RSET before reuse; a route is trusted for
    REUSE_SECONDS after its lookup, then the session is closed and the MX looked up again."""

    def __init__(self):
        self.kept: dict[_Destination, list[tuple[_Session, float]]] = {}
        self.lock = threading.Lock()

    def take(self, wanted: _Destination | transport.Route) -> _Session | None:
        """A session kept for this destination, or on this route, if one is still good."""
        while True:
            with self.lock:
                found = next(((key, i) for key, sessions in self.kept.items() for i in range(len(sessions) - 1, -1, -1)
                              if (key == wanted if isinstance(wanted, _Destination)
                                  else sessions[i][0].route == wanted)), None)
                if found is None:
                    return None
                key, i = found
                session, since = self.kept[key].pop(i)
                if not self.kept[key]:
                    del self.kept[key]
            now = time.monotonic()
            if now - since < IDLE_SECONDS and now - session.looked_up < REUSE_SECONDS and session.connection.alive():
                return session
            session.connection.close(timeout=QUIT_SECONDS)

    def keep(self, destination: _Destination, session: _Session) -> None:
        with self.lock:
            sessions = self.kept.setdefault(destination, [])
            sessions.append((session, time.monotonic()))
            surplus = sessions[:-max(1, config.current().destination_connections)]
            del sessions[:len(surplus)]
        for replaced, _ in surplus:
            replaced.connection.close(timeout=QUIT_SECONDS)

    def close_idle(self, longer_than: float = IDLE_SECONDS) -> None:
        """Close the sessions idle that long (all with 0: the worker stops)."""
        now = time.monotonic()
        closing = []
        with self.lock:
            for key in list(self.kept):
                closing += [session for session, since in self.kept[key] if now - since >= longer_than]
                self.kept[key] = [(session, since) for session, since in self.kept[key] if now - since < longer_than]
                if not self.kept[key]:
                    del self.kept[key]
        for session in closing:
            session.connection.close(timeout=QUIT_SECONDS)


SESSIONS = _Sessions()


def _transactions(deliveries: list[Delivery]):
    """A message's recipients share a transaction, unless tracking makes each copy personal."""
    for _, group in itertools.groupby(deliveries, key=lambda d: d.message_id):
        group = list(group)
        if len(group) == 1 or not engagement.personal(group[0]):  # (one recipient: nothing to ask)
            yield group
        else:
            yield from ([d] for d in group)


def _return_path(lead: Delivery) -> str:
    return verp.address(lead.id, dns_records.return_path_host(lead.message.domain))


def _prepared(group: list[Delivery], recorder: _Recorder) -> bytes | None:
    """The transaction's content; None once its outcome is handed to the recorder because it
    could not be made. A message that cannot be tracked or signed fails alone, with the reason;
    the batch goes on. Database trouble is not the message's fault: it waits for a retry."""
    try:
        return _content(group)
    except Exception as exc:
        transient = isinstance(exc, peewee.PeeweeException)
        log.warning("message %s could not be prepared for delivery", group[0].message.uuid, exc_info=not transient,
                    extra={"message_id": group[0].message.uuid})
        reply = Reply(None, f"Message could not be prepared for delivery: {exc.__class__.__name__}: {exc}")
        recorder.put([Outcome(d, reply, DeliveryStatus.DEFERRED if transient else DeliveryStatus.FAILED)
                      for d in group])
        return None


def _content(group: list[Delivery]) -> bytes:
    """The message for this transaction: personalised for its one recipient when tracked,
    then DKIM-signed (after, so the signature covers the tracked links and List-Unsubscribe)."""
    message, domain = group[0].message, group[0].message.domain
    content = engagement.personalise(group[0]) if len(group) == 1 else bytes(message.content)
    return dkim.sign(content, domain=domain.name, selector=domain.dkim_selector,
                     private_key_pem=_private_key(domain.dkim_private_key))


@functools.lru_cache(maxsize=256)
def _private_key(encrypted: str) -> str:
    return secrets.decrypt(encrypted)


def _bounce(reply: Reply, outcome: str) -> dict:
    """The normalised bounce of a synchronous reply, as inbound reports give it."""
    status = bounce_reasons.status_in(reply.text)
    reason, hard = bounce_reasons.classify(status, reply.code, reply.phase, reply.text, action="failed",
                                           permanent=outcome == DeliveryStatus.BOUNCED)
    return dict(reason=str(reason), hard=hard, status=status, diagnostic=reply.text[:1000], remote_mta=reply.host)


@dataclasses.dataclass
class Outcome:
    """What to record of one delivery's attempt (or of a decision made without one)."""
    delivery: Delivery
    reply: Reply
    outcome: str | None = None  # None: what the reply says
    duration_ms: int = 0
    attempted: bool = True


def _settle_many(owner: str, outcomes: list[Outcome]) -> None:
    """Record attempts and their outcomes, each with its event, in one transaction (a commit and
    an UPDATE per message were most of a delivery's database time). A delivery whose lease passed
    to another worker records nothing: the other worker's outcome counts."""
    if not outcomes:
        return
    now = clock.now()
    decided = [(o, _changes(o, now)) for o in outcomes]
    with database.atomic():
        held = outbox.settle_many(Delivery, owner, [(o.delivery.id, changes) for o, changes in decided])
        recorded = [(o, changes) for o, changes in decided if o.delivery.id in held]
        attempts = [dict(delivery=o.delivery.id, started_at=now, duration_ms=o.duration_ms, mx_host=o.reply.host,
                         smtp_code=o.reply.code, reply=o.reply.text[:2000], outcome=changes["status"])
                    for o, changes in recorded if o.attempted]
        if attempts:
            insert_rows(DeliveryAttempt, attempts)
        bounces = {o.delivery.id: _bounce(o.reply, changes["status"]) for o, changes in recorded
                   if o.attempted and changes["status"] in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED)}
        by_status: dict[str, list[dict]] = {}
        for o, changes in recorded:
            d = o.delivery
            by_status.setdefault(changes["status"], []).append(dict(
                user=d.message.user_id, domain=d.message.domain_id, message=d.message_id, delivery=d.id,
                recipient=d.recipient, details=dict(smtp_code=o.reply.code, smtp_reply=changes["last_reply"],
                                                    mx_host=o.reply.host, attempt=changes["attempts"],
                                                    **({"bounce": bounces[d.id]} if d.id in bounces else {}))))
        for status, entries in by_status.items():
            events.record_all(status, entries)
        for o, _ in recorded:  # after the events: they are what after_failure counts
            if (bounce := bounces.get(o.delivery.id)) is not None:
                suppressions.after_failure(o.delivery.message.user_id, o.delivery.recipient, bounce["hard"],
                                           f"{bounce['reason']}: {o.reply}")
    for o, changes in decided:
        if o.delivery.id not in held:
            log.warning("delivery %s: lease lost to another worker; its outcome stands", o.delivery.id,
                        extra={"message_id": o.delivery.message.uuid, "delivery_id": o.delivery.id})
    for o, changes in recorded:
        _after(o.delivery, changes, now)


def _changes(o: Outcome, now: datetime.datetime) -> dict:
    """The delivery row's new state: the outcome, or a retry time, or failed past the retry horizon."""
    outcome = o.outcome or o.reply.outcome
    attempts = o.delivery.attempts + o.attempted
    changes = dict(status=outcome, attempts=attempts, last_reply=str(o.reply))
    if outcome == DeliveryStatus.DEFERRED:
        horizon = datetime.timedelta(seconds=config.current().retry_horizon)
        if now - o.delivery.message.send_at >= horizon:
            changes.update(status=DeliveryStatus.FAILED,
                           last_reply=f"gave up after {attempts} attempts; last reply: {o.reply}")
        else:
            changes["next_attempt_at"] = now + backoff(attempts, o.reply.text)
    return changes


def _after(delivery: Delivery, changes: dict, now: datetime.datetime) -> None:
    """What follows a committed outcome: metrics, the body dropped when final, the log."""
    outcome = changes["status"]
    metrics.DELIVERIES.labels(outcome).inc()
    if outcome != DeliveryStatus.DEFERRED and config.current().drop_content_when_final:
        retention.drop_content_if_final(delivery.message_id)
    if outcome == DeliveryStatus.DELIVERED:
        metrics.DELIVERY_LATENCY.observe(max(0.0, (now - delivery.message.send_at).total_seconds()))
    elif outcome in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED):
        log.info("delivery %s to %s %s: %s", delivery.id, delivery.recipient, outcome, changes["last_reply"],
                 extra={"message_id": delivery.message.uuid, "delivery_id": delivery.id})
