"""accept_batch: each message checked and answered on its own, the accepted ones in one transaction."""
import pytest

from models import Delivery, Event, Message
from services import domains, sending, suppressions
from services.compose import Address
from services.errors import BatchTooLarge, DomainNotActive, ForeignSender, RecipientSuppressed, SendLimitReached


def _out(to: str, sender: str = "alice@example.com", **fields) -> sending.Outgoing:
    return sending.Outgoing(sender=Address(sender, "Alice"), to=(Address(to),), subject=f"For {to}",
                            text="Hello", **fields)


def test_a_batch_answers_each_message_and_queues_the_good_ones(sender, sink, deliver):
    suppressions.add(sender.account.user, "gone@example.net", "manual")
    results = sending.accept_batch([(sender.domain, _out("ann@example.net")),
                                    (sender.domain, _out("gone@example.net")),
                                    (sender.domain, _out("bo@example.net", sender="ceo@bank.example")),
                                    (sender.domain, _out("cy@example.net", tags=("batch",)))])
    assert isinstance(results[0], str) and isinstance(results[3], str)
    assert isinstance(results[1], RecipientSuppressed) and isinstance(results[2], ForeignSender)
    assert [m.uuid for m in Message.select().order_by(Message.id)] == [results[0], results[3]]
    assert Event.select().where(Event.event == "accepted").count() == 2
    deliver()
    assert sorted(m.rcpt_tos[0] for m in sink.received) == ["ann@example.net", "cy@example.net"]


def test_a_batch_shares_the_sending_limit_in_order(sender):
    group = sender.account.user.group
    group.send_limit_per_day = 2
    group.save()
    results = sending.accept_batch([(sender.domain, _out(f"r{i}@example.net")) for i in range(3)])
    assert [type(r) for r in results] == [str, str, SendLimitReached]
    assert Delivery.select().count() == 2


def test_a_batch_refuses_more_than_its_maximum_and_a_disabled_domain_per_item(sender, alice):
    with pytest.raises(BatchTooLarge):
        sending.accept_batch([(sender.domain, _out("ann@example.net"))] * (sending.MAX_BATCH + 1))
    pending = domains.add(alice.user, "example.org")  # Approval Pending: may not send
    results = sending.accept_batch([(pending, _out("ann@example.net", sender="alice@example.org")),
                                    (sender.domain, _out("ann@example.net"))])
    assert isinstance(results[0], DomainNotActive) and isinstance(results[1], str)
    assert sending.accept_batch([]) == []


def test_one_send_to_more_recipients_than_a_batch_is_written_whole_or_not_at_all(sender):
    """all_or_none is bounded by the dialect's recipient limit (Kirim.Email: 1000), not MAX_BATCH."""
    many = [(sender.domain, _out(f"r{i}@example.net")) for i in range(sending.MAX_BATCH + 20)]
    assert all(isinstance(r, str) for r in sending.accept_batch(many, all_or_none=True))
    assert Delivery.select().count() == sending.MAX_BATCH + 20
    suppressions.add(sender.account.user, "gone@example.net", "manual")
    with pytest.raises(RecipientSuppressed):
        sending.accept_batch([*many, (sender.domain, _out("gone@example.net"))], all_or_none=True)
    assert Delivery.select().count() == sending.MAX_BATCH + 20


@pytest.mark.parametrize("formats", [("octeth",), ("octeth", "sendpulse")])
def test_one_message_writes_linked_rows_for_each_recipient(sender, settings, formats):
    """However a message is written (one script on PostgreSQL unless a webhook batches), each
    recipient's accepted event names its own delivery, and each event has a row per subscriber
    (a suspended one's already failed)."""
    import config
    from models import MessageTag, WebhookDelivery
    from models.vocabulary import EventType
    from services import webhooks
    import dialects.sendpulse.webhooks  # noqa: F401  (registers its batching format)
    config.use(config.current().replace(webhook_allow_private=True))
    user = sender.account.user
    hooks = [webhooks.add(user, sender.domain.id, [EventType.ACCEPTED], f"http://127.0.0.1:9/{f}", f) for f in formats]
    suspended, _ = webhooks.add_for_account(user, [EventType.ACCEPTED, EventType.DELIVERED], "http://127.0.0.1:9/a", "octeth")
    suspended.status = "Suspended"
    suspended.save()
    webhooks.add(user, sender.domain.id, [EventType.DELIVERED], "http://127.0.0.1:9/other", "octeth")
    out = sending.Outgoing(sender=Address("alice@example.com", "Alice"), to=(Address("ann@example.net"),),
                           cc=(Address("bo@example.net"),), bcc=(Address("cy@example.net"),), subject="Hi",
                           text="Hello", tags=("a", "b", "a"))
    first, second = sending.accept(sender.domain, out), sending.accept(sender.domain, out)
    for ident in (first, second):
        message = Message.get(Message.uuid == ident)
        assert sorted(t.tag for t in MessageTag.select().where(MessageTag.message == message)) == ["a", "b"]
        deliveries = {d.recipient: d for d in Delivery.select().where(Delivery.message == message)}
        assert {r: d.kind for r, d in deliveries.items()} == {"ann@example.net": "to", "bo@example.net": "cc",
                                                               "cy@example.net": "bcc"}
        accepted = list(Event.select().where(Event.message == message, Event.event == "accepted"))
        assert sorted(e.recipient for e in accepted) == sorted(deliveries)
        for event in accepted:
            assert event.delivery_id == deliveries[event.recipient].id and event.user_id == user.id
            rows = {r.webhook_id: r for r in WebhookDelivery.select().where(WebhookDelivery.event == event)}
            assert sorted(rows) == sorted([h.id for h in hooks] + [suspended.id])
            assert rows[suspended.id].status == "failed" and rows[hooks[0].id].status == "pending"


def test_a_suppression_or_webhook_added_by_another_process_counts_for_the_next_send(sender, settings):
    """Nothing of the accept path's reads is kept between sends: what another process committed
    counts at once (a suppression refuses, a new subscriber gets the accepted events)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from models import WebhookDelivery
    first = sending.accept(sender.domain, _out("ann@example.net"))
    code = f"""
import config
from models.db import open_database, database
from models.vocabulary import EventType
settings = config.Settings.from_env()
config.use(settings.replace(webhook_allow_private=True))
open_database(settings.database_url)
with database.connection_context():
    from models import User
    from services import suppressions, webhooks
    user = User.get_by_id({sender.account.user.id})
    suppressions.add(user, "ann@example.net", "manual")
    webhooks.add(user, {sender.domain.id}, [EventType.ACCEPTED], "http://127.0.0.1:9/hook")
"""
    env = dict(os.environ, GATEPOST_DATABASE_URL=settings.database_url, GATEPOST_SECRET_KEY=settings.secret_key)
    subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2], check=True)
    with pytest.raises(RecipientSuppressed):
        sending.accept(sender.domain, _out("ann@example.net"))
    second = sending.accept(sender.domain, _out("bo@example.net"))
    hooked = {e.message.uuid for e in Event.select().join(WebhookDelivery, on=WebhookDelivery.event == Event.id)}
    assert hooked == {second} and first != second
