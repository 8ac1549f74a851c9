"""The dashboard's pages over the Flask client, against the real services: DNS records and
verification on the loopback DNS server, keys that work once shown, messages delivered to the
loopback sink and followed on their timeline, stats, webhooks to a real receiver, suppressions,
content, operators; and tenancy: another user's objects are never shown or touched."""
from __future__ import annotations

import io
import re
import time

import pytest

import config
from models import Campaign, Contact, Credential, DomainAPIKey, SenderDomain, Suppression, Template, Webhook, WebhookDelivery
from models.vocabulary import DomainStatus, EventType
from services import accounts, contacts, domains, webhooks
from tests.conftest import publish
from tests.ui.conftest import Dashboard, post_webhooks


def _domain(dash, name="example.com") -> SenderDomain:
    response = dash.post("/ui/domains", {"name": name})
    assert response.status_code == 302
    return SenderDomain.get(SenderDomain.name == name)


def test_a_domain_shows_its_records_and_verifies_against_dns(dash, dns_server):
    domain = _domain(dash)
    page = dash.text(f"/ui/domains/{domain.id}")
    assert f"_gatepost.{domain.name}" in page and domain.dkim_public_key in page and "not checked" in page
    assert page.count('data-copy="value-') == 6

    dash.post(f"/ui/domains/{domain.id}/verify")
    page = dash.text(f"/ui/domains/{domain.id}")
    assert "NXDOMAIN" in page and "Approval Pending" in page

    publish(dns_server.zone, domain)
    response = dash.post(f"/ui/domains/{domain.id}/verify", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "6 of 6 records verified; status: Enabled" in page
    assert page.count(">Verified<") == 6 and 'id="domain-status">Enabled<' in page


def test_tracking_switches_and_delete(dash):
    domain = _domain(dash)
    dash.post(f"/ui/domains/{domain.id}/tracking", {"open_tracking": "1", "unsubscribe_link": "on"})
    domain = SenderDomain.get_by_id(domain.id)
    assert (domain.link_tracking, domain.open_tracking, domain.unsubscribe_link) == (False, True, True)
    dash.post(f"/ui/domains/{domain.id}/delete")
    assert SenderDomain.get_by_id(domain.id).status == DomainStatus.DELETED
    assert ">example.com<" not in dash.text("/ui/domains")


def test_a_bad_domain_name_comes_back_as_a_message(dash):
    dash.get("/ui/domains")
    response = dash.post("/ui/domains", {"name": "not a domain"}, headers={"Referer": "http://localhost/ui/domains"},
                         follow_redirects=True)
    assert response.status_code == 200 and "Invalid domain name" in response.get_data(as_text=True)


def test_an_api_key_is_shown_once_and_works(dash, sender, send):
    response = dash.post(f"/ui/domains/{sender.domain.id}/keys", {"description": "shop"})
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    key = re.search(r'class="secret-value">([^<]+)<', page).group(1)
    assert "only time it is shown" in page
    assert send(key=key).status_code == 200
    listing = dash.text(f"/ui/domains/{sender.domain.id}/keys")
    assert "shop" in listing and key not in listing and sender.key not in listing
    row = DomainAPIKey.get(DomainAPIKey.description == "shop")
    dash.post(f"/ui/keys/{row.id}/revoke")
    assert not DomainAPIKey.select().where(DomainAPIKey.id == row.id).exists()


def test_an_smtp_password_is_shown_once(dash, sender):
    page = dash.post(f"/ui/domains/{sender.domain.id}/smtp", {"from_email": "app@example.com"}).get_data(as_text=True)
    username, password = re.findall(r'class="secret-value">([^<]+)<', page)
    assert username.endswith("@example.com")
    listing = dash.text(f"/ui/domains/{sender.domain.id}/keys")
    assert username in listing and password not in listing


def test_other_dialects_credentials(dash, sender):
    page = dash.post("/ui/credentials", {"kind": "autorelay", "name": "ci", "test": "1"}).get_data(as_text=True)
    secret = re.search(r'class="secret-value">(sk_test_[^<]+)<', page).group(1)
    listing = dash.text("/ui/credentials")
    assert "autorelay" in listing and secret not in listing
    revoked = dash.post(f"/ui/credentials/{Credential.get().id}/revoke", follow_redirects=True)
    assert "Credential revoked." in revoked.get_data(as_text=True) and Credential.get().revoked_at is not None
    unknown = dash.post("/ui/credentials", {"kind": "nosuch"}, headers={"Referer": "http://localhost/ui/credentials"},
                        follow_redirects=True)
    assert "Unknown credential kind" in unknown.get_data(as_text=True) and Credential.select().count() == 1


def test_messages_search_timeline_and_queue(dash, send, deliver):
    ident = send(Subject="Invoice 42", Tags=["billing"]).json["MessageID"]
    send(Subject="Other", To=[{"email": "ann@example.org"}])
    assert ident[:8] in dash.text("/ui/queue")

    assert "Invoice 42" in dash.text("/ui/messages?recipient=rob@example.net")
    assert "Invoice 42" not in dash.text("/ui/messages?recipient=ann@")
    assert "Invoice 42" in dash.text("/ui/messages?tag=billing") and "Other" not in dash.text("/ui/messages?tag=billing")
    assert "Invoice 42" in dash.text(f"/ui/messages?message_id={ident}")
    assert "Invoice 42" in dash.text("/ui/messages?subject=" + "invoice 42")
    assert "2 events" in dash.text("/ui/messages?status=accepted")
    bad = dash.text("/ui/messages?start=yesterday")
    assert "not a date" in bad

    deliver()
    page = dash.text(f"/ui/messages/{ident}")
    assert "delivered" in page and "250" in page and "mx.example.net" in page
    assert page.index("accepted") < page.index("<strong>delivered")
    assert ident[:8] not in dash.text("/ui/queue")


def test_stats_chart_counts_the_mail(dash, send, deliver):
    send(Tags=["welcome"])
    send(To=[{"email": "bounce@example.net"}])
    deliver()
    page = dash.text("/ui/stats")
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and "Sent: 2 in total" in svg and "Delivered: 1 in total" in svg and "Bounced: 1" in svg
    assert 'data-series="Sent"' in svg
    assert ">welcome<" in page
    reasons = page[page.index("Bounces by reason"):]
    assert "userunknown" in reasons or "unclassified" in reasons
    assert "last 30 days" in dash.text("/ui/stats?days=30")
    assert dash.get("/ui/stats?days=12").status_code == 400


def test_webhook_deliveries_with_their_response_resend_and_enable(dash, sender, send, deliver, receiver):
    response = dash.post(f"/ui/domains/{sender.domain.id}/webhooks",
                         {"url": f"{receiver.url}/hook", "events": ["delivered"], "format": "octeth"})
    hook = Webhook.get()
    assert response.headers["Location"].endswith(f"/ui/webhooks/{hook.id}")
    receiver.answers = [500]
    send()
    deliver()
    assert post_webhooks() == 1
    page = dash.text(f"/ui/webhooks/{hook.id}")
    assert ">500<" in page and "nope" in page

    delivery = WebhookDelivery.get()
    WebhookDelivery.update(status="failed").where(WebhookDelivery.id == delivery.id).execute()  # as after its last retry
    dash.post(f"/ui/webhooks/{hook.id}/deliveries/{delivery.id}/resend")
    assert WebhookDelivery.get_by_id(delivery.id).status == "pending"
    assert post_webhooks() == 1 and len(receiver.received) == 2
    assert WebhookDelivery.get_by_id(delivery.id).status == "delivered"
    assert ">200<" in dash.text(f"/ui/webhooks/{hook.id}")

    Webhook.update(status="Suspended", status_reason="20 failures in a row").execute()
    assert "20 failures in a row" in dash.text(f"/ui/domains/{sender.domain.id}/webhooks")
    dash.post(f"/ui/webhooks/{hook.id}/enable")
    assert Webhook.get_by_id(hook.id).status == "Enabled"
    bad = dash.post(f"/ui/domains/{sender.domain.id}/webhooks", {"url": "http://x", "events": ["nope"]})
    assert bad.status_code == 302 and Webhook.select().count() == 1


def test_suppressions_search_add_remove(dash, alice):
    dash.post("/ui/suppressions", {"email": "Gone@Example.net", "detail": "asked by phone"})
    dash.post("/ui/suppressions", {"email": "other@example.org"})
    dash.get("/ui/suppressions")  # shows (and so clears) the messages of the two additions
    page = dash.text("/ui/suppressions?q=gone")
    assert "gone@example.net" in page and "asked by phone" in page and "manual" in page and "other@" not in page
    dash.post("/ui/suppressions/remove", {"email": "gone@example.net"})
    assert [s.email for s in Suppression.select()] == ["other@example.org"]
    refused = dash.post("/ui/suppressions", {"email": "not an address"}, follow_redirects=True)
    assert refused.status_code == 200 and Suppression.select().count() == 1


def test_templates_with_a_rendered_preview_and_versions(dash):
    dash.post("/ui/templates", {"name": "Welcome", "subject": "Hi {{ name }}", "html": "<p>Hello {{ name }}</p>"})
    template = Template.get(Template.name == "Welcome")
    preview = dash.get(f'/ui/templates/{template.id}/preview?vars={{"name": "<Ada>"}}')
    assert preview.get_data(as_text=True) == "<p>Hello &lt;Ada&gt;</p>"
    assert preview.headers["Content-Security-Policy"].startswith("sandbox")
    dash.post(f"/ui/templates/{template.id}", {"name": "Welcome", "subject": "Hello {{ name }}", "html": "<p>v2</p>"})
    page = dash.text(f"/ui/templates/{template.id}")
    assert "version 2" in page and "v1 — Hi {{ name }}" in page
    broken = dash.post("/ui/templates", {"name": "Broken", "html": "{% if %}"}, follow_redirects=True)
    assert broken.status_code == 200 and not Template.select().where(Template.name == "Broken").exists()
    assert dash.get(f"/ui/templates/{template.id}/preview?vars=[1]").status_code == 400


def test_lists_contacts_and_a_csv_import_with_progress(dash):
    dash.post("/ui/lists", {"name": "News"})
    news = contacts.lists_of(dash_user(dash))[0]
    dash.post(f"/ui/lists/{news.id}/contacts", {"email": "ann@example.org", "name": "Ann"})
    csv = b"email,name,plan\nbob@example.org,Bob,pro\nnot-an-address,X,free\nann@example.org,Ann B,basic\n"
    response = dash.post(f"/ui/lists/{news.id}/import", {"file": (io.BytesIO(csv), "people.csv")},
                         content_type="multipart/form-data")
    progress = response.headers["Location"]
    job = {}
    for _ in range(600):  # a bounded wait for the import thread, not a timing assertion
        job = dash.get(progress + ".json").json
        if job["done"]:
            break
        time.sleep(0.05)
    assert job["done"] and (job["added"], job["updated"], job["invalid"]) == (1, 1, 1) and job["read"] == job["total"]
    page = dash.text(progress)
    assert "Finished." in page and "line 3" in page
    listing = dash.text(f"/ui/lists/{news.id}")
    assert "bob@example.org" in listing and "Ann B" in listing and "pro" in listing
    dash.post(f"/ui/lists/{news.id}/contacts/remove", {"email": "bob@example.org"})
    assert Contact.select().count() == 1


def dash_user(dash):
    with dash.client.session_transaction() as session:
        return accounts.user_by_session(session["sid"])


def test_a_campaign_is_created_launched_paused_and_resumed(dash, sender):
    news = contacts.create_list(sender.account.user, "News")
    contacts.add(news, "ann@example.org", "Ann")
    response = dash.post("/ui/campaigns", {"name": "Spring", "list": str(news.id), "from_email": "news@example.com",
                                           "subject": "Hello {{ name }}", "html": "<p>Hi</p>", "speed": "0"})
    campaign = Campaign.get()
    assert response.headers["Location"].endswith(f"/ui/campaigns/{campaign.id}")
    assert "draft" in dash.text(f"/ui/campaigns/{campaign.id}")
    dash.post(f"/ui/campaigns/{campaign.id}/launch")
    assert Campaign.get_by_id(campaign.id).status == "scheduled"
    dash.post(f"/ui/campaigns/{campaign.id}/pause")
    progress = dash.get(f"/ui/campaigns/{campaign.id}/progress.json").json
    assert progress["status"] == "paused" and progress["recipients"] == 1
    refused = dash.post(f"/ui/campaigns/{campaign.id}/launch", follow_redirects=True)
    assert "cannot be launched" in refused.get_data(as_text=True)
    dash.post(f"/ui/campaigns/{campaign.id}/resume")
    assert Campaign.get_by_id(campaign.id).status == "scheduled"
    assert dash.post(f"/ui/campaigns/{campaign.id}/explode").status_code == 404
    bad = dash.post("/ui/campaigns", {"name": "X", "list": str(news.id), "from_email": "a@elsewhere.example"})
    assert bad.status_code == 302 and Campaign.select().count() == 1


def test_operators_see_users_and_approve_domains(dash, app, make_user):
    assert dash.get("/ui/operator").status_code == 404
    assert "Operator" not in dash.text("/ui/domains").split("<main")[0]
    admins = accounts.create_group("Admins", permissions="*")
    root = make_user("root@example.com", group=admins)
    manual = accounts.create_group("Manual", manual_domain_approval=True)
    carol = make_user("carol@example.com", group=manual)
    waiting = domains.add(carol.user, "carol.example")
    domains.set_status(waiting, DomainStatus.BLOCKED, "DNS verified; awaiting operator approval")

    board = Dashboard(app.test_client()).enter_as(root.user)
    page = board.text("/ui/operator")
    assert "carol.example" in page and "alice@example.com" in page and "Manual" in page
    assert dash.post(f"/ui/operator/domains/{waiting.id}/approve").status_code == 404  # alice is no operator
    board.post(f"/ui/operator/domains/{waiting.id}/approve")
    assert SenderDomain.get_by_id(waiting.id).status == DomainStatus.ENABLED
    again = board.post(f"/ui/operator/domains/{waiting.id}/approve", follow_redirects=True)
    assert "only Blocked, Approval Pending can be approved" in again.get_data(as_text=True)
    board.post("/ui/operator/users/status", {"email": "carol@example.com", "status": "Disabled"})
    assert accounts.find_user("carol@example.com").status == "Disabled"
    board.post("/ui/operator/users/status", {"email": "root@example.com", "status": "Disabled"})
    assert accounts.find_user("root@example.com").status == "Enabled"


def test_another_users_objects_are_never_shown_or_touched(dash, bob_dash, sender, send, deliver):
    ident = send(Subject="Private").json["MessageID"]
    deliver()
    key = DomainAPIKey.get()
    hook = webhooks_add(sender)
    news = contacts.create_list(sender.account.user, "Secret list")
    template = Template.create(user=sender.account.user, name="Mine", subject="s", html="h")
    for path in (f"/ui/domains/{sender.domain.id}", f"/ui/domains/{sender.domain.id}/keys", f"/ui/messages/{ident}",
                 f"/ui/webhooks/{hook.id}", f"/ui/lists/{news.id}", f"/ui/templates/{template.id}",
                 f"/ui/templates/{template.id}/preview", f"/ui/stats?domain={sender.domain.id}"):
        assert bob_dash.get(path).status_code == 404, path
    for path in (f"/ui/keys/{key.id}/revoke", f"/ui/domains/{sender.domain.id}/delete", f"/ui/webhooks/{hook.id}/delete",
                 f"/ui/lists/{news.id}/delete", f"/ui/templates/{template.id}/delete"):
        assert bob_dash.post(path).status_code == 404, path
    assert "Private" not in bob_dash.text("/ui/messages") and "Private" not in bob_dash.text("/ui/queue")
    assert ">example.com<" not in bob_dash.text("/ui/domains")
    assert DomainAPIKey.select().count() == 1 and SenderDomain.get_by_id(sender.domain.id).status == DomainStatus.ENABLED
    assert "Private" in dash.text("/ui/messages")


def webhooks_add(sender):
    config.use(config.current().replace(webhook_allow_private=True))
    return webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], "http://127.0.0.1:9/hook")


def test_what_users_wrote_is_shown_as_text_and_no_domain_secret_is_shown(dash, sender, send):
    send(Subject="<script>alert(1)</script>", Tags=["<b>tag</b>"])
    page = dash.text("/ui/messages")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>tag</b>" not in dash.text("/ui/stats")
    shown = dash.text(f"/ui/domains/{sender.domain.id}") + dash.text(f"/ui/domains/{sender.domain.id}/keys")
    for secret in (domains.signing_key(sender.domain), sender.key):
        assert secret not in shown
    assert "PRIVATE KEY" not in shown
