"""EmailGateway.SMTPRelay with the admin key."""
import pytest

import config
from models import Delivery, Message
from services import domains, suppressions
from tests.smtp.test_submission import FROM_BYPASSES

RAW = "From: alice@example.com\r\nTo: rob@example.net\r\nSubject: relayed\r\n\r\nHello\r\n"


@pytest.fixture
def relay(client, api, sender, settings):
    config.use(config.current().replace(admin_api_key="ADMIN-KEY"))
    smtp = api(sender.account, "EmailGateway.AddSMTP", DomainID=sender.domain.id)["SMTP"]

    def call(**params):
        body = {"Command": "EmailGateway.SMTPRelay", "AdminAPIKey": "ADMIN-KEY", "SMTPUsername": smtp["SMTPUsername"],
                "SMTPPassword": smtp["SMTPPassword"], **params}
        return client.post("/api.php", data={k: v for k, v in body.items() if v is not None}).json

    return call


def test_auth_only_and_send(relay):
    checked = relay()
    assert checked["Success"] and checked["SMTPUsername"].endswith("@example.com")
    sent = relay(MailFrom="alice@example.com", RcptTo="rob@example.net, ann@example.org", RawEmail=RAW)
    assert sent["Success"] and sent["SMTPResponse"].startswith("250 2.0.0 Ok: queued as ")
    message = Message.get(Message.uuid == sent["MessageID"])
    assert message.source == "relay" and sorted(d.recipient for d in Delivery.select()) == [
        "ann@example.org", "rob@example.net"]


def test_error_codes_carry_an_smtp_response(relay, sender):
    assert relay(AdminAPIKey="wrong")["ErrorCode"] == 99998
    assert relay(SMTPUsername=None)["ErrorCode"] == 1
    assert relay(SMTPPassword=None)["ErrorCode"] == 2
    bad = relay(SMTPPassword="wrong")
    assert (bad["ErrorCode"], bad["SMTPResponse"]) == (3, "500 5.0.0 AUTH ERROR") and bad["Success"] is False
    assert relay(MailFrom="x@other.example", RcptTo="rob@example.net", RawEmail=RAW)["ErrorCode"] == 4
    suppressions.add(sender.account.user, "rob@example.net", "complaint")
    blocked = relay(MailFrom="alice@example.com", RcptTo="rob@example.net", RawEmail=RAW)
    assert blocked["ErrorCode"] == 8 and blocked["SMTPResponse"].startswith("550 5.1.1")
    config.use(config.current().replace(max_recipients=1))
    assert relay(MailFrom="alice@example.com", RcptTo="a@example.net,b@example.net", RawEmail=RAW)["ErrorCode"] == 9
    domains.set_status(sender.domain, "Suspended")
    assert relay()["ErrorCode"] == 5


def test_refused_without_an_admin_key_configured(relay):
    config.use(config.current().replace(admin_api_key=""))
    assert relay()["ErrorCode"] == 99998


def test_the_send_rate_counts_every_path_of_a_domain(relay, client, send, sender, api):
    """The group's rate (1 a second, a burst of 2) is one budget for /api/v1, /api.php and the
    relay alike: two messages pass, the third is refused in each dialect's words."""
    group = sender.account.user.group
    group.send_rate_per_second, group.send_rate_burst = 1, 2
    group.save()
    assert send().status_code == 200 and send().status_code == 200
    refused = send()
    assert refused.status_code == 429 and refused.json["Errors"] == [
        {"Code": 429, "Message": "You have exceeded your send rate limits. Please wait before sending another email."}]
    legacy = client.post("/api.php", json={"Command": "EmailGateway.SendEmail", "SenderAPIKey": sender.key,
                                           "Subject": "Hi", "ContentType": "plain", "PlainContent": "x",
                                           "From": {"email": "alice@example.com"}, "To": [{"email": "a@example.net"}]}).json
    assert (legacy["Success"], legacy["ErrorCode"]) == (False, 429)
    relayed = relay(MailFrom="alice@example.com", RcptTo="rob@example.net", RawEmail=RAW)
    assert (relayed["ErrorCode"], relayed["SMTPResponse"][:9]) == (12, "451 4.7.1")
    assert Message.select().count() == 2  # a refused message counts for nothing and is not kept


@pytest.mark.parametrize("headers", FROM_BYPASSES.values(), ids=FROM_BYPASSES.keys())
def test_the_relay_applies_the_same_from_check(relay, headers):
    raw = headers.decode() + "\r\nTo: rob@example.net\r\nSubject: Quarterly figures\r\n\r\nPlease pay.\r\n"
    answer = relay(MailFrom="alice@example.com", RcptTo="rob@example.net", RawEmail=raw)
    assert (answer["Success"], answer["ErrorCode"]) == (False, 4)
    assert answer["SMTPResponse"].startswith("553 5.7.1 "), answer
    assert Message.select().count() == 0


def test_the_relay_refuses_control_characters_in_headers_with_43(relay):
    answer = relay(MailFrom="alice@example.com", RcptTo="rob@example.net",
                   RawEmail=RAW.replace("Subject: relayed", "Subject: re\x00layed"))
    assert answer["ErrorCode"] == 43 and answer["SMTPResponse"].startswith("554 5.6.0"), answer
