"""The Kirim.Email dialect through the Flask test client: both spellings of each call, over the
real services, the loopback DNS server, SMTP sink and webhook receiver."""
from __future__ import annotations

import hashlib
import hmac
import io
import email
from email import policy

import pytest

import config
from models import Message, Suppression, SuppressionAllow, Webhook
from services import domains, smtp_credentials, suppressions, templates, webhook_deliveries
from tests.conftest import publish
from tests.dialects.kirim.conftest import basic
from tests.http_receiver import Receiver


def parsed(received):
    return email.message_from_bytes(received.data, policy=policy.default)


def test_wrong_credentials_are_401_in_the_guides_shape(client, kirim):
    for headers in ({}, basic(kirim.username, "wrong"), basic("mallory@example.com", kirim.api_key)):
        answer = client.get("/api/domains", headers=headers)
        assert answer.status_code == 401
        assert answer.json["success"] is False and answer.json["error"]["code"] == "unauthorized"
        assert answer.json["message"] == answer.json["error"]["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_the_octeth_api_key_works_too(client, sender):
    answer = client.get("/api/domains", headers=basic(sender.account.user.email, sender.account.api_key))
    assert answer.status_code == 200 and answer.json["data"][0]["domain"] == "example.com"


def test_domains_list_create_get_update_delete(client, kirim):
    created = client.post("/api/domains", headers=kirim.auth, json={"domain": "shop.example.org", "dkim_key_length": 1024})
    assert created.status_code == 201, created.json
    assert created.json["data"]["domain"] == "shop.example.org" and created.json["data"]["status"] == "pending"
    assert created.json["data"]["dkim_key_length"] == 1024
    again = client.post("/api/domains", headers=kirim.auth, json={"domain": "shop.example.org"})
    assert again.status_code == 422 and "domain" in again.json["errors"]
    bad = client.post("/api/domains", headers=kirim.auth, json={"domain": "not a domain", "dkim_key_length": 512})
    assert bad.status_code == 422 and bad.json["message"] == "Validation failed."
    listed = client.get("/api/domains?limit=1&page=2", headers=kirim.auth).json
    assert listed["pagination"] == {"total": 2, "page": 2, "limit": 1, "offset": 1, "last_page": 2}
    assert [d["domain"] for d in listed["data"]] == ["shop.example.org"]
    searched = client.get("/api/domains?search=shop", headers=kirim.auth).json
    assert [d["domain"] for d in searched["data"]] == ["shop.example.org"]
    got = client.get("/api/domains/example.com", headers=kirim.auth).json["data"]
    assert got["status"] == "verified" and got["is_verified"] is True and got["click_track"] is True
    updated = client.put("/api/domains/example.com", headers=kirim.auth, json={"click_track": False, "unsub_track": True})
    assert updated.json["data"]["click_track"] is False and updated.json["data"]["unsub_track"] is True
    assert client.delete("/api/domains/shop.example.org", headers=kirim.auth).status_code == 200
    missing = client.get("/api/domains/shop.example.org", headers=kirim.auth)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "domain_not_found"


def test_another_users_domain_is_not_found(client, kirim, bob):
    domains.add(bob.user, "bob.example.org")
    assert client.get("/api/domains/bob.example.org", headers=kirim.auth).status_code == 404


@pytest.mark.parametrize("path, purposes", [
    ("verify-mx", ["ownership", "dkim", "return-path", "spf", "dmarc"]),
    ("verify-mandatory", ["ownership", "dkim", "return-path", "spf", "dmarc"]),
    ("setup-auth", ["dkim", "return-path", "spf"]),
    ("verify-auth-domain", ["dkim", "return-path", "spf"]),
    ("setup-tracking", ["tracking"]),
    ("verify-tracklink", ["tracking"]),
])
def test_verification_in_both_spellings_says_which_records_pass(client, kirim, path, purposes):
    answer = client.post(f"/api/domains/example.com/{path}", headers=kirim.auth)
    assert answer.status_code == 200
    assert [r["purpose"] for r in answer.json["data"]["records"]] == purposes
    assert answer.json["data"]["verified"] is True and all(r["verified"] for r in answer.json["data"]["records"])


def test_a_missing_record_is_named_with_its_reason(client, kirim, sender, dns_server):
    dns_server.zone.clear()
    publish(dns_server.zone, sender.domain, dkim=None)
    answer = client.post("/api/domains/example.com/verify-mandatory", headers=kirim.auth).json
    failing = {r["purpose"]: r["reason"] for r in answer["data"]["records"] if not r["verified"]}
    assert list(failing) == ["dkim"] and "NXDOMAIN" in failing["dkim"]
    assert answer["data"]["verified"] is False and answer["data"]["status"] == "pending"


def test_tracklink_and_auth_domain_setup_and_removal(client, kirim):
    answer = client.post("/api/domains/example.com/setup-tracklink", headers=kirim.auth,
                         json={"tracking_domain": "links.gp.example.com"})
    assert answer.json["data"]["records"][0]["host"] == "links.gp.example.com"
    refused = client.post("/api/domains/example.com/setup-tracklink", headers=kirim.auth,
                          json={"tracking_domain": "links.elsewhere.example.com"})
    assert refused.status_code == 422 and "tracking_domain" in refused.json["errors"]
    gone = client.delete("/api/domains/example.com/tracklink", headers=kirim.auth).json["data"]
    assert gone["tracklink_domain"] == ""
    auth = client.post("/api/domains/example.com/setup-auth-domain", headers=kirim.auth, json={"auth_domain": "mail"})
    assert {r["host"] for r in auth.json["data"]["records"]} >= {"mail.example.com"}
    reset = client.delete("/api/domains/example.com/auth-domain", headers=kirim.auth).json["data"]
    assert reset["auth_domain"] == "gp.example.com"


def test_credentials_in_both_spellings(client, kirim, sender):
    guide = client.post("/api/domains/example.com/credentials", headers=kirim.auth, json={"name": "My Application"})
    assert guide.status_code == 201
    data = guide.json["data"]
    assert data["name"] == "My Application" and data["password"] and data["username"].endswith("@example.com")
    reference = client.post("/api/domains/example.com/credentials", headers=kirim.auth, json={"username": "app2"})
    ref = reference.json["data"]
    assert ref["credential"]["username"] == "app2@example.com" and ref["password"] and ref["remote_synced"] is True
    assert smtp_credentials.authenticate("app2@example.com", ref["password"]).domain_id == sender.domain.id
    taken = client.post("/api/domains/example.com/credentials", headers=kirim.auth, json={"username": "app2"})
    assert taken.status_code == 422 and "username" in taken.json["errors"]
    listed = client.get("/api/domains/example.com/credentials", headers=kirim.auth).json
    assert listed["pagination"]["total"] == 2 and "password" not in listed["data"][0]
    by_guid = client.get(f"/api/domains/example.com/credentials/{ref['credential']['user_smtp_guid']}", headers=kirim.auth)
    assert by_guid.json["data"]["username"] == "app2@example.com"
    reset = client.put("/api/domains/example.com/credentials/app2/reset-password", headers=kirim.auth).json["data"]
    assert smtp_credentials.authenticate("app2@example.com", reset["password"])
    posted = client.post(f"/api/domains/example.com/credentials/cred_{data['id']}/reset-password", headers=kirim.auth)
    assert posted.status_code == 200 and posted.json["data"]["password"] != data["password"]
    assert client.delete(f"/api/domains/example.com/credentials/{data['id']}", headers=kirim.auth).status_code == 200
    assert client.get(f"/api/domains/example.com/credentials/{data['id']}", headers=kirim.auth).status_code == 404


def test_send_json_to_several_recipients_one_message_each(client, kirim, deliver, sink):
    answer = client.post("/api/domains/example.com/message", headers=kirim.auth, json={
        "from": "alice@example.com", "from_name": "Alice", "to": ["rob@example.net", "ann@example.org"],
        "cc": "carl@example.net", "subject": "Hi", "text": "Hello", "html": "<p>Hello</p>",
        "headers": {"X-Campaign": "spring"}, "reply_to": "help@example.com"})
    assert answer.status_code == 200, answer.json
    assert len(answer.json["data"]["message_guids"]) == 2
    deliver()
    assert sorted(r for m in sink.received for r in m.rcpt_tos) == ["ann@example.org", "carl@example.net",
                                                                    "rob@example.net"]
    first = parsed(next(m for m in sink.received if "rob@example.net" in m.rcpt_tos))
    ann = parsed(next(m for m in sink.received if "ann@example.org" in m.rcpt_tos))
    assert first["Cc"] == "carl@example.net" and ann["Cc"] is None  # cc goes with the first message only
    assert first["X-Campaign"] == "spring" and first["Reply-To"] == "help@example.com"
    assert str(first["From"]) == "Alice <alice@example.com>"


def test_send_multipart_with_several_attachments_and_an_smtp_credential(client, sender, deliver, sink):
    row, password = smtp_credentials.add(sender.account.user, sender.domain.id)
    answer = client.post("/api/domains/example.com/send", headers=basic(row.username, password),
                         content_type="multipart/form-data", data={
                             "from": "alice@example.com", "to": "rob@example.net", "subject": "Files",
                             "body": "See attached",
                             "attachment": [(io.BytesIO(b"%PDF-1.4 one"), "one.pdf", "application/pdf")],
                             "attachments": [(io.BytesIO(b"two"), "two.txt", "text/plain")]})
    assert answer.status_code == 200, answer.json
    deliver()
    names = [p.get_filename() for p in parsed(sink.received[0]).iter_attachments()]
    assert names == ["one.pdf", "two.txt"]


def test_an_smtp_credential_of_another_domain_is_refused(client, sender):
    other = domains.add(sender.account.user, "other.example.com")
    row, password = smtp_credentials.add(sender.account.user, other.id)
    answer = client.post("/api/domains/example.com/send", headers=basic(row.username, password),
                         data={"from": "alice@example.com", "to": "rob@example.net", "subject": "x", "body": "y"})
    assert answer.status_code == 403


def test_send_validation_names_every_field(client, kirim):
    answer = client.post("/api/domains/example.com/message", headers=kirim.auth,
                         json={"from": "alice@example.com", "to": ["ok@example.net", "not-an-address"]})
    assert answer.status_code == 422 and "to" in answer.json["errors"]
    missing = client.post("/api/domains/example.com/message", headers=kirim.auth,
                          json={"from": "alice@example.com", "to": "rob@example.net"})
    assert missing.status_code == 422 and "subject" in missing.json["errors"]
    foreign = client.post("/api/domains/example.com/message", headers=kirim.auth, json={
        "from": "alice@elsewhere.com", "to": "rob@example.net", "subject": "x", "text": "y"})
    assert foreign.status_code == 422 and "from" in foreign.json["errors"]
    too_many = client.post("/api/domains/example.com/message", headers=kirim.auth, json={
        "from": "alice@example.com", "to": [f"r{i}@example.net" for i in range(1001)], "subject": "x", "text": "y"})
    assert too_many.status_code == 422 and "to" in too_many.json["errors"]
    assert Message.select().count() == 0


def test_a_suppressed_recipient_refuses_the_whole_request_until_whitelisted(client, kirim, sender):
    suppressions.add(sender.account.user, "gone@example.net", "hard-bounce")
    body = {"from": "alice@example.com", "to": ["rob@example.net", "gone@example.net"], "subject": "x", "text": "y"}
    refused = client.post("/api/domains/example.com/message", headers=kirim.auth, json=body)
    assert refused.status_code == 422 and "gone@example.net" in refused.json["errors"]["to"][0]
    assert Message.select().count() == 0
    listed = client.get("/api/domains/example.com/suppressions/bounces", headers=kirim.auth).json
    assert [s["recipient"] for s in listed["data"]] == ["gone@example.net"] and listed["data"][0]["type"] == "bounce"
    allowed = client.post("/api/domains/example.com/suppressions/whitelist", headers=kirim.auth,
                          json={"recipient": "example.net", "recipient_type": "domain"})
    assert allowed.status_code == 201
    assert client.post("/api/domains/example.com/message", headers=kirim.auth, json=body).status_code == 200
    suppressions.add(sender.account.user, "new@example.net", "complaint")  # whitelisted domain: never suppressed
    assert not Suppression.select().where(Suppression.email == "new@example.net").exists()
    white = client.get("/api/domains/example.com/suppressions/whitelist", headers=kirim.auth).json["data"]
    assert white[0]["recipient"] == "example.net" and white[0]["recipient_type"] == "domain"
    client.delete("/api/domains/example.com/suppressions/whitelist", headers=kirim.auth, json={"ids": [white[0]["id"]]})
    assert not SuppressionAllow.select().exists()


def test_suppressions_list_filter_and_delete(client, kirim, sender):
    for address, reason in (("a@example.net", "unsubscribe"), ("b@example.net", "hard-bounce"),
                            ("c@example.org", "complaint")):
        suppressions.add(sender.account.user, address, reason)
    everything = client.get("/api/domains/example.com/suppressions?limit=2", headers=kirim.auth).json
    assert everything["pagination"]["total"] == 3 and len(everything["data"]) == 2
    unsub = client.get("/api/domains/example.com/suppressions?type=unsubscribe&search=example.org",
                       headers=kirim.auth).json["data"]
    assert [s["recipient"] for s in unsub] == ["c@example.org"]
    bounce_id = client.get("/api/domains/example.com/suppressions/bounces", headers=kirim.auth).json["data"][0]["id"]
    wrong_type = client.delete("/api/domains/example.com/suppressions/unsubscribes", headers=kirim.auth,
                               json={"ids": [bounce_id]})
    assert wrong_type.json["data"]["deleted"] == 0
    assert client.delete("/api/domains/example.com/suppressions/bounces", headers=kirim.auth,
                         json={"ids": [bounce_id]}).json["data"]["deleted"] == 1
    no_ids = client.delete("/api/domains/example.com/suppressions/unsubscribes", headers=kirim.auth)
    assert no_ids.status_code == 422 and "ids" in no_ids.json["errors"]


def test_templates_by_name_and_guid_with_variables_per_recipient(client, kirim, sender, deliver, sink):
    template = templates.create(sender.account.user, "welcome-email", subject="Welcome {{ name }}",
                                html="<p>Hi {{ name }} from {{ city | default('nowhere') }}</p>", text="Hi {{ name }}")
    guide = client.post("/api/domains/example.com/send-template", headers=kirim.auth,
                        data={"template": "welcome-email", "variables[name]": "John Doe", "to": "rob@example.net",
                              "from": "alice@example.com"})
    assert guide.status_code == 200, guide.json
    reference = client.post("/api/domains/example.com/message/template", headers=kirim.auth, json={
        "template_guid": str(template.uuid), "to": ["ann@example.org", "carl@example.net"],
        "variables": [{"name": "Ann", "city": "Oslo"}, {"name": "Carl"}]})
    assert reference.json["message"] == "Template-based email jobs dispatched for 2 recipients in 1 job(s)"
    assert reference.json["template_guid"] == str(template.uuid) and reference.json["template_name"] == "welcome-email"
    deliver()
    subjects = {m.rcpt_tos[0]: str(parsed(m)["Subject"]) for m in sink.received}
    assert subjects == {"rob@example.net": "Welcome John Doe", "ann@example.org": "Welcome Ann",
                        "carl@example.net": "Welcome Carl"}
    ann = next(parsed(m) for m in sink.received if m.rcpt_tos == ["ann@example.org"])
    assert "Oslo" in ann.get_body(("html",)).get_content()
    assert str(ann["From"]) == "noreply@example.com"
    mismatch = client.post("/api/domains/example.com/message/template", headers=kirim.auth, json={
        "template_guid": str(template.uuid), "to": ["ann@example.org"], "variables": [{}, {}]})
    assert mismatch.status_code == 422 and "variables" in mismatch.json["errors"]
    unknown = client.post("/api/domains/example.com/send-template", headers=kirim.auth,
                          data={"template": "nope", "to": "rob@example.net"})
    assert unknown.status_code == 404


def test_logs_filters_and_one_messages_events(client, kirim, deliver, sink):
    for rcpt, subject in (("rob@example.net", "Receipt"), ("ann@example.org", "Welcome")):
        client.post("/api/domains/example.com/message", headers=kirim.auth, json={
            "from": "alice@example.com", "to": rcpt, "subject": subject, "text": "x", "tags": "t1"})
    deliver()
    everything = client.get("/api/domains/example.com/log", headers=kirim.auth).json
    assert everything["pagination"]["total"] == 4
    assert {e["event_type"] for e in everything["data"]} == {"queued", "delivered"}
    delivered = client.get("/api/domains/example.com/logs?event_type=delivered&recipient=rob", headers=kirim.auth).json
    assert [(e["recipient"], e["event_type"]) for e in delivered["data"]] == [("rob@example.net", "delivered")]
    by_subject = client.get("/api/domains/example.com/log?subject=Welcome&tags=t1&start=2000-01-01T00:00:00Z",
                            headers=kirim.auth).json["data"]
    assert {e["recipient"] for e in by_subject} == {"ann@example.org"} and by_subject[0]["tags"] == ["t1"]
    guid = by_subject[0]["message_guid"]
    events = client.get(f"/api/domains/example.com/logs/{guid}", headers=kirim.auth).json["data"]
    assert [e["event_type"] for e in events] == ["queued", "delivered"]
    assert client.get("/api/domains/example.com/log/nope", headers=kirim.auth).status_code == 404
    bad = client.get("/api/domains/example.com/log?event_type=exploded", headers=kirim.auth)
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"event_type"}
    bad = client.get("/api/domains/example.com/log?start=yesterday", headers=kirim.auth)
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"start"}


