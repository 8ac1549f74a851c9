"""SendPulse's own Python SDK, `pysendpulse`, unchanged but for its API URL, against a real
`gatepost serve` on loopback: a token from a client credential made by `gatepost credentials
create`, sends of every kind, reads, unsubscribes, senders, IPs and domains; and the mail
arrives at the loopback SMTP sink DKIM-signed, with the right content."""
import base64
import email
import json
import subprocess
from email import policy
from pathlib import Path

import dkim
import pytest
import requests
from pysendpulse.pysendpulse import PySendPulse

from services import templates
from tests import processes
from tests.e2e.test_processes import GATEPOST, ROOT, environment  # noqa: F401  (a fixture)
from tests.services.test_delivery import dns_txt

@pytest.fixture
def served(environment, sender):
    """`gatepost serve` on a free port, on the test database, DNS and sink; yields its
    environment and base URL."""
    env = dict(environment, GATEPOST_SENDPULSE_RATE_LIMIT="1000 per second")
    with processes.serve(env) as base:
        yield env, base


def sdk(base_url: str, client_id: str, secret: str, token_dir: Path) -> PySendPulse:
    """The SDK as shipped; its API URL is a name-mangled class attribute, set on a subclass
    before constructing (the constructor fetches a token at once)."""
    class Local(PySendPulse):
        pass

    Local._PySendPulse__api_url = base_url
    return Local(client_id, secret, "FILE", token_file_path=f"{token_dir}/")


def test_pysendpulse_drives_gatepost(served, sender, sink, tmp_path, dns_server, settings):
    env, base_url = served
    made = subprocess.run(GATEPOST + ["credentials", "create", "--user", "alice@example.com", "--kind", "sendpulse",
                                      "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    shown = json.loads(made.stdout)
    tokens = tmp_path / "tokens"
    client = sdk(base_url, shown["client_id"], shown["client_secret"], tokens)
    [token_file] = tokens.glob("*")  # the SDK's FILE storage
    token = token_file.read_text().strip()
    dns_server.zone.add(settings.mail_host, "A", "192.0.2.25")

    # send: html and text with cc and bcc; text only; a template with variables; both attachment kinds
    full = client.smtp_send_mail({
        "html": "<p>Hello <b>Rob</b></p>", "text": "Hello Rob", "subject": "Full",
        "from": {"name": "Alice", "email": "alice@example.com"}, "to": [{"name": "Rob", "email": "rob@example.net"}],
        "cc": [{"name": "Ann", "email": "ann@example.net"}], "bcc": [{"email": "hidden@example.org"}]})
    assert full.get("result") is True, full
    text_only = client.smtp_send_mail({"html": None, "text": "Only text", "subject": "Text",
                                       "from": {"email": "alice@example.com"}, "to": [{"email": "tom@example.net"}]})
    assert text_only.get("result") is True, text_only
    template = templates.create(sender.account.user, "code", subject="Code for {{ name }}",
                                html="<p>{{ name }}: {{ code }}</p>", text="{{ name }}: {{ code }}")
    templated = client.smtp_send_mail_with_template({
        "subject": "Your code", "template": {"id": template.id, "variables": {"name": "George", "code": "123456"}},
        "from": {"name": "Alice", "email": "alice@example.com"}, "to": [{"email": "george@example.net"}]})
    assert templated.get("result") is True, templated
    attached = client.smtp_send_mail({
        "html": "<p>Files</p>", "text": "Files", "subject": "Files", "from": {"email": "alice@example.com"},
        "to": [{"email": "files@example.net"}], "attachments": {"notes.txt": "plain notes"},
        "attachments_binary": {"data.bin": base64.b64encode(b"\x00\x01binary").decode()}})
    assert attached.get("result") is True, attached

    arrived = {rcpt: m for m in sink.wait_for(6, timeout=30) for rcpt in m.rcpt_tos}
    assert set(arrived) == {"rob@example.net", "ann@example.net", "hidden@example.org", "tom@example.net",
                            "george@example.net", "files@example.net"}
    for received in arrived.values():
        assert dkim.verify(received.data, dnsfunc=dns_txt)
    mail = {rcpt: email.message_from_bytes(m.data, policy=policy.default) for rcpt, m in arrived.items()}
    first = mail["rob@example.net"]
    assert first["Subject"] == "Full" and first["From"] == "Alice <alice@example.com>" and first["Bcc"] is None
    assert first["Cc"] == "Ann <ann@example.net>"
    assert "<b>Rob</b>" in first.get_body(("html",)).get_content()
    assert first.get_body(("plain",)).get_content().strip() == "Hello Rob"
    assert mail["tom@example.net"].get_content().strip() == "Only text"
    george = mail["george@example.net"]
    assert george["Subject"] == "Your code" and "George: 123456" in george.get_body(("plain",)).get_content()
    files = {p.get_filename(): p.get_content() for p in mail["files@example.net"].iter_attachments()}
    assert files == {"notes.txt": "plain notes\n", "data.bin": b"\x00\x01binary"} or \
        files == {"notes.txt": "plain notes", "data.bin": b"\x00\x01binary"}

    # read: list (a raw JSON query string), by id, total and search (not in the SDK: plain requests)
    rows = client.smtp_get_list_of_emails(limit=10, recipient="rob@example.net")
    assert [r["id"] for r in rows] == [full["id"]] and rows[0]["smtp_answer_code"] == 250
    assert rows[0]["used_ip"] == "192.0.2.25"
    one = client.smtp_get_email_info_by_id(full["id"])
    assert one["recipient"] == "rob@example.net" and one["smtp_answer_code"] == "250"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{base_url}/smtp/emails/total", headers=headers, timeout=10).json() == {"total": 6}

    # unsubscribe: add, search, delete
    assert client.smtp_add_emails_to_unsubscribe([{"email": "gone@example.net", "comment": "asked"}]) == {"result": True}
    search = f"{base_url}/smtp/unsubscribe/search?email=gone@example.net"
    assert requests.get(search, headers=headers, timeout=10).json() == {"result": True}
    refused = client.smtp_send_mail({"html": None, "text": "x", "subject": "x", "from": {"email": "alice@example.com"},
                                     "to": [{"email": "gone@example.net"}]})
    assert refused["data"]["http_code"] == 422  # the SDK's own error wrapper
    assert client.smtp_delete_emails_from_unsubscribe(["gone@example.net"]) == {"result": True}
    assert requests.get(search, headers=headers, timeout=10).json() == {"result": False}

    # senders, IPs, domains
    assert client.add_sender("news@example.com", "News") == {"result": True}
    assert client.get_list_of_senders() == [{"name": "News", "email": "news@example.com", "status": "Active"}]
    assert client.delete_sender("news@example.com") == {"result": True}
    assert client.smtp_get_list_of_ip() == ["192.0.2.25"]
    assert client.smtp_get_list_of_allowed_domains() == ["example.com"]

    # a token the server no longer knows: the SDK fetches a new one and retries, once
    token_file.write_text("stale-token")
    again = sdk(base_url, shown["client_id"], shown["client_secret"], tokens)
    assert again.smtp_get_list_of_ip() == ["192.0.2.25"]
    assert token_file.read_text() not in ("stale-token", token)
