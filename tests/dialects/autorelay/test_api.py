"""The AutoRelay dialect through the Flask test client: what each endpoint answers, its errors
in one shape, test keys, the shared /api/v1/webhooks path and the per-key budget."""
import base64

import pytest

import config
from models import Delivery, Message
from models.vocabulary import DeliveryStatus, EventType
from services import credentials, events, suppressions

WELCOME = {"to": "user@example.com", "from": "you@yourdomain.com", "subject": "Welcome!",
           "html": "<h1>Hello!</h1><p>Welcome aboard.</p>", "tags": {"type": "welcome"}}


def send(client, relay, key=None, **changes):
    return client.post("/api/v1/emails", json={**WELCOME, **changes}, headers=relay.headers(key))


def error_of(response, status, code):
    assert response.status_code == status, response.data
    assert set(response.json) == {"error"} and response.json["error"]["code"] == code, response.json
    assert response.json["error"]["message"]
    return response.json["error"]["message"]


def test_send_answers_the_seed_shape_and_queues_a_delivery_per_recipient(client, relay):
    answer = send(client, relay, to=["A <a@example.com>", "b@example.com"], cc="c@example.com",
                  **{"from": "You <you@yourdomain.com>"})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"id": answer.json["id"], "status": "sent", "messageId": f"{answer.json['id']}@yourdomain.com",
                           "success": True}
    message = Message.get(Message.uuid == answer.json["id"])
    assert message.mail_from == "you@yourdomain.com" and message.domain.name == "yourdomain.com"
    assert b"From: You <you@yourdomain.com>" in bytes(message.content)
    assert {(d.recipient, d.kind, d.status) for d in message.deliveries} == {
        ("a@example.com", "to", "queued"), ("b@example.com", "to", "queued"), ("c@example.com", "cc", "queued")}
    assert {t.tag for t in message.tag_rows} == {"type=welcome"}


def test_send_with_text_attachment_headers_and_resend_tags(client, relay):
    answer = send(client, relay, html=None, text="plain", headers={"X-Campaign": "spring"},
                  tags=[{"name": "kind", "value": "promo"}], reply_to="Help <help@yourdomain.com>",
                  attachments=[{"filename": "a.txt", "content": base64.b64encode(b"hi").decode(), "contentType": "text/plain"}])
    assert answer.status_code == 200, answer.json
    content = bytes(Message.get(Message.uuid == answer.json["id"]).content)
    assert b"X-Campaign: spring" in content and b"Reply-To: Help <help@yourdomain.com>" in content
    assert b'filename="a.txt"' in content


@pytest.mark.parametrize("changes, field", [
    ({"to": None}, "to"), ({"to": "not-an-address"}, "to"), ({"from": "x"}, "from"), ({"subject": ""}, "subject"),
    ({"html": None}, "html"), ({"tags": "welcome"}, "tags"), ({"headers": ["X"]}, "headers"),
    ({"attachments": [{"filename": "a", "content": "%%%"}]}, "attachments"), ({"cc": ["ok@example.com", 5]}, "cc"),
])
def test_invalid_fields_are_422_naming_the_field(client, relay, changes, field):
    body = {k: v for k, v in {**WELCOME, **changes}.items() if v is not None}
    message = error_of(client.post("/api/v1/emails", json=body, headers=relay.headers()), 422, "validation_error")
    assert f"{field}:" in message


def test_every_failing_field_is_named_at_once(client, relay):
    message = error_of(client.post("/api/v1/emails", json={"to": "x"}, headers=relay.headers()), 422, "validation_error")
    assert all(f"{f}:" in message for f in ("to", "from", "subject", "html"))


@pytest.mark.parametrize("body, code", [(b"{not json", "invalid_json"), (b"[1, 2]", "invalid_json"),
                                        (b'{"to": "\\ud800"}', "validation_error")])
def test_a_body_that_is_no_json_object_is_400(client, relay, body, code):
    answer = client.post("/api/v1/emails", data=body, headers={**relay.headers(), "Content-Type": "application/json"})
    assert answer.status_code in (400, 422)
    error_of(answer, answer.status_code, code)


