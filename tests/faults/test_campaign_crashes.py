"""kill -9 the workers while they run a campaign: every subscribed contact gets exactly one
message of it (one Message row, whatever the sink saw again of it through the queue's
at-least-once delivery), and no unsubscribed or suppressed contact gets any.

The same real `gatepost worker` subprocesses as test_worker_crashes, killed every 1-2.5 s;
the campaign runner is their chore, so kills land while batches are being materialised too."""
from __future__ import annotations

import email
import random
import time
from collections import Counter
from email import policy

import pytest

from models import Campaign, Delivery, Message
from services import campaigns, contacts, suppressions
from tests.faults.conftest import sized
from tests.faults.test_worker_crashes import BATCH, Workers, environment, sink  # noqa: F401 (fixtures)

pytestmark = pytest.mark.faults

CONTACTS = sized(200, 5000)
TIMEOUT = sized(180, 900)  # bounded, generous: a loaded machine starts workers slowly


def test_killed_workers_send_each_contact_one_message(environment, sender, sink, tmp_path, figures):
    news = contacts.create_list(sender.account.user, "News")
    subscribed = []
    for i in range(CONTACTS):
        status = "unsubscribed" if i % 10 == 3 else "subscribed"
        contacts.add(news, f"c{i:05}@example.net", fields={"n": i}, status=status)
        if status == "subscribed" and i % 10 != 7:
            subscribed.append(f"c{i:05}@example.net")
    for i in range(7, CONTACTS, 10):
        suppressions.add(sender.account.user, f"c{i:05}@example.net", "manual")
    campaign = campaigns.launch(campaigns.create(sender.account.user, name="Crash", list_id=news.id,
                                                 from_email="news@example.com", subject="No {{ n }}",
                                                 text="Number {{ n }} for {{ email }}"))

    def unfinished() -> bool:
        return (Campaign.get_by_id(campaign.id).status != "completed"
                or Delivery.select().where(Delivery.status != "delivered").exists())

    rng = random.Random(20261201)
    workers = Workers(environment, tmp_path)
    started = time.monotonic()
    deadline = started + TIMEOUT
    try:
        workers.start()
        workers.start()
        while unfinished() and time.monotonic() < deadline:
            time.sleep(rng.uniform(1.0, 2.5))  # a new worker needs a moment to start: some batches must land
            assert not workers.reap(), f"a worker exited on its own (logs in {tmp_path})"
            if workers.running:
                workers.kill_one(rng)
            while len(workers.running) < rng.choice((1, 2)):
                workers.start()
    finally:
        workers.stop()
    elapsed = time.monotonic() - started

    done = Campaign.get_by_id(campaign.id)
    assert done.status == "completed", f"{done.status} after {TIMEOUT}s: queued {done.queued} (logs in {tmp_path})"
    # materialised exactly once: one message per subscribed, unsuppressed contact, none for the others
    per_contact = Counter(d.recipient for d in Delivery.select().join(Message).where(Message.campaign == campaign))
    assert set(per_contact) == set(subscribed) and set(per_contact.values()) == {1}
    assert (done.queued, done.skipped) == (len(subscribed), CONTACTS - len(subscribed))
    # every one arrived, personalised; a copy seen twice is the same message (a delivery killed mid-way)
    seen: dict[str, set[str]] = {}
    for received in sink.received:
        message = email.message_from_bytes(received.data, policy=policy.default)
        seen.setdefault(received.rcpt_tos[0], set()).add(message["Message-ID"])
        assert message.get_body(("plain",)).get_content().startswith(f"Number {int(received.rcpt_tos[0][1:6])} for ")
    assert set(seen) == set(subscribed)
    assert {len(ids) for ids in seen.values()} == {1}
    duplicates = len(sink.received) - len(subscribed)
    assert duplicates <= workers.kills * BATCH
    figures(contacts=CONTACTS, mailed=len(subscribed), seconds=round(elapsed, 1), kills=workers.kills,
            duplicate_deliveries=duplicates)
