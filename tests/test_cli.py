"""The gatepost command, run through click's runner against the test database."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from models import User
from services import accounts, credentials
from services.errors import AuthenticationFailed


@pytest.fixture
def run(settings):
    """The CLI reads config.current(), which the settings fixture points at the test database."""
    return lambda *args: CliRunner().invoke(cli.main, list(args))


def test_user_create_json_list_and_disable(run, api):
    result = run("user", "create", "--email", "ops@example.com", "--password", "pw", "--max-domains", "3", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert {"UserID", "Username", "APIKey"} <= set(info) and info["Username"] == "ops@example.com"
    user = User.get_by_id(info["UserID"])
    assert user.domain_limit == 3 and accounts.user_by_api_key(info["APIKey"]).id == user.id
    listed = json.loads(run("user", "list", "--json").output)
    assert [(u["Username"], u["Status"], u["MaxSenderDomains"]) for u in listed] == [("ops@example.com", "Enabled", 3)]
    assert run("user", "disable", "--email", "ops@example.com").exit_code == 0
    assert User.get_by_id(info["UserID"]).status == "Disabled"
    assert run("user", "create", "--email", "ops@example.com", "--password", "x").exit_code != 0


def test_group_create_and_assign(run):
    assert run("group", "create", "Strict", "--max-domains", "1", "--manual-approval").exit_code == 0
    result = run("user", "create", "--email", "s@example.com", "--password", "pw", "--group", "Strict", "--json")
    user = User.get_by_id(json.loads(result.output)["UserID"])
    assert user.group.name == "Strict" and user.group.manual_domain_approval and user.domain_limit == 1
    assert run("user", "create", "--email", "t@example.com", "--password", "pw", "--group", "Nope").exit_code != 0


def test_domain_records_verify_and_operator_transitions(run, alice, dns_server):
    from models import SenderDomain
    from services import domains
    from tests.conftest import publish

    domain = domains.add(alice.user, "example.com")
    records = run("domain", "records", "example.com")
    assert records.exit_code == 0, records.output
    assert f"{domain.dkim_selector}._domainkey.example.com.\t3600\tIN\tTXT\t\"v=DKIM1; k=rsa; p=" in records.output
    assert '" "' in records.output  # the 2048-bit key is split into 255-byte strings
    assert "gp.example.com.\t3600\tIN\tMX\t10 mx.gatepost.test." in records.output
    publish(dns_server.zone, domain)
    verified = run("domain", "verify", "example.com")
    assert verified.exit_code == 0 and "status: Enabled" in verified.output
    assert run("domain", "verify", "--all").output.strip() == "checked=1 failing=0 demoted=0"
    for command, status in (("suspend", "Suspended"), ("enable", "Enabled"), ("block", "Blocked"),
                            ("approve", "Enabled")):
        assert run("domain", command, "example.com").exit_code == 0
        assert SenderDomain.get_by_id(domain.id).status == status
    domains.set_status(domain, "Suspended")
    assert run("domain", "approve", "example.com").exit_code != 0  # approve is for Blocked/Pending only
    assert run("domain", "records", "nowhere.example").exit_code != 0


def test_domain_names_shared_by_two_users_need_an_id(run, alice, bob):
    from services import domains

    domains.add(alice.user, "shared.example.com")
    theirs = domains.add(bob.user, "shared.example.com")
    ambiguous = run("domain", "suspend", "shared.example.com")
    assert ambiguous.exit_code != 0 and "several users" in ambiguous.output
    assert run("domain", "suspend", str(theirs.id)).exit_code == 0


def test_suppression_add_list_remove(run, alice):
    assert run("suppression", "add", "--user", "alice@example.com", "Someone@Example.net").exit_code == 0
    listed = json.loads(run("suppression", "list", "--user", "alice@example.com", "--json").output)
    assert [(s["Email"], s["Reason"]) for s in listed] == [("someone@example.net", "manual")]
    assert run("suppression", "remove", "--user", "alice@example.com", "someone@example.net").exit_code == 0
    assert run("suppression", "remove", "--user", "alice@example.com", "someone@example.net").exit_code != 0
    assert run("suppression", "list", "--user", "nobody@example.com").exit_code != 0


def test_webhooks_failed_replay_enable(run, api, sender, send, deliver, settings):
    import config
    from models import Webhook, WebhookDelivery

    config.use(config.current().replace(webhook_allow_private=True))
    api(sender.account, "EmailGateway.AddWebhook", DomainID=sender.domain.id, Event="delivery",
        WebhookURL="http://127.0.0.1:1/nowhere")
    send()
    deliver()
    WebhookDelivery.update(status="failed", last_error="HTTP 500").execute()
    Webhook.update(status="Suspended", status_reason="20 failures in a row").execute()
    assert "HTTP 500" in run("webhooks", "failed").output
    assert run("webhooks", "replay").exit_code != 0
    assert run("webhooks", "replay", "--since", "2000-01-01").output.strip() == "1 webhook deliveries queued again"
    assert WebhookDelivery.get().status == "pending"
    assert run("webhooks", "enable", str(Webhook.get().id)).exit_code == 0 and Webhook.get().status == "Enabled"
    assert run("webhooks", "enable", "999999").exit_code != 0


def test_queue_stats_and_inspect(run, send, deliver, sink):
    ident = send(To=[{"email": "ok@example.net"}, {"email": "greylist@example.net"}], TrackOpens=False,
                 TrackLinks=False).json["MessageID"]
    deliver()
    stats = json.loads(run("queue", "stats", "--json").output)
    assert stats["by_state"] == {"delivered": 1, "deferred": 1}
    assert stats["by_domain"] == {"example.com": {"deferred": 1}}
    assert run("queue", "stats").exit_code == 0
    inspected = json.loads(run("queue", "inspect", ident, "--json").output)
    by_recipient = {d["recipient"]: d for d in inspected["deliveries"]}
    assert by_recipient["greylist@example.net"]["status"] == "deferred"
    assert "try again in 5 seconds" in by_recipient["greylist@example.net"]["attempt_log"][0]["reply"]
    assert by_recipient["ok@example.net"]["attempt_log"][0]["mx_host"] == "mx.example.net"
    text = run("queue", "inspect", f"<{ident}@example.com>").output
    assert "greylist@example.net" in text and "451" in text
    assert run("queue", "inspect", "nope").exit_code != 0


def test_credentials_create_list_revoke(run, alice, add_domain):
    add_domain(alice, "example.com")
    result = run("credentials", "create", "--user", alice.user.email, "--kind", "sendpulse", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["kind"] == "sendpulse" and {"client_id", "client_secret"} <= set(created)
    assert credentials.authenticate("sendpulse", created["client_secret"], created["client_id"]).user.id == alice.user.id
    tied = json.loads(run("credentials", "create", "--user", alice.user.email, "--kind", "autorelay", "--test",
                          "--domain", "example.com", "--json").output)
    assert tied["key"].startswith("sk_test_")
    listed = json.loads(run("credentials", "list", "--user", alice.user.email, "--json").output)
    assert [(c["kind"], c["domain"]) for c in listed] == [("sendpulse", None), ("autorelay", "example.com")]
    assert created["client_secret"] not in json.dumps(listed)
    assert run("credentials", "revoke", "--user", alice.user.email, str(created["id"])).exit_code == 0
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("sendpulse", created["client_secret"], created["client_id"])
    refused = run("credentials", "create", "--user", alice.user.email, "--kind", "sendpulse-token", "--json")
    assert refused.exit_code != 0 and "issued by their dialect" in refused.output
    assert run("credentials", "create", "--user", "nobody@example.com", "--kind", "kirim").exit_code != 0


def test_bounces_classify_prints_one_json_object_per_message(run, tmp_path):
    """The classifier the inbound listener uses, for any file (LF or CRLF)."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    crlf = tmp_path / "multi-crlf.eml"
    crlf.write_bytes((fixtures / "reports" / "postfix-multi.eml").read_bytes().replace(b"\n", b"\r\n"))
    auto = str(fixtures / "bounces" / "exchange-autoreply.eml")
    result = run("bounces", "classify", "--json", str(crlf), auto)
    assert result.exit_code == 0, result.output
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert first == {"file": str(crlf), "kind": "bounce", "results": [
        {"recipient": "gone@example.net", "reason": "userunknown", "hard": True, "status": "5.1.1",
         "diagnostic": "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown in virtual mailbox table"},
        {"recipient": "full@example.net", "reason": "mailboxfull", "hard": False, "status": "5.2.2",
         "diagnostic": "552 5.2.2 <full@example.net>: Mailbox full"}]}
    assert second == {"file": auto, "kind": "auto-reply", "results": []}
