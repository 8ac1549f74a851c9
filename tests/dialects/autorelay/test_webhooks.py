"""Account-wide webhooks through the one outbox: every domain of the user is heard, the body is
{type, data} signed with the endpoint's own secret, a failed delivery is an email.bounced, and
Octeth's per-domain webhooks are untouched."""
import hashlib
import hmac
import json

import pytest

import config
from models import Delivery, Message
from models.vocabulary import EventType
from services import events, webhook_deliveries
from tests.http_receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def post_all():
    while webhook_deliveries.run_once("test"):
        pass


def test_account_webhooks_hear_every_domain_signed_with_their_secret(client, relay, receiver, settings, api, sender):
    config.use(config.current().replace(webhook_allow_private=True))
    created = client.post("/api/v1/webhooks", headers=relay.headers(), json={
        "url": f"{receiver.url}/hook", "events": ["email.sent", "email.bounced"]}).json
    api(sender.account, "EmailGateway.AddWebhook", DomainID=sender.domain.id, Event="delivery",
        WebhookURL=f"{receiver.url}/octeth")
    ids = [client.post("/api/v1/emails", headers=relay.headers(), json={
        "to": "rob@example.net", "from": f"me@{name}", "subject": "Hi", "text": "x", "tags": {"k": "v"}}).json["id"]
        for name in ("yourdomain.com", "domain.com")]
    message = Message.get(Message.uuid == ids[0])
    events.record(EventType.FAILED, message=message, delivery=message.deliveries.get(), reason="retry horizon passed")
    events.record(EventType.DELIVERED, message=message, delivery=message.deliveries.get())  # not subscribed
    post_all()
    got = [(r.path, r.json["type"], r.json["data"]["emailId"]) for r in receiver.received]
    assert sorted(got) == sorted([("/hook", "email.sent", ids[0]), ("/hook", "email.sent", ids[1]),
                                  ("/hook", "email.bounced", ids[0])])
    for r in receiver.received:
        expected = hmac.new(created["secret"].encode(), r.body, hashlib.sha256).hexdigest()
        assert r.headers["x-webhook-signature"] == expected
        assert r.body == json.dumps(r.json, separators=(",", ":"), ensure_ascii=False).encode()
    bounce = next(r.json["data"] for r in receiver.received if r.json["type"] == "email.bounced")
    assert bounce["bounce"] == {"type": "soft", "reason": "retry horizon passed", "message": "retry horizon passed"}
    assert bounce["tags"] == {"k": "v"} and bounce["to"] == "rob@example.net" and bounce["from"] == "me@yourdomain.com"
    assert Delivery.select().count() == 2
