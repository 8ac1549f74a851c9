"""POST /api/v1/email and EmailGateway.SendEmail: acceptance and every error code."""
import base64
import json
import uuid

import pytest

import config
from models import Delivery, Event, Message
from services import accounts, domains, suppressions


def test_accepted_message_is_committed_with_a_delivery_per_recipient(send, sender):
    response = send(CC=[{"name": "C", "email": "cc@example.org"}], BCC=[{"email": "hidden@example.net"}],
                    Tags=["welcome", "onboarding"])
    assert response.status_code == 200 and set(response.json) == {"MessageID"}
    message = Message.get(Message.uuid == response.json["MessageID"])
    assert uuid.UUID(message.uuid) and message.domain_id == sender.domain.id
    assert json.loads(message.tags) == ["welcome", "onboarding"]
    deliveries = {d.recipient: (d.kind, d.status) for d in message.deliveries}
    assert deliveries == {"rob@example.net": ("to", "queued"), "cc@example.org": ("cc", "queued"),
                          "hidden@example.net": ("bcc", "queued")}
    assert b"hidden@example.net" not in bytes(message.content)  # Bcc only in the envelope
    assert Event.select().where(Event.event == "accepted", Event.message == message).count() == 3


def test_duplicate_recipients_get_one_delivery(send):
    response = send(To=[{"email": "rob@example.net"}, {"email": "ROB@example.net"}], CC=[{"email": "rob@example.net"}])
    assert Message.get(Message.uuid == response.json["MessageID"]).deliveries.count() == 1


def test_the_api_php_twin_answers_in_the_envelope(client, sender):
    body = {"Command": "EmailGateway.SendEmail", "SenderAPIKey": sender.key, "Subject": "Hi", "ContentType": "plain",
            "PlainContent": "Hello", "From": {"name": "A", "email": "a@example.com"}, "To": [{"email": "x@example.net"}]}
    answer = client.post("/api.php", json=body).json
    assert answer["Success"] and Message.get(Message.uuid == answer["MessageID"])
    body.pop("Subject")
    assert client.post("/api.php", json=body).json["ErrorCode"] == 8
    body["SenderAPIKey"] = "wrong"
    assert client.post("/api.php", json=body).json["ErrorCode"] == 13


def error(response):
    return response.status_code, [e["Code"] for e in response.json["Errors"]]


def test_authentication_codes(client, send):
    assert error(client.post("/api/v1/email", json={"Subject": "x"})) == (401, [1])
    assert error(send(key="0000-nope")) == (401, [13])
    assert error(client.post("/api/v1/email", json={"SenderAPIKey": "0000-nope"})) == (401, [13])


def test_account_and_domain_state_come_first(send, sender):
    domains.set_status(sender.domain, "Approval Pending")
    assert error(send(Subject=None)) == (403, [32])
    accounts.set_status(sender.account.user, "Disabled")
    assert error(send()) == (403, [12])


