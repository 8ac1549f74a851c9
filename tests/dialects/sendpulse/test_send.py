"""POST /smtp/emails: the document's examples verbatim, `email` as a JSON string (pysendpulse)
and PHP-serialized (the Node SDK), templates with variables, both attachment kinds, and the
refusals in SendPulse's codes. What was accepted is read back from the stored message."""
import base64
import email
import json
from email import policy

import phpserialize
import pytest

from models import Delivery, Message, Template
from services import domains, senders, suppressions, templates


@pytest.fixture
def documented(sender):
    """The domains the document's examples send from, Enabled for Alice."""
    for name in ("test.com", "domain.com"):
        domains.set_status(domains.add(sender.account.user, name), "Enabled")
    return sender


def stored(ident: str):
    message = Message.get(Message.uuid == ident)
    recipients = {d.recipient: d.kind for d in Delivery.select().where(Delivery.message == message)}
    return email.message_from_bytes(bytes(message.content), policy=policy.default), recipients


def sent(sp, body):
    answer = sp("POST", "/smtp/emails", json=body)
    assert answer.status_code == 200, answer.json
    assert answer.json["result"] is True
    return stored(answer.json["id"])


def test_the_custom_template_example(sp, documented):
    parsed, recipients = sent(sp, json.loads('''{
      "email": {
        "html": "PHA+RXhhbXBsZSB0ZXh0PC9wPg==",
        "text": "Example text",
        "subject": "Example subject",
        "from": {"name": "Example name", "email": "sender@example.com"},
        "to": [{"name": "Recipient1 name", "email": "recipient1@example.com"}]
      }}'''))
    assert parsed["Subject"] == "Example subject" and parsed["From"] == "Example name <sender@example.com>"
    assert parsed["To"] == "Recipient1 name <recipient1@example.com>" and recipients == {"recipient1@example.com": "to"}
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Example text</p>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Example text"


def test_the_system_template_example_renders_its_variables(sp, documented):
    template = templates.create(documented.account.user, "code", subject="Your code",
                                html="<p>Hi {{ name }}, your code is {{ code }}</p>", text="Hi {{ name }}: {{ code }}")
    Template.update(id=123456).where(Template.id == template.id).execute()  # the id the example names
    parsed, recipients = sent(sp, json.loads('''{
      "email": {
        "subject": "Test",
        "template": {"id": 123456, "variables": {"name": "George", "code": "123456"}},
        "from": {"name": "Mike", "email": "mike.johnson@domain.com"},
        "to": [{"email": "recipient1@example.com", "name": "George"}]
      }}'''))
    assert parsed["Subject"] == "Test" and recipients == {"recipient1@example.com": "to"}
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hi George, your code is 123456</p>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hi George: 123456"


def test_a_template_of_another_user_is_not_found(sp, documented, make_user):
    theirs = templates.create(make_user("eve@example.org").user, "theirs", subject="x", text="x")
    answer = sp("POST", "/smtp/emails", json={"email": {
        "template": {"id": theirs.id}, "from": {"email": "a@example.com"}, "to": [{"email": "r@example.net"}]}})
    assert answer.status_code == 404 and answer.json["error_code"] == 404


def test_the_copies_example_sends_cc_and_bcc(sp, documented):
    parsed, recipients = sent(sp, json.loads('''{
      "email": {
        "html":"dGVzdCBBUEk=", "text": "text", "subject": "subject",
        "from": {"name": "test", "email": "test@test.com"},
        "to": [{"name": "recipient 1", "email": "recipient1@test.com"}],
        "cc":[{"name":"recipient 2", "email":"recipient2@test.com"}],
        "bcc":[{"name":"recipient 3", "email":"recipient3@test.com"}]
      }}'''))
    assert recipients == {"recipient1@test.com": "to", "recipient2@test.com": "cc", "recipient3@test.com": "bcc"}
    assert parsed["Cc"] == "recipient 2 <recipient2@test.com>" and parsed["Bcc"] is None
    assert parsed.get_body(("html",)).get_content().strip() == "test API"


def test_the_parameter_tables_cyrillic_cc_key_is_read_too(sp, documented):
    _, recipients = sent(sp, {"email": {"text": "t", "subject": "s", "from": {"email": "a@example.com"},
                                        "to": [{"email": "r1@example.net"}], "\u0441\u0441": [{"email": "r2@example.net"}]}})
    assert recipients == {"r1@example.net": "to", "r2@example.net": "cc"}


@pytest.mark.parametrize("key, files, expected", [
    ("attachments", {"file1.txt": "file1 text content", "file2.txt": "file2 text content"},
     {"file1.txt": b"file1 text content", "file2.txt": b"file2 text content"}),
    ("attachments_binary", {"file1.txt": "bXkgdGV4dA==", "file2.txt": "bXkgdGV4dA=="},
     {"file1.txt": b"my text", "file2.txt": b"my text"}),
])
def test_the_attachment_examples(sp, documented, key, files, expected):
    parsed, _ = sent(sp, {"email": {
        "html": "PHA+RXhhbXBsZSB0ZXh0PC9wPg==", "text": "Example text b", "subject": "Example subject b",
        "from": {"name": "Example name", "email": "sender@example.com"},
        "to": [{"name": "Recipient1 name", "email": "recipient1@example.com"}], key: files}})
    found = {part.get_filename(): part.get_content() for part in parsed.iter_attachments()}
    assert {name: content.encode() if isinstance(content, str) else content for name, content in found.items()} == expected
    assert all(part.get_content_type() == "text/plain" for part in parsed.iter_attachments())


