"""Retention: old content and records go; mail that still waits never does."""
import config
import clock
from models import Delivery, Event, Message
from services import retention


def test_prune_keeps_waiting_mail_and_drops_old_content_then_records(send, deliver, sink):
    send(To=[{"email": "ok@example.net"}])
    send(To=[{"email": "tempfail@example.net"}])  # stays deferred
    deliver()
    clock.shift(days=31)
    freed = retention.prune()
    assert freed["contents"] == 1 and freed["messages"] == 0
    kept = {m.deliveries.get().recipient: m.content is not None for m in Message.select()}
    assert kept == {"ok@example.net": False, "tempfail@example.net": True}
    clock.shift(days=60)
    freed = retention.prune()
    assert freed["messages"] == 1 and freed["events"] >= 2
    assert [d.recipient for d in Delivery.select()] == ["tempfail@example.net"]
    assert Event.select().count() >= 1  # the waiting message's events stay


def test_content_can_go_as_soon_as_every_delivery_is_final(send, deliver, sink):
    config.use(config.current().replace(drop_content_when_final=True))
    send(To=[{"email": "ok@example.net"}, {"email": "greylist@example.net"}], TrackOpens=False, TrackLinks=False)
    deliver()
    assert Message.get().content is not None  # greylisted: one delivery still waits
    clock.shift(seconds=10)
    deliver()
    assert Message.get().content is None