@pytest.mark.parametrize("overrides,code", [
    ({"From": None}, 3),
    ({"From": {"name": "No email"}}, 3),
    ({"From": "alice@example.com"}, 3),
    ({"From": {"email": "alice@other.example"}}, 3),
    ({"Subject": None}, 8),
    ({"ContentType": None}, 9),
    ({"ContentType": "markdown"}, 9),
    ({"HTMLContent": None}, 10),
    ({"ContentType": "plain"}, 11),
    ({"TemplateID": 5}, 15),
    ({"TargetListID": 3}, 16),
    ({"To": [{"name": "No address"}]}, 18),
    ({"To": [{"email": "not an address"}]}, 19),
    ({"To": [{"email": "bad@@example.net"}]}, 19),
    ({"To": [{"email": "x@example.net\r\nBcc: victim@example.org"}]}, 19),
    ({"To": []}, 20),
    ({"To": None}, 20),
    ({"CC": [{"name": "x"}]}, 21),
    ({"CC": [{"email": "nope"}]}, 22),
    ({"From": {"email": "bad address@example.com"}}, 23),
    ({"BCC": {"email": "b@example.net"}}, 24),
    ({"BCC": [{"name": "x"}]}, 25),
    ({"BCC": [{"email": "x@"}]}, 26),
    ({"BCC": [{"email": f"b{i}@example.net"} for i in range(51)]}, 27),
    ({"ReplyTo": {"email": "r@example.net"}}, 28),
    ({"ReplyTo": [{"name": "x"}]}, 29),
    ({"ReplyTo": [{"email": "r@"}]}, 30),
    ({"ReplyTo": [{"email": f"r{i}@example.net"} for i in range(11)]}, 31),
    ({"ListID": 1}, 35), ({"SubscriberID": 1}, 36), ({"JourneyID": 1}, 37), ({"ActionID": 1}, 38),
    ({"Attachments": [{"filename": "a.txt", "content": "***not base64***"}]}, 41),
    ({"Attachments": "nope"}, 41),
    ({"Headers": {"X-Evil": "a\r\nBcc: victim@example.org"}}, 43),
    ({"Headers": {"Bad Name:": "x"}}, 43),
    ({"Headers": {"DKIM-Signature": "forged"}}, 43),
    ({"Headers": {"From": "ceo@example.com"}}, 43),
    ({"Headers": {"Return-Path": "x@example.org"}}, 43),
    ({"Headers": {"List-Unsubscribe": "<https://evil.example>"}}, 43),
    ({"From": {"name": "A\r\nBcc: victim@example.org", "email": "alice@example.com"}}, 43),
    ({"SendAt": "tomorrow"}, 44),
])
def test_each_parameter_error_has_its_code(send, overrides, code):
    status, codes = error(send(**overrides))
    assert codes[0] == code and status in (413, 422)
    assert Message.select().count() == 0


def test_every_failing_parameter_is_listed(client, sender):
    response = client.post("/api/v1/email", headers={"Authorization": f"Bearer {sender.key}"}, json={})
    assert error(response) == (422, [3, 8, 9, 20])
    assert response.json["Errors"][1] == {"Code": 8, "Message": "Missing Subject"}


def test_suppressed_recipient_is_14_with_409(send, sender):
    suppressions.add(sender.account.user, "Rob@Example.net", "hard-bounce")
    response = send()
    assert error(response) == (409, [14])
    assert "rob@example.net" in response.json["Errors"][0]["Message"]


def test_send_limits_are_17_with_429(send, make_user, dns_server):
    group = accounts.create_group("Small", send_limit_per_day=3)
    accounts.User.update(group=group).where(accounts.User.email == "alice@example.com").execute()
    assert send(To=[{"email": "a@example.net"}, {"email": "b@example.net"}]).status_code == 200
    assert send(To=[{"email": "c@example.net"}]).status_code == 200
    assert error(send(To=[{"email": "d@example.net"}])) == (429, [17])


def test_total_recipients_are_limited(send, settings):
    config.use(settings.replace(max_recipients=2))
    response = send(To=[{"email": "a@example.net"}, {"email": "b@example.net"}], CC=[{"email": "c@example.net"}])
    assert error(response) == (422, [20])


def test_message_size_limit_is_42(send, settings):
    config.use(settings.replace(max_attachment_bytes=10))
    big = [{"filename": "big.bin", "content": base64.b64encode(b"x" * 11).decode()}]
    assert error(send(Attachments=big)) == (413, [42])


def test_rate_limit_on_email(settings, sender):
    from app import create_app

    client = create_app(settings.replace(api_rate_limit="2 per minute")).test_client()
    headers = {"Authorization": f"Bearer {sender.key}"}
    assert [client.post("/api/v1/email", json={}, headers=headers).status_code for _ in range(2)] == [422, 422]
    limited = client.post("/api/v1/email", json={}, headers=headers)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert limited.json["Errors"][0]["Message"].startswith("Too many requests. Wait for ")


