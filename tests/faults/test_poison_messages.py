"""Poison messages in a batch: charsets Python does not know, bytes their charset refuses, MIME
the email package cannot write back, stored content that cannot be signed, a sender domain whose
key cannot be read, a destination whose name breaks the resolver. Mixed among good mail over
small batches, with tracking on (every copy personalised): every good message arrives, every
odd-but-readable one arrives too, each poison one ends with its reason, and no delivery stays leased."""
from __future__ import annotations

from collections import Counter

import pytest

import config
from models import Delivery, DeliveryAttempt, Event, Message, SenderDomain
from services import delivery, domains, sending
from tests.faults.conftest import sized

pytestmark = pytest.mark.faults

MESSAGES = sized(80, 1500)
BROKEN_LABEL = "x" * 64
ODD = {  # charset label -> an HTML body in it; all of these must arrive
    "x-bogus": b"<p>caf\xe9 \xff</p>",
    "unknown-8bit": b"<p>caf\xe9</p>",
    "windows-874": b"<p>\xca\xc7\xd1\xca\xb4\xd5</p>",
    "iso-8859-8-i": b"<p>\xf9\xec\xe5\xed</p>",
    "utf-8": b"<p>not utf-8 after all: \xe9</p>",
}


def raw(rcpt: str, sender: str, charset: str, body: bytes) -> bytes:
    return (f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: odd\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: text/html; charset="{charset}"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n').encode() \
        + body + b' <a href="https://shop.example.org/">shop</a>\r\n'


def test_poison_messages_fail_alone_and_everything_else_arrives(sink, sender, alice, dns_server, figures):
    config.use(config.current().replace(worker_batch=17))
    broken_key = domains.add(alice.user, "broken.example")
    domains.set_status(broken_key, "Enabled")
    SenderDomain.update(dkim_private_key="not a key").where(SenderDomain.id == broken_key.id).execute()

    good, poison, unrouted = set(), {}, set()
    for i in range(MESSAGES):
        rcpt = f"r{i}@example.{'net' if i % 2 else 'org'}"
        kind = i % 10
        if kind == 3:  # content that cannot be signed: no From header left
            ident = sending.accept_raw(sender.domain, "alice@example.com", [rcpt],
                                       raw(rcpt, "alice@example.com", "utf-8", b"<p>x</p>"))
            Message.update(content=b"Subject: no from\r\n\r\nbody\r\n").where(Message.uuid == ident).execute()
            poison[rcpt] = "ValueError: a DKIM signature must cover the From header"
        elif kind == 6:  # a domain whose stored key does not decrypt
            sending.accept_raw(broken_key, "news@broken.example", [rcpt], raw(rcpt, "news@broken.example", "utf-8", b"<p>x</p>"))
            poison[rcpt] = "InvalidToken"
        elif kind == 8:  # no multipart boundary: the email package cannot write it back, so it goes as it came
            sending.accept_raw(sender.domain, "alice@example.com", [rcpt],
                               raw(rcpt, "alice@example.com", "utf-8", b"x").replace(
                                   b"text/html; charset=\"utf-8\"", b"multipart/alternative"))
            good.add(rcpt)
        elif kind == 9:  # a destination the resolver refuses to look up (no API accepts it: the row is edited)
            rcpt = f"r{i}@{BROKEN_LABEL}.example"
            ident = sending.accept_raw(sender.domain, "alice@example.com", ["placeholder@example.net"],
                                       raw(rcpt, "alice@example.com", "utf-8", b"<p>x</p>"))
            Delivery.update(recipient=rcpt, recipient_domain=f"{BROKEN_LABEL}.example").where(
                Delivery.message == Message.get(Message.uuid == ident)).execute()
            unrouted.add(rcpt)
        else:
            charset = list(ODD)[i % len(ODD)]
            sending.accept_raw(sender.domain, "alice@example.com", [rcpt], raw(rcpt, "alice@example.com", charset, ODD[charset]))
            good.add(rcpt)

    passes = 0
    while delivery.run_once("poison-test"):
        passes += 1
        assert passes <= MESSAGES, "delivery passes do not converge"

    received = Counter(rcpt for message in sink.received for rcpt in message.rcpt_tos)
    assert set(received) == good and set(received.values()) == {1}, f"lost: {sorted(good - set(received))[:10]}"
    for rcpt, why in poison.items():
        row = Delivery.get(Delivery.recipient == rcpt)
        assert row.status == "failed" and row.last_reply.startswith("Message could not be prepared for delivery: ")
        assert why in row.last_reply and why in DeliveryAttempt.get(DeliveryAttempt.delivery == row).reply
        assert Event.select().where(Event.delivery == row, Event.event == "failed").count() == 1
    for rcpt in unrouted:
        row = Delivery.get(Delivery.recipient == rcpt)
        assert row.status == "deferred" and row.last_reply.startswith("Delivery interrupted: LabelTooLong")
    assert not Delivery.select().where(Delivery.lease_owner.is_null(False)).exists()
    statuses = Counter(d.status for d in Delivery.select())
    assert statuses == {"delivered": len(good), "failed": len(poison), "deferred": len(unrouted)}, statuses
    figures(messages=MESSAGES, batch=17, passes=passes, delivered=len(good), failed=len(poison), deferred=len(unrouted))
