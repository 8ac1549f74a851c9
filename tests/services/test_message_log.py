"""services.message_log: a message's state from its deliveries, the same in Python and in the
SQL filter, for every mix of delivery statuses."""
import itertools

from models import Delivery, Message
from models.vocabulary import DeliveryStatus
from services import message_log, sending
from services.compose import Address

MIXES = [combo for n in (1, 2) for combo in itertools.combinations_with_replacement(list(DeliveryStatus), n)]


def test_the_filter_agrees_with_the_state_of_every_mix(sender):
    expected = {}
    for mix in MIXES:
        ident = sending.accept(sender.domain, sending.Outgoing(
            Address("alice@example.com"), to=tuple(Address(f"r{i}@example.net") for i in range(len(mix))), text="x"))
        message = Message.get(Message.uuid == ident)
        for delivery, status in zip(message.deliveries.order_by(Delivery.id), mix):
            Delivery.update(status=status).where(Delivery.id == delivery.id).execute()
        expected[ident] = message_log.state_of(mix)
    assert expected[next(iter(expected))] == DeliveryStatus.QUEUED
    for state in message_log.STATES:
        total, entries = message_log.page(sender.account.user, state=state, limit=1000)
        wanted = {i for i, s in expected.items() if s == state}
        assert {e.message.uuid for e in entries} == wanted and total == len(wanted), state
        assert all(e.state == state for e in entries)
    assert message_log.page(sender.account.user, limit=1000)[0] == len(MIXES)


def test_state_precedence():
    s = DeliveryStatus
    assert message_log.state_of([s.DELIVERED, s.DEFERRED]) == s.QUEUED
    assert message_log.state_of([s.DELIVERED, s.FAILED, s.BOUNCED]) == s.BOUNCED
    assert message_log.state_of([s.DELIVERED, s.FAILED]) == s.FAILED
    assert message_log.state_of([s.TEST]) == s.TEST
    assert message_log.state_of([s.DELIVERED]) == s.DELIVERED