def test_headers_tags_tracking_and_attachments_are_kept(send):
    logo = base64.b64encode(b"\x89PNG fake").decode()
    response = send(HtmlContent='<p>Hi <img src="cid:logo"></p>', PlainContent="Hi", TrackOpens=False,
                    TrackLinks="true", Headers={"X-Campaign": "spring", "x-custom-id": "42"},
                    Attachments=[{"filename": "logo.png", "content": logo, "type": "image/png",
                                  "disposition": "inline", "contentid": "logo"},
                                 {"filename": "terms.txt", "content": base64.b64encode(b"terms").decode(),
                                  "type": "text/plain"}])
    assert response.status_code == 200, response.json
    message = Message.get(Message.uuid == response.json["MessageID"])
    content = bytes(message.content)
    assert b"X-Campaign: spring" in content and b"X-Custom-Id: 42" in content
    assert b"multipart/related" in content and b"multipart/mixed" in content and b"terms.txt" in content
    assert (message.track_opens, message.track_links) == (False, True)


def test_send_at_schedules_delivery(send):
    import clock

    later = int(clock.now().timestamp()) + 3600
    response = send(SendAt=later)
    delivery = Delivery.get()
    assert delivery.next_attempt_at >= clock.now().replace(microsecond=0) and delivery.last_reply == "scheduled"
    assert Message.get(Message.uuid == response.json["MessageID"]).send_at == delivery.next_attempt_at


def test_a_subject_beyond_what_is_stored_is_refused(send):
    """The fuzzer found it on MySQL: a 64 KB subject overflowed the TEXT column (500)."""
    response = send(Subject="x" * 2001)
    assert error(response) == (422, [8]) and "2000" in response.json["Errors"][0]["Message"]
    assert send(Subject="y" * 2000).status_code == 200


def test_send_email_from_php_bracket_form_fields(client, sender, sink, deliver):
    """`To[0][email]=...&Tags[]=...` as PHP's http_build_query writes them, on /api.php."""
    from urllib.parse import urlencode

    body = urlencode([("Command", "EmailGateway.SendEmail"), ("SenderAPIKey", sender.key), ("Subject", "Old"),
                      ("Subject", "PHP form"), ("ContentType", "plain"), ("PlainContent", "Hello from PHP"),
                      ("From[name]", "Alice"), ("From[email]", "alice@example.com"),
                      ("To[0][email]", "rob@example.net"), ("To[0][name]", "Rob"),
                      ("To[1][email]", "kim@example.org"), ("CC[0][email]", "cc@example.net"),
                      ("Tags[]", "receipt"), ("Tags[]", "php"), ("Headers[X-Order]", "42")])
    answer = client.post("/api.php", data=body, content_type="application/x-www-form-urlencoded").json
    assert answer["Success"], answer
    deliver()
    message = Message.get(Message.uuid == answer["MessageID"])
    assert message.subject == "PHP form" and json.loads(message.tags) == ["receipt", "php"]
    received = {r for m in sink.received for r in m.rcpt_tos}
    assert received == {"rob@example.net", "kim@example.org", "cc@example.net"}
    raw = sink.received[0].data.decode()
    assert "X-Order: 42" in raw and "Subject: PHP form" in raw and "Rob <rob@example.net>" in raw


