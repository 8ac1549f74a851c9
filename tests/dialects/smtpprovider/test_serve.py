"""Every example body of seed 002 replayed verbatim against a real `gatepost serve` (token
first), each documented response key checked, the mails it sends arriving at the loopback sink,
and a campaign followed from store to delivered with pause and resume (serve's own worker
runs it)."""
from __future__ import annotations

import email
import re
from email import policy

import pytest
import requests

from models import ContactList, SenderDomain, Template
from services import contacts
from tests import processes
from tests.conftest import publish
from tests.dialects.smtpprovider import seed
from tests.dialects.smtpprovider.conftest import SYSTEM_SENDER, renumber

HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.fixture
def server(settings, demo, example_mx, dns_server, tmp_path):
    env = processes.environment(settings, example_mx, dns_server, tmp_path, GATEPOST_SYSTEM_SENDER=SYSTEM_SENDER,
                                GATEPOST_TRACKING_HOST="track.gatepost.test", GATEPOST_SPF_INCLUDE=settings.spf_include)
    with processes.serve(env) as base:
        yield base


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
    renumber(Template, Template.get_by_id(template["id"]), seed.TEMPLATE_ID)  # the id the seed's campaign names
    template["id"] = seed.TEMPLATE_ID
    assert [t["id"] for t in data(get("/api/v1/smtp-template-index", {}), "templates")["templates"]] == [template["id"]]
    assert data(get("/api/v1/smtp-template-default", {}), "default_templates")["default_templates"]
    shown = data(get("/api/v1/smtp-template-show", {"user_id": 123, "template_id": template["id"]}), "templates")
    assert shown["templates"]["name"] == "Welcome Template"
    updated = data(post("/api/v1/smtp-template-update", {"user_id": 123, "template_id": template["id"],
                                                         "name": "Welcome Template v2"}), "template")
    assert updated["template"]["name"] == "Welcome Template v2"

    mailing = data(post("/api/v1/smtp-mailing-add", seed.MAILING_ADD), "mailing")["mailing"]
    mailing_list = renumber(ContactList, ContactList.get_by_id(mailing["id"]), seed.MAILING_LIST_ID)
    mailing["id"] = seed.MAILING_LIST_ID
    for address in ("ann@example.net", "bob@example.org", "cy@example.net"):
        contacts.add(mailing_list, address)
    assert [m["id"] for m in data(get("/api/v1/smtp-mailing-list", {}), "mailing_list")["mailing_list"]] == [mailing["id"]]

    for body in (seed.WELCOME, seed.WELCOME_CUSTOM):
        data(post("/api/v1/smtp-welcome-mail", body), "message")
    welcomes = example_mx.wait_for(3, timeout=20)[1:]
    subjects = sorted(email.message_from_bytes(m.data, policy=policy.default)["Subject"] for m in welcomes)
    assert subjects == ["Welcome to Demo Store", "Welcome to SMTPProvider"]
    assert all(m.rcpt_tos == ["owner@example.com"] for m in welcomes)

    form = data(get("/api/v1/smtp-campaign-create", seed.USER_QUERY), "senderDetails", "templates", "mailing_lists")
    assert [m["id"] for m in form["mailing_lists"]] == [seed.MAILING_LIST_ID]
    campaign = data(post("/api/v1/smtp-campaign-store", seed.CAMPAIGN_STORE), "campaign")["campaign"]
    assert campaign["campaign_name"] == "May Newsletter" and campaign["status"] in ("scheduled", "sending")
    query = {"user_id": 123, "campaign_id": campaign["id"]}
    paused = data(post("/api/v1/smtp-campaign-pause", query), "campaign")["campaign"]
    assert paused["status"] == "paused"
    edit = data(get("/api/v1/smtp-campaign-edit", query), "campaign", "senderDetails", "templates", "url_domains",
                "vmtas", "bounce_email_id", "speed")
    assert edit["speed"] == 1000 and edit["campaign"]["status"] == "paused"
    # the seed's update body, with the campaign id the store answered
    assert data(post("/api/v1/smtp-campaign-update", {**seed.CAMPAIGN_UPDATE, "campaign_id": campaign["id"]}),
                "campaigns")["campaigns"] == "update sucessfully"
    assert data(post("/api/v1/smtp-campaign-pause", query), "campaign")["campaign"]["status"] == "scheduled"
    recipients = {"ann@example.net", "bob@example.org", "cy@example.net"}
    arrived = example_mx.wait_for(3 + 3, timeout=30)[3:]
    assert sorted(r for m in arrived for r in m.rcpt_tos) == sorted(recipients)  # each once, one per 3.6 s
    subjects = {email.message_from_bytes(m.data, policy=policy.default)["Subject"] for m in arrived}
    assert subjects <= {"Hello from SMTPProvider", "Updated Subject"}  # one may have left before the pause
    [done] = data(get("/api/v1/smtp-campaign-index", seed.USER_QUERY), "campaigns")["campaigns"]
    assert done["campaign_name"] == "May Newsletter Updated" and done["stats"]["sent"] == 3