def test_the_sender_domain_must_be_the_users_and_verified(client, relay, bob):
    assert "one of your sender domains" in error_of(send(client, relay, **{"from": "me@elsewhere.com"}), 403,
                                                         "domain_not_found")
    from services import domains
    domains.set_status(domains.list_for(relay.account.user)[0], "Approval Pending")
    error_of(send(client, relay), 403, "domain_not_verified")


def test_suppressed_recipient_is_409(client, relay):
    suppressions.add(relay.account.user.id, "user@example.com", "manual", "test")
    error_of(send(client, relay), 409, "recipient_suppressed")


@pytest.mark.parametrize("headers, code", [({}, "missing_api_key"), ({"Authorization": "Bearer sk_live_nope"}, "invalid_api_key"),
                                           ({"Authorization": "Basic abc"}, "missing_api_key")])
def test_keys_are_required(client, relay, headers, code):
    error_of(client.post("/api/v1/emails", json=WELCOME, headers=headers), 401, code)
    error_of(client.get("/api/v1/stats", headers=headers), 401, code)


def test_a_revoked_key_or_disabled_account_is_401(client, relay):
    row = credentials.list_for(relay.account.user, "autorelay")[0]
    credentials.revoke(relay.account.user, row.id)
    error_of(send(client, relay), 401, "invalid_api_key")


def test_a_test_key_records_mail_that_no_worker_ever_delivers(client, relay, sink, deliver):
    answer = send(client, relay, key=relay.test, to="ann@example.net")
    assert answer.status_code == 200 and answer.json["test"] is True
    assert [d.status for d in Delivery.select()] == [DeliveryStatus.TEST]
    send(client, relay, to="rob@example.net")  # a live key's mail beside it goes
    assert deliver() == 1 and [m.rcpt_tos for m in sink.received] == [["rob@example.net"]]
    assert Delivery.get(Delivery.recipient == "ann@example.net").status == DeliveryStatus.TEST
    listed = client.get("/api/v1/emails", headers=relay.headers()).json
    assert [e["status"] for e in listed["emails"]] == ["delivered", "test"]
    assert client.get("/api/v1/emails?status=test", headers=relay.headers()).json["total"] == 1
    assert client.get("/api/v1/emails?status=delivered", headers=relay.headers()).json["total"] == 1


def test_list_and_get_emails_with_opens_clicks_and_events(client, relay):
    ids = [send(client, relay, subject=f"n{i}").json["id"] for i in range(3)]
    message = Message.get(Message.uuid == ids[0])
    delivery = message.deliveries.get()
    Delivery.update(status=DeliveryStatus.DELIVERED).where(Delivery.id == delivery.id).execute()
    for event in (EventType.DELIVERED, EventType.OPENED, EventType.OPENED, EventType.CLICKED):
        events.record(event, message=message, delivery=delivery)
    page = client.get("/api/v1/emails?limit=2&page=1", headers=relay.headers()).json
    assert (page["total"], page["page"], page["pages"], len(page["emails"])) == (3, 1, 2, 2)
    assert [e["subject"] for e in page["emails"]] == ["n2", "n1"]
    assert set(page["emails"][0]) >= {"id", "to", "subject", "status", "opens"}
    last = client.get("/api/v1/emails?limit=2&page=2", headers=relay.headers()).json["emails"]
    assert last[0]["id"] == ids[0] and (last[0]["opens"], last[0]["clicks"], last[0]["status"]) == (2, 1, "delivered")
    assert client.get("/api/v1/emails?status=delivered", headers=relay.headers()).json["total"] == 1
    assert client.get("/api/v1/emails?status=sent", headers=relay.headers()).json["total"] == 2
    one = client.get(f"/api/v1/emails/{ids[0]}", headers=relay.headers()).json
    assert {k: one["email"][k] for k in ("id", "to", "status", "opens", "clicks")} == {
        "id": ids[0], "to": "user@example.com", "status": "delivered", "opens": 2, "clicks": 1}
    assert [e["type"] for e in one["events"]] == ["sent", "delivered", "opened", "opened", "clicked"]
    assert all(e["createdAt"].endswith("Z") for e in one["events"])


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=0", "page=x", "status=opened"])
def test_bad_paging_or_status_is_422(client, relay, query):
    error_of(client.get(f"/api/v1/emails?{query}", headers=relay.headers()), 422, "validation_error")


