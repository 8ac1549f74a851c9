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


def test_migrate_installs_the_system_templates_once(run):
    from services import templates

    first = run("migrate")
    assert first.exit_code == 0 and "installed system template welcome" in first.output
    assert run("migrate").output.strip() == "schema is up to date"
    assert {t.name for t in templates.list_system()} == {"welcome", "password-reset", "receipt"}


def test_templates_create_update_render_and_list(run, alice, tmp_path):
    from services import templates

    html = tmp_path / "t.html"
    html.write_text("<p>Hi {{ name | default('you') }}</p>")
    created = run("templates", "create", "--user", "alice@example.com", "--name", "hello", "--subject",
                  "Hi {{ name }}", "--html", str(html))
    assert created.exit_code == 0, created.output
    stored = templates.list_own(alice.user)[0]
    rendered = run("templates", "render", str(stored.uuid), "--var", "name=<Ann>")
    assert "Subject: Hi <Ann>" in rendered.output and "<p>Hi &lt;Ann&gt;</p>" in rendered.output
    assert run("templates", "update", str(stored.id), "--subject", "Hello").output.strip() == \
        f"template {stored.id} is now version 2"
    shown = json.loads(run("templates", "show", str(stored.id), "--json").output)
    assert shown["Subject"] == "Hello" and [v["Subject"] for v in shown["Versions"]] == ["Hi {{ name }}"]
    broken = tmp_path / "broken.html"
    broken.write_text("<p>\n{% for x in y %}\n")
    refused = run("templates", "update", str(stored.id), "--html", str(broken))
    assert refused.exit_code != 0 and "html, line 2" in refused.output
    templates.seed_system()
    listed = json.loads(run("templates", "list", "--user", "alice@example.com", "--json").output)
    assert [t["Name"] for t in listed["Own"]] == ["hello"] and len(listed["System"]) == 3
    assert run("templates", "deactivate", str(stored.id)).exit_code == 0
    assert run("templates", "render", str(stored.id)).exit_code != 0
    assert run("templates", "delete", str(stored.id)).exit_code == 0
    assert run("templates", "show", str(stored.id)).exit_code != 0


def test_lists_and_contacts_commands_with_a_csv_import(run, alice, tmp_path):
    from services import contacts

    assert run("lists", "create", "--user", "alice@example.com", "News").exit_code == 0
    news = contacts.lists_of(alice.user)[0]
    assert run("contacts", "add", str(news.id), "Ann@Example.net", "--name", "Ann", "--field", "plan=pro").exit_code == 0
    assert run("contacts", "add", str(news.id), "ann@example.net").exit_code != 0
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("email,name,city\nann@example.net,Ann B,Oslo\nbo@example.net,Bo,\nnope,Nope,\n")
    imported = run("contacts", "import", str(news.id), str(csv_file))
    assert imported.exit_code == 0, imported.output
    assert "added 1, updated 1, invalid 1" in imported.output and "line 4: nope" in imported.output
    assert run("contacts", "update", str(news.id), "bo@example.net", "--status", "unsubscribed").exit_code == 0
    listed = json.loads(run("contacts", "list", str(news.id), "--json").output)
    assert [(c["Email"], c["Name"], c["Status"], c["Fields"]) for c in listed] == [
        ("ann@example.net", "Ann B", "subscribed", {"city": "Oslo"}), ("bo@example.net", "Bo", "unsubscribed", {})]
    lists = json.loads(run("lists", "list", "--user", "alice@example.com", "--json").output)
    assert lists[0]["Contacts"] == {"subscribed": 1, "unsubscribed": 1, "bounced": 0, "complained": 0}
    assert run("contacts", "remove", str(news.id), "bo@example.net").exit_code == 0
    assert run("lists", "rename", str(news.id), "Letters").exit_code == 0
    assert contacts.get_list(news.id, alice.user).name == "Letters"
    assert run("lists", "delete", str(news.id)).exit_code == 0
    assert run("contacts", "list", str(news.id)).exit_code != 0


def test_campaigns_create_launch_pause_resume_and_show(run, sender, tmp_path):
    from services import campaigns, contacts

    news = contacts.create_list(sender.account.user, "News")
    for address in ("ann@example.net", "bo@example.net"):
        contacts.add(news, address)
    html = tmp_path / "body.html"
    html.write_text("<p>Hello {{ email }}</p>")
    created = run("campaigns", "create", "--user", "alice@example.com", "--name", "Spring", "--list", str(news.id),
                  "--from", "news@example.com", "--subject", "Spring", "--html", str(html), "--speed", "60")
    assert created.exit_code == 0, created.output
    campaign_id = created.output.split()[1]
    assert run("campaigns", "launch", campaign_id, "--at", "not a date").exit_code != 0
    assert run("campaigns", "launch", campaign_id).exit_code == 0
    assert run("campaigns", "launch", campaign_id).exit_code != 0  # no longer a draft
    assert run("campaigns", "pause", campaign_id).output.strip() == f"campaign {campaign_id} paused"
    assert campaigns.run_due() == 0
    assert run("campaigns", "resume", campaign_id).exit_code == 0
    assert campaigns.run_due() == 1  # the pace: the first at once, the next a minute later
    shown = json.loads(run("campaigns", "show", campaign_id, "--json").output)
    assert (shown["status"], shown["stats"]["queued"], shown["stats"]["recipients"]) == ("sending", 1, 2)
    listed = json.loads(run("campaigns", "list", "--user", "alice@example.com", "--json").output)
    assert [c["name"] for c in listed] == ["Spring"]
    assert run("campaigns", "delete", campaign_id).exit_code != 0  # not while it may send
    assert run("campaigns", "cancel", campaign_id).output.strip() == f"campaign {campaign_id} cancelled"
    assert run("campaigns", "delete", campaign_id).exit_code == 0
    assert run("campaigns", "show", campaign_id).exit_code != 0
