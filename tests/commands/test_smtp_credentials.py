"""AddSMTP, GetSMTPs, DeleteSMTP, ResetSMTPPassword."""
import pytest

from models import SMTPCredential
from services import secrets


def test_add_smtp_shows_the_password_once(api, alice, add_domain, settings):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.AddSMTP", DomainID=domain["DomainID"])
    assert answer["Success"]
    smtp = answer["SMTP"]
    assert answer["NewSMTPID"] == smtp["SMTPID"]
    assert smtp["SMTPHost"] == settings.smtp_host
    assert smtp["SMTPPorts"] == [str(p) for p in settings.smtp_ports]
    assert smtp["SMTPUsername"].endswith("@example.com") and smtp["SMTPPassword"]
    row = SMTPCredential.get_by_id(smtp["SMTPID"])
    assert smtp["SMTPPassword"] not in row.password_hash
    assert secrets.verify_password(row.password_hash, smtp["SMTPPassword"])
    listed = api(alice, "EmailGateway.GetSMTPs", DomainID=domain["DomainID"])["SMTPs"]
    assert [s["SMTPUsername"] for s in listed] == [smtp["SMTPUsername"]]
    assert "SMTPPassword" not in listed[0] and listed[0]["Password"] == ""


def test_smtp_errors(api, alice, add_domain):
    add_domain(alice)
    assert api(alice, "EmailGateway.AddSMTP")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.AddSMTP", DomainID=999999)["ErrorCode"] == 2
    assert api(alice, "EmailGateway.GetSMTPs")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.GetSMTPs", DomainID=999999)["ErrorCode"] == 2
    assert api(alice, "EmailGateway.DeleteSMTP")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.DeleteSMTP", smtpid=999999)["ErrorCode"] == 2
    assert api(alice, "EmailGateway.ResetSMTPPassword")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.ResetSMTPPassword", SMTPID=999999)["ErrorCode"] == 2


def test_reset_password_and_delete_accept_smtpid_in_any_case(api, alice, add_domain):
    domain = add_domain(alice)
    smtp = api(alice, "EmailGateway.AddSMTP", DomainID=domain["DomainID"])["SMTP"]
    reset = api(alice, "EmailGateway.ResetSMTPPassword", smtpid=smtp["SMTPID"])
    assert reset["Success"]
    assert reset["SMTP"]["SMTPPassword"] != smtp["SMTPPassword"]
    assert reset["SMTP"]["Username"] == smtp["SMTPUsername"] and reset["SMTP"]["Server"] == smtp["SMTPHost"]
    row = SMTPCredential.get_by_id(smtp["SMTPID"])
    assert secrets.verify_password(row.password_hash, reset["SMTP"]["SMTPPassword"])
    assert not secrets.verify_password(row.password_hash, smtp["SMTPPassword"])
    assert api(alice, "EmailGateway.DeleteSMTP", SMTPID=smtp["SMTPID"])["Success"]
    assert api(alice, "EmailGateway.GetSMTPs", DomainID=domain["DomainID"])["SMTPs"] == []


def test_add_smtp_defaults_show_in_get_smtps(api, alice, add_domain):
    domain = add_domain(alice)
    added = api(alice, "EmailGateway.AddSMTP", DomainID=str(domain["DomainID"]), FromEmail="from@example.com",
                FromName="Example Sender", ReplyToEmail="reply-to@example.com", ReplyToName="Example Reply")
    assert added["Success"]
    listed = api(alice, "EmailGateway.GetSMTPs", DomainID=domain["DomainID"])["SMTPs"]
    assert {k: listed[0][k] for k in ("SMTPID", "Password", "FromEmail", "FromName", "ReplyToEmail", "ReplyToName",
                                      "IsActive")} == {
        "SMTPID": added["NewSMTPID"], "Password": "", "FromEmail": "from@example.com", "FromName": "Example Sender",
        "ReplyToEmail": "reply-to@example.com", "ReplyToName": "Example Reply", "IsActive": True}
    plain = api(alice, "EmailGateway.AddSMTP", DomainID=domain["DomainID"])["SMTP"]
    assert (plain["FromEmail"], plain["FromName"], plain["ReplyToEmail"], plain["ReplyToName"]) == ("", "", "", "")


@pytest.mark.parametrize("params", [{"FromEmail": "not an address"}, {"FromEmail": "someone@elsewhere.example"},
                                    {"ReplyToEmail": "a@@b"}, {"FromName": "Evil\r\nBcc: x@example.net"},
                                    {"ReplyToName": "x" * 256}, {"FromName": ["a", "list"]}])
def test_add_smtp_refuses_unusable_defaults_with_3(api, alice, add_domain, params):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.AddSMTP", DomainID=domain["DomainID"], **params)
    assert (answer["Success"], answer["ErrorCode"]) == (False, 3)
    assert answer["ErrorText"] == "Invalid FromEmail, FromName, ReplyToEmail or ReplyToName"
    assert SMTPCredential.select().count() == 0