def test_another_users_email_is_not_found(client, relay, make_user):
    ident = send(client, relay).json["id"]
    other = make_user("eve@example.com")
    key = credentials.issue(other.user, "autorelay")[1]["key"]
    error_of(client.get(f"/api/v1/emails/{ident}", headers={"Authorization": f"Bearer {key}"}), 404, "not_found")
    error_of(client.get("/api/v1/emails/clx1234", headers=relay.headers()), 404, "not_found")


def test_contacts_join_named_lists_made_on_first_use(client, relay):
    created = client.post("/api/v1/contacts", json={"email": "new@example.com", "name": "John Doe", "listId": "list_id"},
                          headers=relay.headers())
    assert created.status_code == 201
    assert created.json | {"id": "x"} == {"id": "x", "email": "new@example.com", "name": "John Doe",
                                          "status": "subscribed", "listId": "list_id",
                                          "createdAt": created.json["createdAt"]}
    client.post("/api/v1/contacts", json={"email": "two@example.com"}, headers=relay.headers())
    error_of(client.post("/api/v1/contacts", json={"email": "new@example.com", "listId": "list_id"},
                         headers=relay.headers()), 409, "conflict")
    error_of(client.post("/api/v1/contacts", json={"email": "nope"}, headers=relay.headers()), 422, "validation_error")
    error_of(client.post("/api/v1/contacts", json={}, headers=relay.headers()), 422, "validation_error")
    on_list = client.get("/api/v1/contacts?limit=50&listId=list_id", headers=relay.headers()).json
    assert (on_list["total"], on_list["page"], [c["email"] for c in on_list["contacts"]]) == (1, 1, ["new@example.com"])
    everyone = client.get("/api/v1/contacts", headers=relay.headers()).json
    assert {(c["email"], c["listId"]) for c in everyone["contacts"]} == {("new@example.com", "list_id"),
                                                                         ("two@example.com", "default")}
    assert client.get("/api/v1/contacts?listId=none", headers=relay.headers()).json == {"contacts": [], "total": 0, "page": 1}


def test_domains_list_with_ids_and_verify(client, relay, dns_server):
    from tests.conftest import publish
    from services import domains
    listed = client.get("/api/v1/domains", headers=relay.headers()).json["domains"]
    assert [(d["domain"], d["status"]) for d in listed] == [("yourdomain.com", "verified"), ("domain.com", "verified")]
    pending = domains.add(relay.account.user, "fresh.com")
    publish(dns_server.zone, pending)
    verified = client.post(f"/api/v1/domains/{pending.id}/verify", headers=relay.headers()).json
    assert (verified["status"], verified["domain"]) == ("verified", "fresh.com")
    assert verified["records"] and all(r["verified"] for r in verified["records"])
    other = domains.add(relay.account.user, "unpublished.com")
    failed = client.post("/api/v1/domains/unpublished.com/verify", headers=relay.headers()).json
    assert (failed["status"], failed["id"]) == ("pending", str(other.id))
    assert not all(r["verified"] for r in failed["records"]) and failed["records"][0]["reason"]
    error_of(client.post("/api/v1/domains/dom_id/verify", headers=relay.headers()), 404, "not_found")


