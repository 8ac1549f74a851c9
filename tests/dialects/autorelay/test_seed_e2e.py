"""Every example of seed 003, sent as written (the key aside) to a real `gatepost serve`
subprocess, answered in the documented shapes; placeholder ids (clx1234, dom_id, camp_id)
answer this dialect's 404, and the same calls with real ids answer the documented shape.
A webhook receiver on loopback checks each POST with the seed's own verification code,
ported to Python: it re-serialises the parsed body as JSON.stringify does, and its
timingSafeEqual throws on a length mismatch."""
import email
import hashlib
import hmac
import json
import re
from email import policy

import pytest
import requests

from services import credentials, domains
from tests import processes
from tests.e2e.test_processes import environment, wait_for  # noqa: F401  (environment: a fixture)
from tests.conftest import publish
from tests.http_receiver import Receiver

KEY = "sk_live_your_key"  # the seed's placeholder, replaced by a real key in every request


def verify_webhook(body: str, signature: str, secret: str) -> bool:
    """The seed's verifyWebhook, line by line."""
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    a, b = signature.encode(), expected.encode()
    if len(a) != len(b):  # crypto.timingSafeEqual throws RangeError
        raise ValueError("Input buffers must have the same byte length")
    return hmac.compare_digest(a, b)


def json_stringify(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture
def served(environment, settings, alice, sink, dns_server):  # noqa: F811
    for name in ("yourdomain.com", "domain.com"):
        domain = domains.add(alice.user, name)
        domains.set_status(domain, "Enabled")
        publish(dns_server.zone, domain)
    key = credentials.issue(alice.user, "autorelay")[1]["key"]
    environment.update(GATEPOST_WEBHOOK_ALLOW_PRIVATE="1", GATEPOST_SPF_INCLUDE=settings.spf_include,
                       GATEPOST_TRACKING_HOST=settings.tracking_host)  # the records published above
    with processes.serve(environment) as base:
        def call(method: str, path: str, body: str | None = None):
            headers = {"Authorization": f"Bearer {key}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            return requests.request(method, f"{base}/api/v1/{path}", data=body, headers=headers, timeout=20)
        call.port = base.rpartition(":")[2]
        yield call


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def shaped(answer, status: int, keys: set) -> dict:
    assert answer.status_code == status, answer.text
    assert keys <= set(answer.json()), answer.json()
    return answer.json()


def refused(answer, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error"} and set(answer.json()["error"]) == {"code", "message"}


def test_every_seed_example(served, receiver, sink):
    hook = shaped(served("POST", "webhooks", json.dumps({"url": f"{receiver.url}/webhook", "events": [
        "email.sent", "email.delivered", "email.opened", "email.clicked", "email.bounced", "email.complained"]})),
        201, {"id", "url", "secret", "events"})

    sent = shaped(served("POST", "emails", '''{
"to": "user@example.com",
"from": "you@yourdomain.com",
"subject": "Welcome!",
"html": "<h1>Hello!</h1><p>Welcome aboard.</p>",
"tags": { "type": "welcome" }
}'''), 200, {"id", "status", "messageId"})
    assert sent["status"] == "sent"

    batch = shaped(served("POST", "emails/batch", '''{
"emails": [
{ "to": "a@example.com", "from": "you@domain.com", "subject": "Hi", "html": "<p>Hello A</p>" },
{ "to": "b@example.com", "from": "you@domain.com", "subject": "Hi", "html": "<p>Hello B</p>" }
]
}'''), 200, {"results", "total", "sent", "failed"})
    assert (batch["total"], batch["sent"], batch["failed"]) == (2, 2, 0)
    assert [(r["to"], r["status"]) for r in batch["results"]] == [("a@example.com", "sent"), ("b@example.com", "sent")]
    assert all(r["id"] for r in batch["results"])

    listed = shaped(served("GET", "emails?limit=20&status=sent"), 200, {"emails", "total", "page", "pages"})
    assert listed["page"] == 1 and listed["pages"] == -(-listed["total"] // 20)
    assert all({"id", "to", "subject", "status", "opens"} <= set(e) for e in listed["emails"])

    refused(served("GET", "emails/clx1234"), 404)
    one = shaped(served("GET", f"emails/{sent['id']}"), 200, {"email", "events"})
    assert {"id", "to", "status", "opens", "clicks"} <= set(one["email"])
    assert one["events"][0]["type"] == "sent" and {"type", "createdAt"} <= set(one["events"][0])

    contact = shaped(served("POST", "contacts", '{ "email": "new@example.com", "name": "John Doe", "listId": "list_id" }'),
                     201, {"id", "email", "name", "status"})
    assert (contact["email"], contact["name"], contact["status"]) == ("new@example.com", "John Doe", "subscribed")
    assert shaped(served("GET", "contacts?limit=50&listId=..."), 200, {"contacts", "total", "page"})["total"] == 0
    on_list = shaped(served("GET", "contacts?limit=50&listId=list_id"), 200, {"contacts", "total", "page"})
    assert on_list["total"] == 1 and on_list["contacts"][0]["email"] == "new@example.com"

    found = shaped(served("GET", "domains"), 200, {"domains"})["domains"]
    assert [(d["domain"], d["status"]) for d in found] == [("yourdomain.com", "verified"), ("domain.com", "verified")]
    refused(served("POST", "domains/dom_id/verify"), 404)
    verified = shaped(served("POST", f"domains/{found[0]['id']}/verify"), 200, {"status", "domain"})
    assert (verified["status"], verified["domain"]) == ("verified", "yourdomain.com"), verified

    seed_hook = shaped(served("POST", "webhooks", '''{
"url": "https://your-app.com/webhook",
"events": ["email.sent", "email.opened", "email.clicked", "email.bounced"]
}'''), 201, {"id", "url", "secret", "events"})
    assert seed_hook["secret"].startswith("whsec_") and seed_hook["url"] == "https://your-app.com/webhook"
    assert seed_hook["events"] == ["email.sent", "email.opened", "email.clicked", "email.bounced"]
    hooks = shaped(served("GET", "webhooks"), 200, {"webhooks"})["webhooks"]
    assert [h["id"] for h in hooks] == [hook["id"], seed_hook["id"]]
    assert all({"id", "url", "events", "isActive"} <= set(h) and h["isActive"] is True for h in hooks)

    draft = shaped(served("POST", "campaigns",
                          '{ "name": "March Newsletter", "subject": "News!", "listId": "...", "content": "<h1>Hello</h1>" }'),
                   201, {"id", "name", "status"})
    assert (draft["name"], draft["status"]) == ("March Newsletter", "draft")
    refused(served("POST", "campaigns/camp_id/launch"), 404)
    launched = shaped(served("POST", f"campaigns/{draft['id']}/launch"), 200, {"success", "status"})
    assert (launched["success"], launched["status"]) == (True, "sending")  # to the empty list "...": done at once

    stats = shaped(served("GET", "stats"), 200, {"contacts", "campaigns", "emailsThisMonth", "domains"})
    assert set(stats["campaigns"]) == {"total", "sending", "completed"} and stats["campaigns"]["total"] == 1
    assert (stats["contacts"], stats["emailsThisMonth"], stats["domains"]) == (1, 3, 2)

    # mail to a recipient the loopback sink receives for: delivered, then opened
    rob = shaped(served("POST", "emails", json.dumps({"to": "Rob <rob@example.net>", "from": "You <you@yourdomain.com>",
                                                       "subject": "Hi", "html": "<p>Hello Rob</p>"})), 200, {"id"})
    delivered = sink.wait_for(1, timeout=30)[0]
    assert delivered.rcpt_tos == ["rob@example.net"]
    html = email.message_from_bytes(delivered.data, policy=policy.default).get_body(("html",)).get_content()
    pixel = re.search(r'src="https?://([^/"]+)(/t/o/[^"]+)"', html)
    opened = requests.get(f"http://127.0.0.1:{served.port}{pixel[2]}", headers={"Host": pixel[1]}, timeout=10)
    assert opened.status_code == 200

    def rob_events():
        return [r for r in receiver.received if r.json["data"]["emailId"] == rob["id"]]

    assert wait_for(lambda: {r.json["type"] for r in rob_events()} >= {"email.sent", "email.delivered", "email.opened"},
                    timeout=30), [r.json for r in receiver.received]
    for received in receiver.received:
        signature = received.headers["x-webhook-signature"]
        assert verify_webhook(json_stringify(received.json), signature, hook["secret"])  # the seed's way
        assert verify_webhook(received.body.decode(), signature, hook["secret"])  # the raw body
        assert set(received.json) == {"type", "data"}
    with pytest.raises(ValueError):
        verify_webhook(receiver.received[0].body.decode(), "short", hook["secret"])
    assert not verify_webhook(receiver.received[0].body.decode() + " ", receiver.received[0].headers["x-webhook-signature"],
                              seed_hook["secret"])
    counts = shaped(served("GET", f"emails/{rob['id']}"), 200, {"email"})["email"]
    assert (counts["status"], counts["opens"]) == ("delivered", 1)


def test_a_campaign_launched_here_reaches_the_sink(served, sink):
    for address in ("rob@example.net", "ann@example.org"):
        shaped(served("POST", "contacts", json.dumps({"email": address, "name": address[:3].title(), "listId": "news"})),
               201, {"id"})
    draft = shaped(served("POST", "campaigns", json.dumps({
        "name": "News", "subject": "News for {{ name }}", "listId": "news", "content": "<p>Hello {{ name }}</p>",
        "from": "News <news@yourdomain.com>"})), 201, {"id"})
    assert shaped(served("POST", f"campaigns/{draft['id']}/launch"), 200, {"success"})["status"] == "sending"
    received = sink.wait_for(2, timeout=30)
    assert sorted(r.rcpt_tos[0] for r in received) == ["ann@example.org", "rob@example.net"]
    subjects = {email.message_from_bytes(r.data, policy=policy.default)["Subject"] for r in received}
    assert subjects == {"News for Rob", "News for Ann"}
    assert wait_for(lambda: served("GET", f"campaigns/{draft['id']}").json()["status"] == "completed", timeout=30)
    stats = served("GET", "stats").json()["campaigns"]
    assert stats == {"total": 1, "sending": 0, "completed": 1}