def test_email_as_a_json_string_with_null_html_as_pysendpulse_sends_it(sp, sender):
    body = {"email": json.dumps({"html": None, "text": "Just text", "subject": "Plain",
                                 "from": {"name": "A", "email": "alice@example.com"}, "to": [{"email": "r@example.net"}]})}
    parsed, _ = sent(sp, body)
    assert parsed.get_content_type() == "text/plain" and parsed.get_content().strip() == "Just text"


def test_email_php_serialized_as_the_node_sdk_sends_it(sp, sender):
    serialized = phpserialize.dumps({"html": base64.b64encode("<b>Привет</b>".encode()).decode(), "text": "Hi",
                                     "subject": "Из PHP", "from": {"name": "Alice", "email": "alice@example.com"},
                                     "to": [{"name": "Rob", "email": "rob@example.net"}, {"email": "ann@example.net"}],
                                     "attachments": {"a.txt": "hello"}}).decode("utf-8")
    assert serialized.startswith("a:6:{")
    for answer in (sp("POST", "/smtp/emails", json={"email": serialized}),
                   sp("POST", "/smtp/emails", data={"email": serialized})):  # as JSON and as a form
        assert answer.status_code == 200, answer.json
        parsed, recipients = stored(answer.json["id"])
        assert parsed["Subject"] == "Из PHP" and recipients == {"rob@example.net": "to", "ann@example.net": "to"}
        assert parsed.get_body(("html",)).get_content().strip() == "<b>Привет</b>"
        assert [p.get_filename() for p in parsed.iter_attachments()] == ["a.txt"]


def test_a_named_sender_gives_its_name_when_the_request_has_none(sp, sender):
    senders.name(sender.account.user, "news@example.com", "The News")
    parsed, _ = sent(sp, {"email": {"text": "t", "subject": "s", "from": {"email": "news@example.com"},
                                    "to": [{"email": "r@example.net"}]}})
    assert parsed["From"] == "The News <news@example.com>"


@pytest.mark.parametrize("body, code", [
    ({}, 8), ({"email": ""}, 8), ({"email": "not json"}, 8), ({"email": "a:1:{s:1:\"x\";}"}, 8),
    ({"email": 'O:8:"stdClass":0:{}'}, 8), ({"email": {"text": "t", "to": [{"email": "r@example.net"}]}}, 10),
    ({"email": {"text": "t", "from": {"email": "not an address"}, "to": [{"email": "r@example.net"}]}}, 10),
    ({"email": {"text": "t", "from": {"email": "a@example.com"}}}, 11),
    ({"email": {"text": "t", "from": {"email": "a@example.com"}, "to": [{"email": "nope"}]}}, 11),
    ({"email": {"subject": "s", "from": {"email": "a@example.com"}, "to": [{"email": "r@example.net"}]}}, 13),
    ({"email": {"html": None, "text": None, "from": {"email": "a@example.com"}, "to": ["r@example.net"]}}, 13),
    ({"email": {"text": "t", "from": {"email": "a@elsewhere.org"}, "to": [{"email": "r@example.net"}]}}, 10),
])
def test_refusals_carry_sendpulse_codes(sp, sender, body, code):
    answer = sp("POST", "/smtp/emails", json=body)
    assert answer.status_code == 400 and answer.json["error_code"] == code and answer.json["message"]


def test_other_refusals_are_clear_and_never_500(sp, sender):
    suppressions.add(sender.account.user, "gone@example.net", "manual")
    base = {"text": "t", "subject": "s", "from": {"email": "a@example.com"}, "to": [{"email": "r@example.net"}]}
    cases = [({**base, "to": [{"email": "gone@example.net"}]}, 422), ({**base, "html": "%%%"}, 400),
             ({**base, "attachments_binary": {"x.bin": "***"}}, 400), ({**base, "attachments": ["x"]}, 400),
             ({**base, "template": {"id": 999999}}, 404), ({**base, "subject": "a\r\nBcc: x@y.z"}, 400),
             ({**base, "text": "a\x00b"}, 400)]
    for body, status in cases:
        answer = sp("POST", "/smtp/emails", json={"email": body})
        assert answer.status_code == status and answer.json["error_code"] == status, (body, answer.json)
    domains.set_status(sender.domain, "Suspended")
    answer = sp("POST", "/smtp/emails", json={"email": base})
    assert answer.status_code == 400 and answer.json["error_code"] == 10 and "not activated" in answer.json["message"]


def test_a_credential_tied_to_one_domain_sends_only_from_it(client, sender):
    from services import credentials

    other = domains.add(sender.account.user, "other.com")
    domains.set_status(other, "Enabled")
    shown = credentials.issue(sender.account.user, "sendpulse", domain=other)[1]
    token = client.post("/oauth/access_token", json={"grant_type": "client_credentials", **shown}).json["access_token"]
    base = {"text": "t", "subject": "s", "to": [{"email": "r@example.net"}]}
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post("/smtp/emails", headers=headers, json={"email": {**base, "from": {"email": "a@example.com"}}})
    assert refused.status_code == 400 and refused.json["error_code"] == 10
    assert client.post("/smtp/emails", headers=headers, json={"email": {**base, "from": {"email": "a@other.com"}}}).json["result"]