def test_webhooks_belong_to_the_account_and_sk_keys_get_them_on_the_shared_path(client, relay, sender, settings):
    config.use(config.current().replace(webhook_allow_private=True))
    body = {"url": "https://hooks.example.net/webhook", "events": ["email.sent", "email.opened", "email.bounced"]}
    created = client.post("/api/v1/webhooks", json=body, headers=relay.headers())
    assert created.status_code == 201, created.json
    assert created.json["secret"].startswith("whsec_") and created.json["events"] == body["events"]
    listed = client.get("/api/v1/webhooks", headers=relay.headers()).json
    assert listed == {"webhooks": [{"id": created.json["id"], "url": body["url"], "events": body["events"],
                                    "isActive": True, "createdAt": listed["webhooks"][0]["createdAt"]}]}
    # Octeth's sender-domain key on the same path sees Octeth's webhooks, in Octeth's shape
    octeth = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {sender.key}"})
    assert octeth.status_code == 200 and octeth.json == {"Webhooks": []}
    wrong = client.get("/api/v1/webhooks", headers={"Authorization": "Bearer sk_live_wrong"})
    error_of(wrong, 401, "invalid_api_key")
    error_of(client.put("/api/v1/webhooks", json=body, headers=relay.headers()), 405, "method_not_allowed")
    assert client.get("/api/v1/webhooks", headers={"Authorization": "Bearer nope"}).json["Errors"][0]["Code"] == 13
    error_of(client.post("/api/v1/webhooks", json={**body, "events": ["email.sent", "email.spam"]},
                         headers=relay.headers()), 422, "validation_error")
    error_of(client.post("/api/v1/webhooks", json={**body, "url": "ftp://x"}, headers=relay.headers()), 422,
             "validation_error")
    assert client.delete(f"/api/v1/webhooks/{created.json['id']}", headers=relay.headers()).status_code == 200
    error_of(client.delete(f"/api/v1/webhooks/{created.json['id']}", headers=relay.headers()), 404, "not_found")
    assert client.get("/api/v1/webhooks", headers=relay.headers()).json == {"webhooks": []}


def test_stats(client, relay):
    send(client, relay, to=["a@example.com", "b@example.com"])
    client.post("/api/v1/contacts", json={"email": "new@example.com"}, headers=relay.headers())
    assert client.get("/api/v1/stats", headers=relay.headers()).json == {
        "contacts": 1, "campaigns": {"total": 0, "sending": 0, "completed": 0}, "emailsThisMonth": 2, "domains": 2}


def test_routing_errors_on_its_paths_are_in_its_shape(client, relay):
    error_of(client.delete("/api/v1/emails", headers=relay.headers()), 405, "method_not_allowed")
    error_of(client.get("/api/v1/emails/a/b", headers=relay.headers()), 404, "not_found")


