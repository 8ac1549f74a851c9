"""Senders: add (unique per domain), list, and verification by a real mail with a signed link."""
import datetime
import email
import re
from email import policy

import pytest

import clock
from models import Sender
from tests.dialects.smtpprovider import seed

LINK = re.compile(r"https://track\.gatepost\.test(/api/v1/smtp-sender-confirm/\S+)")


@pytest.fixture
def domain(call):
    return call("POST", "/api/v1/smtp-domain-add", seed.DOMAIN_ADD).json["data"]["domain"]


def mailed_link(received) -> str:
    message = email.message_from_bytes(received.data, policy=policy.default)
    return LINK.search(message.get_body(("plain",)).get_content())[1]


def test_add_the_seed_sender_and_list_it(call, domain):
    answer = call("POST", "/api/v1/smtp-domain-sender-add", seed.SENDER_ADD)
    assert answer.status_code == 200
    sender = answer.json["data"]["sender"]
    assert (sender["from_email"], sender["sender_name"], sender["domain_name"], sender["verified"]) == (
        "news@example.com", "Demo Team", "example.com", False)
    listed = call("GET", "/api/v1/smtp-sender-list", seed.USER_QUERY).json["data"]["sender_lists"]
    assert [s["id"] for s in listed] == [sender["id"]]


@pytest.mark.parametrize("change,message", [
    ({}, "The from email has already been taken."),
    ({"from_email": "NEWS@example.com"}, "The from email has already been taken."),
    ({"from_email": "news@example.net"}, "The sender address must be on example.com"),
    ({"domain_name": "example.net"}, "The selected domain name is invalid."),
    ({"from_email": "news@"}, "The from email field must be a valid email address."),
    ({"from_email": "", "domain_name": None}, None)])
def test_sender_rules(call, domain, change, message):
    call("POST", "/api/v1/smtp-domain-sender-add", seed.SENDER_ADD)
    answer = call("POST", "/api/v1/smtp-domain-sender-add", {**seed.SENDER_ADD, **change})
    assert answer.status_code == 422 and answer.json["success"] is False
    assert answer.json["data"] == ([message] if message else
                                   ["The domain name field is required.", "The from email field is required."])


def test_verification_mail_and_its_link(call, client, domain, example_mx, deliver):
    call("POST", "/api/v1/smtp-domain-sender-add", seed.SENDER_ADD)
    answer = call("POST", "/api/v1/smtp-domain-sender-verify", {"user_id": 123, "from_email": "news@example.com"})
    assert answer.status_code == 200, answer.json
    assert answer.json["data"]["message"] == "Verification email sent successfully"
    deliver()
    [received] = example_mx.wait_for(1)
    assert received.rcpt_tos == ["news@example.com"]
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert message["From"] == "SMTPProvider <no-reply@notify.example.org>" and "DKIM-Signature" in message
    path = mailed_link(received)
    assert Sender.get(Sender.email == "news@example.com").verified_at is None
    # a damaged link verifies nothing
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    page = client.get(path)
    assert page.status_code == 200 and b"news@example.com" in page.data and page.mimetype == "text/html"
    listed = call("GET", "/api/v1/smtp-sender-list", seed.USER_QUERY).json["data"]["sender_lists"]
    assert listed[0]["verified"] is True and listed[0]["verified_at"].endswith("Z")
    assert client.get(path).status_code == 200  # following it again is fine
    again = call("POST", "/api/v1/smtp-domain-sender-verify", {"user_id": 123, "from_email": "news@example.com"})
    assert again.status_code == 422 and again.json["data"] == ["The sender is already verified."]


def test_a_link_expires_and_dies_with_its_sender(call, client, domain, example_mx, deliver):
    from services import senders

    call("POST", "/api/v1/smtp-domain-sender-add", seed.SENDER_ADD)
    sender = Sender.get(Sender.email == "news@example.com")
    path = "/api/v1/smtp-sender-confirm/" + senders.token(sender)
    clock.shift(senders.LINK_TTL + datetime.timedelta(minutes=1))
    assert client.get(path).status_code == 404
    clock.shift(None)
    sender.delete_instance()
    assert client.get(path).status_code == 404


def test_verification_mail_goes_at_most_once_a_minute(call, domain, example_mx):
    call("POST", "/api/v1/smtp-domain-sender-add", seed.SENDER_ADD)
    body = {"user_id": 123, "from_email": "news@example.com"}
    assert call("POST", "/api/v1/smtp-domain-sender-verify", body).status_code == 200
    soon = call("POST", "/api/v1/smtp-domain-sender-verify", body)
    assert soon.status_code == 429 and soon.json["success"] is False
    clock.shift(seconds=61)
    assert call("POST", "/api/v1/smtp-domain-sender-verify", body).status_code == 200


def test_verify_an_unknown_sender(call, domain):
    answer = call("POST", "/api/v1/smtp-domain-sender-verify", {"user_id": 123, "from_email": "nobody@example.com"})
    assert answer.status_code == 422 and answer.json["data"] == ["The selected from email is invalid."]