def test_webhooks_both_spellings_and_a_signed_kirim_payload(client, kirim, sender, deliver, sink):
    config.use(config.current().replace(webhook_allow_private=True))
    receiver = Receiver()
    try:
        guide = client.post("/api/domains/example.com/webhooks", headers=kirim.auth,
                            json={"url": receiver.url + "/hook", "events": ["delivered", "bounced", "complained"]})
        assert guide.status_code == 201 and guide.json["data"]["events"] == ["delivered", "bounced", "complained"]
        reference = client.post("/api/domains/example.com/webhooks", headers=kirim.auth,
                                json={"type": "queued", "url": receiver.url + "/queued"})
        ref_id = reference.json["data"]["webhook_guid"]
        listed = client.get("/api/domains/example.com/webhooks?type=queued", headers=kirim.auth).json["data"]
        assert [h["webhook_guid"] for h in listed] == [ref_id]
        updated = client.put(f"/api/domains/example.com/webhooks/{ref_id}", headers=kirim.auth, json={"type": "opened"})
        assert updated.json["data"]["type"] == "opened"
        assert client.get(f"/api/domains/example.com/webhooks/webhook_{ref_id}", headers=kirim.auth).status_code == 200
        assert client.delete(f"/api/domains/example.com/webhooks/{ref_id}", headers=kirim.auth).status_code == 200
        assert client.get(f"/api/domains/example.com/webhooks/{ref_id}", headers=kirim.auth).status_code == 404
        bad = client.post("/api/domains/example.com/webhooks", headers=kirim.auth, json={"type": "exploded", "url": "x"})
        assert bad.status_code == 422
        assert Webhook.get_by_id(guide.json["data"]["id"]).format == "kirim"

        client.post("/api/domains/example.com/message", headers=kirim.auth, json={
            "from": "alice@example.com", "to": "rob@example.net", "subject": "Hi", "text": "x"})
        deliver()
        webhook_deliveries.run_once("test")
        assert len(receiver.received) == 1
        payload = receiver.received[0].json
        assert payload["event_type"] == "delivered" and payload["recipient"] == "rob@example.net"
        key = domains.signing_key(sender.domain)
        expected = hmac.new((key + payload["message_guid"]).encode(), b"", hashlib.sha256).hexdigest()
        assert payload["signature"] == expected

        hook_id = guide.json["data"]["id"]
        tested = client.post(f"/api/domains/example.com/webhooks/webhook_{hook_id}/test", headers=kirim.auth).json
        assert tested["data"]["delivered"] is True and receiver.received[-1].json["event_type"] == "delivered"
        by_url = client.post("/api/domains/example.com/webhooks/test", headers=kirim.auth,
                             json={"url": receiver.url + "/t", "event_type": "bounced"}).json
        assert by_url["data"]["status_code"] == 200 and receiver.received[-1].path == "/t"
    finally:
        receiver.stop()