def test_the_plan_of_the_group_sets_the_budget_per_key(client, relay, make_user):
    from services import accounts
    assert client.get("/api/v1/stats", headers=relay.headers()).headers.get("Retry-After") is None
    for _ in range(99):
        assert client.get("/api/v1/stats", headers=relay.headers()).status_code == 200
    limited = client.get("/api/v1/stats", headers=relay.headers())
    assert int(limited.headers["Retry-After"]) >= 1
    error_of(limited, 429, "rate_limit_exceeded")
    assert client.get("/api/v1/stats", headers=relay.headers(relay.test)).status_code == 200  # another key
    pro = make_user("pro@example.com", group=accounts.create_group("Professional"))
    key = credentials.issue(pro.user, "autorelay")[1]["key"]
    statuses = [client.get("/api/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code for _ in range(101)]
    assert statuses == [200] * 101


def test_batch_answers_each_item_and_writes_the_accepted_together(client, relay):
    suppressions.add(relay.account.user.id, "gone@example.com", "manual", "test")
    emails = [{"to": "a@example.com", "from": "you@domain.com", "subject": "Hi", "html": "<p>Hello A</p>"},
              {"to": "gone@example.com", "from": "you@domain.com", "subject": "Hi", "html": "<p>x</p>"},
              {"to": "b@example.com", "from": "you@nowhere.com", "subject": "Hi", "html": "<p>x</p>"},
              {"to": ["c@example.com", "d@example.com"], "from": "you@domain.com", "subject": ""},
              "not an object",
              {"to": "b@example.com", "from": "you@domain.com", "subject": "Hi", "text": "Hello B"}]
    answer = client.post("/api/v1/emails/batch", json={"emails": emails}, headers=relay.headers())
    assert answer.status_code == 200, answer.json
    results = answer.json["results"]
    assert (answer.json["total"], answer.json["sent"], answer.json["failed"]) == (6, 2, 4)
    assert [r["to"] for r in results] == ["a@example.com", "gone@example.com", "b@example.com",
                                          "c@example.com, d@example.com", None, "b@example.com"]
    assert [r["status"] for r in results] == ["sent", "failed", "failed", "failed", "failed", "sent"]
    assert [r.get("error", {}).get("code") for r in results] == [
        None, "recipient_suppressed", "domain_not_found", "validation_error", "validation_error", None]
    assert {m.uuid for m in Message.select()} == {results[0]["id"], results[5]["id"]}


@pytest.mark.parametrize("body", [{}, {"emails": []}, {"emails": "x"}, {"emails": [WELCOME] * 101}])
def test_a_batch_of_none_or_over_100_is_422(client, relay, body):
    error_of(client.post("/api/v1/emails/batch", json=body, headers=relay.headers()), 422, "validation_error")
    assert Message.select().count() == 0


def test_a_test_keys_batch_is_recorded_not_delivered(client, relay):
    answer = client.post("/api/v1/emails/batch", json={"emails": [WELCOME]}, headers=relay.headers(relay.test))
    assert answer.json["sent"] == 1 and [d.status for d in Delivery.select()] == [DeliveryStatus.TEST]


def test_campaigns_draft_launch_and_stats(client, relay):
    client.post("/api/v1/contacts", json={"email": "rob@example.net", "listId": "news"}, headers=relay.headers())
    created = client.post("/api/v1/campaigns", headers=relay.headers(), json={
        "name": "March Newsletter", "subject": "News!", "listId": "news", "content": "<h1>Hello {{ name }}</h1>",
        "from": "News <news@domain.com>"})
    assert created.status_code == 201, created.json
    assert {k: created.json[k] for k in ("name", "status", "listId", "from")} == {
        "name": "March Newsletter", "status": "draft", "listId": "news", "from": "news@domain.com"}
    error_of(client.post(f"/api/v1/campaigns/{created.json['id']}/launch", headers=relay.headers(relay.test)), 403,
             "test_key")
    launched = client.post(f"/api/v1/campaigns/{created.json['id']}/launch", headers=relay.headers())
    assert launched.json == {"success": True, "status": "sending", "id": created.json["id"]}
    error_of(client.post(f"/api/v1/campaigns/{created.json['id']}/launch", headers=relay.headers()), 409, "conflict")
    error_of(client.post("/api/v1/campaigns/camp_id/launch", headers=relay.headers()), 404, "not_found")
    shown = client.get(f"/api/v1/campaigns/{created.json['id']}", headers=relay.headers()).json
    assert shown["status"] == "sending" and shown["stats"]["recipients"] == 1
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=relay.headers()).json["campaigns"]] == [
        created.json["id"]]
    stats = client.get("/api/v1/stats", headers=relay.headers()).json
    assert stats["campaigns"] == {"total": 1, "sending": 1, "completed": 0}


def test_a_campaign_without_from_sends_from_the_first_verified_domain(client, relay):
    created = client.post("/api/v1/campaigns", headers=relay.headers(), json={
        "name": "n", "subject": "s", "listId": "...", "content": "<p>x</p>"}).json
    assert created["from"] == "no-reply@yourdomain.com" and created["listId"] == "..."
    for body, code, status in (({"name": "n", "subject": "s", "listId": "l"}, "validation_error", 422),
                               ({"name": "n", "subject": "s", "listId": "l", "content": "{% if %}"}, "validation_error", 422),
                               ({"name": "n", "subject": "s", "listId": "l", "content": "x", "from": "a@else.com"},
                                "domain_not_found", 403)):
        error_of(client.post("/api/v1/campaigns", json=body, headers=relay.headers()), status, code)


def test_a_body_over_the_size_limit_is_413_in_its_shape(relay, settings):
    from app import create_app
    client = create_app(config.current().replace(max_message_bytes=1000)).test_client()  # requests up to ~1 MiB
    error_of(client.post("/api/v1/emails", json={**WELCOME, "html": "x" * 1_200_000}, headers=relay.headers()), 413,
             "payload_too_large")
    error_of(client.post("/api/v1/emails", json={**WELCOME, "html": "x" * 2000}, headers=relay.headers()), 413,
             "payload_too_large")  # under the request limit, over the message limit: the core's refusal
