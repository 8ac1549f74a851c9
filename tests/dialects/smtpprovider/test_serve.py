"""Every example body of seed 002 replayed verbatim against a real `gatepost serve` (token
first), each documented response key checked, the mails it sends arriving at the loopback sink."""
from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
import requests

from models import SenderDomain
from tests.conftest import free_port, publish
from tests.dialects.smtpprovider import seed
from tests.dialects.smtpprovider.conftest import SYSTEM_SENDER

GATEPOST = [sys.executable, "-c", "import cli; cli.main()"]
ROOT = Path(__file__).resolve().parents[3]
HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.fixture
def server(settings, demo, example_mx, dns_server, tmp_path):
    env = dict(os.environ, GATEPOST_DATABASE_URL=settings.database_url, GATEPOST_SECRET_KEY=settings.secret_key,
               GATEPOST_VAR_DIR=str(tmp_path), GATEPOST_DNS_SERVERS=dns_server.address,
               GATEPOST_MX_PORT=str(example_mx.port), GATEPOST_MAIL_HOST=settings.mail_host,
               GATEPOST_TRACKING_HOST="track.gatepost.test", GATEPOST_SPF_INCLUDE=settings.spf_include,
               GATEPOST_SYSTEM_SENDER=SYSTEM_SENDER, PYTHONUNBUFFERED="1",
               GATEPOST_SMTP_PORTS=str(free_port()), GATEPOST_SMTP_TLS_PORT=str(free_port()),
               GATEPOST_INBOUND_PORT=str(free_port()))
    process = subprocess.Popen(GATEPOST + ["serve", "--port", "0"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        for line in process.stdout:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = found[1]
                break
        assert port, "serve did not say where it listens"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def test_the_seed_replayed_against_gatepost_serve(server, example_mx, dns_server):
    session = requests.Session()
    session.headers.update(HEADERS)

    def post(path, body):
        return session.post(server + path, json=body, timeout=10)

    def get(path, query):
        return session.get(server + path, params=query, timeout=10)

    def data(response, *keys):
        assert response.status_code == 200, response.text
        assert response.json()["success"] is True
        assert set(keys) <= set(response.json()["data"]), response.json()
        return response.json()["data"]

    token = post("/api/smtp-token-generate", seed.TOKEN).json()
    assert token["status"] is True and token["message"] == "Token Created Successfully"
    assert token["user"] == {"id": seed.USER_ID, "name": seed.NAME, "email": seed.EMAIL}
    session.headers["Authorization"] = f"Bearer {token['token']}"

    domain = data(post("/api/v1/smtp-domain-add", seed.DOMAIN_ADD), "success", "domain")["domain"]
    assert set(domain) >= {"id", "domain_name", "host", "selector", "public_key"}
    assert domain["public_key"].startswith("v=DKIM1;") and domain["host"].endswith("._domainkey.example.com")
    assert [d["domain_name"] for d in data(get("/api/v1/smtp-domain-list", seed.USER_QUERY), "domains")["domains"]] \
        == ["example.com"]
    data(get("/api/v1/smtp-domain-view", seed.DOMAIN_QUERY), "domain", "dns_records")
    publish(dns_server.zone, SenderDomain.get_by_id(domain["id"]))
    assert data(get("/api/v1/smtp-domain-verify", seed.DOMAIN_QUERY), "success", "message")["message"] \
        == "Verified Successfully"

    assert data(get("/api/v1/smtp-sender-list", seed.USER_QUERY), "sender_lists")["sender_lists"] == []
    sender = data(post("/api/v1/smtp-domain-sender-add", seed.SENDER_ADD), "sender")["sender"]
    assert sender["from_email"] == "news@example.com"
    data(post("/api/v1/smtp-domain-sender-verify", {"user_id": 123, "from_email": "news@example.com"}), "message")
    [mail] = example_mx.wait_for(1, timeout=20)
    body = email.message_from_bytes(mail.data, policy=policy.default).get_body(("plain",)).get_content()
    path = re.search(r"https://track\.gatepost\.test(/\S+)", body)[1]
    assert requests.get(server + path, timeout=10).status_code == 200
    assert data(get("/api/v1/smtp-sender-list", seed.USER_QUERY), "sender_lists")["sender_lists"][0]["verified"]

    template = data(post("/api/v1/smtp-template-add", seed.TEMPLATE_ADD), "template")["template"]
    assert [t["id"] for t in data(get("/api/v1/smtp-template-index", {}), "templates")["templates"]] == [template["id"]]
    assert data(get("/api/v1/smtp-template-default", {}), "default_templates")["default_templates"]
    shown = data(get("/api/v1/smtp-template-show", {"user_id": 123, "template_id": template["id"]}), "templates")
    assert shown["templates"]["name"] == "Welcome Template"
    updated = data(post("/api/v1/smtp-template-update", {"user_id": 123, "template_id": template["id"],
                                                         "name": "Welcome Template v2"}), "template")
    assert updated["template"]["name"] == "Welcome Template v2"

    mailing = data(post("/api/v1/smtp-mailing-add", seed.MAILING_ADD), "mailing")["mailing"]
    assert [m["id"] for m in data(get("/api/v1/smtp-mailing-list", {}), "mailing_list")["mailing_list"]] == [mailing["id"]]

    for body in (seed.WELCOME, seed.WELCOME_CUSTOM):
        data(post("/api/v1/smtp-welcome-mail", body), "message")
    welcomes = example_mx.wait_for(3, timeout=20)[1:]
    subjects = sorted(email.message_from_bytes(m.data, policy=policy.default)["Subject"] for m in welcomes)
    assert subjects == ["Welcome to Demo Store", "Welcome to SMTPProvider"]
    assert all(m.rcpt_tos == ["owner@example.com"] for m in welcomes)