def test_webhook_urls_on_private_addresses_are_refused(client, kirim):
    answer = client.post("/api/domains/example.com/webhooks", headers=kirim.auth,
                         json={"type": "delivered", "url": "http://127.0.0.1/hook"})
    assert answer.status_code == 422 and "url" in answer.json["errors"]


def test_quota_from_the_groups_limits(client, kirim, sender):
    group = sender.account.user.group
    group.send_limit_per_month = 1000
    group.save()
    client.post("/api/domains/example.com/message", headers=kirim.auth, json={
        "from": "alice@example.com", "to": ["a@example.net", "b@example.net"], "subject": "x", "text": "y"})
    data = client.get("/api/quota", headers=kirim.auth).json["data"]
    assert (data["limit"], data["used"], data["remaining"]) == (1000, 2, 998)
    assert (data["max_quota"], data["current_quota"], data["usage_percentage"]) == (1000, 998, 0.2)
    assert data["plan"] == group.name and data["reset_at"].endswith("23:59:59Z")


def test_rate_limit_429_with_headers(settings, kirim):
    from app import create_app

    client = create_app(config.use(settings.replace(api_rate_limit="3 per minute"))).test_client()
    answers = [client.get("/api/quota", headers=kirim.auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3" and answers[0].headers["X-RateLimit-Remaining"] == "2"
    assert int(answers[3].headers["Retry-After"]) >= 1 and answers[3].headers["X-RateLimit-Remaining"] == "0"
    assert answers[3].json["error"]["code"] == "rate_limited"


def test_no_500_for_odd_requests(client, kirim):
    assert client.get("/api/domains/example.com/nothing", headers=kirim.auth).json["error"]["code"] == "not_found"
    assert client.post("/api/domains", headers=kirim.auth, data="{nope", content_type="application/json").status_code == 400
    assert client.post("/api/domains", headers=kirim.auth, json={"domain": ["a"]}).status_code == 422
    answer = client.post("/api/domains/example.com/message", headers=kirim.auth,
                         json={"from": "alice@example.com", "to": {"bad": 1}, "subject": "x", "text": "y",
                               "headers": "not json"})
    assert answer.status_code == 422
    assert client.delete("/api/quota", headers=kirim.auth).status_code == 405


def test_validation_both_spellings(client, kirim, dns_server):
    dns_server.zone.add("good.example", "MX", (10, "mx.good.example"))
    answer = client.post("/api/validate/email", headers=kirim.auth, json={"email": "info@good.example"}).json["data"]
    assert answer["is_valid"] is True and answer["warnings"] == ["Role-based email address"]
    strict = client.post("/api/email/validate/strict", headers=kirim.auth, json={"email": "info@good.example"}).json
    assert strict["data"]["is_valid"] is False and strict["data"]["error"] == "Role-based email address"
    disposable = client.post("/api/email/validate", headers=kirim.auth, json={"email": "x@mailinator.com"}).json["data"]
    assert disposable["is_valid"] is False and "Disposable" in disposable["error"]
    bulk = client.post("/api/validate/email/batch", headers=kirim.auth,
                       json={"emails": ["rob@good.example", "nope", "rob@missing.example"]}).json["data"]
    assert [r["is_valid"] for r in bulk["results"]] == [True, False, False]
    assert bulk["summary"]["valid"] == 1 and bulk["summary"]["invalid"] == 2
    again = client.post("/api/email/validate/bulk", headers=kirim.auth, json={"emails": ["rob@good.example"]}).json
    assert again["data"]["results"][0]["cached"] is True
    too_many = client.post("/api/email/validate/bulk", headers=kirim.auth, json={"emails": ["a@b.c"] * 101})
    assert too_many.status_code == 422
    missing = client.post("/api/validate/email", headers=kirim.auth)
    assert missing.status_code == 422 and "email" in missing.json["errors"]


def test_validation_is_limited_per_hour(client, kirim, dns_server, monkeypatch):
    from limits import RateLimitItemPerHour

    from dialects.kirim import validation

    monkeypatch.setattr(validation, "VALIDATIONS_PER_HOUR", RateLimitItemPerHour(3))
    dns_server.zone.add("quota.example", "MX", (10, "mx.quota.example"))
    assert client.post("/api/email/validate/bulk", headers=kirim.auth,
                       json={"emails": ["a@quota.example", "b@quota.example"]}).status_code == 200
    assert client.post("/api/email/validate", headers=kirim.auth, json={"email": "c@quota.example"}).status_code == 200
    refused = client.post("/api/email/validate", headers=kirim.auth, json={"email": "d@quota.example"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_an_address_that_keeps_failing_authentication_is_refused(settings, kirim):
    from app import create_app

    client = create_app(config.use(settings.replace(auth_failures_per_address="2 per minute"))).test_client()
    wrong = basic(kirim.username, "guess")
    assert [client.get("/api/quota", headers=wrong).status_code for _ in range(3)] == [401, 401, 429]
    assert client.get("/api/quota", headers=kirim.auth).status_code == 429  # until the window passes


def test_too_large_a_body_is_413_in_kirims_shape(settings, kirim):
    from app import create_app

    client = create_app(config.use(settings.replace(max_message_bytes=1000))).test_client()  # bodies over ~1 MB
    answer = client.post("/api/domains/example.com/message", headers=kirim.auth,
                         json={"from": "alice@example.com", "to": "rob@example.net", "subject": "x", "text": "y" * 1_200_000})
    assert answer.status_code == 413 and answer.json["error"]["code"] == "payload_too_large"


def test_an_smtp_credential_only_sends(client, sender):
    row, password = smtp_credentials.add(sender.account.user, sender.domain.id)
    assert client.get("/api/domains", headers=basic(row.username, password)).status_code == 401
    assert client.get("/api/quota", headers=basic(row.username, password)).status_code == 401