# Each splits a header line somewhere (the email package splits on all but NUL, ESC and DEL;
# receivers differ) or is refused by a database (NUL on PostgreSQL).
CONTROLS = {"CR": "\r", "LF": "\n", "CRLF": "\r\nBcc: victim@example.org", "VT": "\x0b", "FF": "\x0c", "FS": "\x1c",
            "NEL": "\x85", "LS": "\u2028", "PS": "\u2029", "NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "BEL": "\x07"}
HEADER_FIELDS = {
    "Subject": lambda c: {"Subject": f"Hello{c}there"},
    "From name": lambda c: {"From": {"name": f"Alice{c}x", "email": "alice@example.com"}},
    "To name": lambda c: {"To": [{"name": f"Rob{c}x", "email": "rob@example.net"}]},
    "CC name": lambda c: {"CC": [{"name": f"Cy{c}x", "email": "cy@example.net"}]},
    "BCC name": lambda c: {"BCC": [{"name": f"Bo{c}x", "email": "bo@example.net"}]},
    "ReplyTo name": lambda c: {"ReplyTo": [{"name": f"Re{c}x", "email": "re@example.net"}]},
    "Tags": lambda c: {"Tags": ["ok", f"bad{c}tag"]},
    "custom header": lambda c: {"Headers": {"X-Campaign": f"spring{c}sale"}},
    "attachment filename": lambda c: {"Attachments": [{"filename": f"a{c}.txt", "content": "aGVsbG8="}]},
    "attachment type": lambda c: {"Attachments": [{"filename": "a.txt", "content": "aGVsbG8=", "type": f"text/pl{c}ain"}]},
    "attachment Content-ID": lambda c: {"HTMLContent": "<img src='cid:logo'>", "Attachments": [
        {"filename": "logo.png", "content": "aGVsbG8=", "type": "image/png", "disposition": "inline",
         "contentid": f"lo{c}go"}]},
}


@pytest.mark.parametrize("field", HEADER_FIELDS)
@pytest.mark.parametrize("control", CONTROLS)
def test_a_control_character_in_any_header_text_is_43(send, client, sender, field, control):
    overrides = HEADER_FIELDS[field](CONTROLS[control])
    response = send(**overrides)
    assert error(response) == (422, [43]), response.json
    assert "control character" in response.json["Errors"][0]["Message"]
    body = {"Command": "EmailGateway.SendEmail", "SenderAPIKey": sender.key, "Subject": "Hi", "ContentType": "html",
            "HTMLContent": "<p>Hi</p>", "From": {"name": "A", "email": "alice@example.com"},
            "To": [{"email": "x@example.net"}], **overrides}
    answer = client.post("/api.php", json=body)
    assert answer.status_code == 200 and answer.json["ErrorCode"] == 43, answer.json
    assert Message.select().count() == 0


@pytest.mark.parametrize("field, code", [("From", 23), ("To", 19), ("CC", 22), ("BCC", 26), ("ReplyTo", 30)])
@pytest.mark.parametrize("control", CONTROLS)
def test_a_control_character_in_an_address_is_that_address_s_code(send, field, code, control):
    address = {"email": f"x{CONTROLS[control]}y@example.com"}
    response = send(**{field: address if field == "From" else [address]})
    assert error(response) == (422, [code]), response.json
    assert Message.select().count() == 0


def test_tab_and_unicode_text_still_go_out_encoded(send, deliver, sink):
    response = send(Subject="Tab\there, ünïcode ✓", From={"name": "Zoë\tQ", "email": "alice@example.com"},
                    Tags=["tab\ttag"], Attachments=[{"filename": "résumé\t1.txt", "content": "aGVsbG8="}])
    assert response.status_code == 200, response.json
    deliver()
    [received] = sink.received
    head = received.data.split(b"\r\n\r\n")[0]
    assert head.isascii() and not any(b < 32 and b not in (9, 10, 13) or b == 127 for b in head)


def test_guessing_keys_from_one_address_is_refused_with_429(settings, sender):
    """The per-key limit never sees a guesser (a new key each time): its 401s count per address."""
    from app import create_app

    client = create_app(config.use(settings.replace(auth_failures_per_address="5 per 15 minutes"))).test_client()
    body = {"Subject": "Hi", "ContentType": "plain", "PlainContent": "Hi", "From": {"email": "alice@example.com"},
            "To": [{"email": "rob@example.net"}]}

    def post(key, address, path="/api/v1/email"):
        return client.post(path, json=body, headers={"Authorization": f"Bearer {key}"},
                           environ_base={"REMOTE_ADDR": address})

    assert [post(f"GUESS-{i:04d}", "198.51.100.9").status_code for i in range(5)] == [401] * 5
    refused = post("GUESS-9999", "198.51.100.9")
    assert error(refused) == (429, [429]) and int(refused.headers["Retry-After"]) >= 1
    assert "Wait for" in refused.json["Errors"][0]["Message"]
    assert post(sender.key, "198.51.100.9", "/api/v1/webhooks").status_code == 429  # every endpoint, any key
    assert post(sender.key, "198.51.100.10").status_code == 200  # other addresses are not affected
