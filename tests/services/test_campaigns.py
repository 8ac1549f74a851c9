"""Campaigns: their rules, a run into the loopback sink (personalised, one-click unsubscribe,
skipping who may not be mailed at that moment), pause and resume, pace, and stats."""
import datetime
import email
import re
from email import policy
from urllib.parse import urlsplit

import pytest

import clock
from models import Campaign, Message
from services import campaigns, contacts, engagement, suppressions, templates
from services.errors import (CampaignNotFound, CampaignStateError, ContactListNotFound, DomainNotFound, InvalidCampaign,
                             InvalidTemplate, TemplateNotFound)


@pytest.fixture
def news(sender):
    return contacts.create_list(sender.account.user, "News")


def _campaign(sender, news, **overrides):
    fields = dict(name="Spring", list_id=news.id, from_email="news@example.com", from_name="Example News",
                  subject="Hello {{ name | default('friend', true) }}", html="<p>Hi {{ name }}, your plan: {{ plan }}</p>",
                  text="Hi {{ name }}, your plan: {{ plan }}")
    fields.update(overrides)
    return campaigns.create(sender.account.user, **fields)


def _run_all() -> int:
    """Runner passes until one queues nothing (a pass stops at its time budget on a busy machine)."""
    total = 0
    while queued := campaigns.run_due():
        total += queued
    return total


def _received(sink) -> dict[str, email.message.EmailMessage]:
    return {m.rcpt_tos[0]: email.message_from_bytes(m.data, policy=policy.default) for m in sink.received}


def test_a_campaign_is_checked_when_it_is_made(sender, news, bob):
    with pytest.raises(DomainNotFound):
        _campaign(sender, news, from_email="news@elsewhere.example")
    with pytest.raises(InvalidCampaign):
        _campaign(sender, news, from_email="not an address")
    with pytest.raises(InvalidTemplate) as broken:
        _campaign(sender, news, html="<p>{% if %}</p>")
    assert broken.value.part == "html" and broken.value.line == 1
    with pytest.raises(InvalidCampaign):
        _campaign(sender, news, speed=-5)
    with pytest.raises(InvalidCampaign):
        _campaign(sender, news, name="  ")
    with pytest.raises(ContactListNotFound):
        _campaign(sender, contacts.create_list(bob.user, "Bob's"))
    with pytest.raises(TemplateNotFound):
        _campaign(sender, news, template=templates.create(bob.user, "Bob's", subject="x", html="y").id)
    made = _campaign(sender, news, speed=120, tags=["spring"])
    assert campaigns.get(made.id, sender.account.user).name == "Spring"
    assert campaigns.get(str(made.uuid), sender.account.user).id == made.id
    for ident in (made.id, "nope", 10**9):
        with pytest.raises(CampaignNotFound):
            campaigns.get(ident, bob.user)
    view = campaigns.view(made)
    assert (view["status"], view["speed"], view["tags"], view["stats"]["recipients"]) == ("draft", 120, ["spring"], 0)


def test_a_campaign_runs_to_the_sink_personalised_with_one_click_unsubscribe(sender, news, sink, deliver):
    contacts.add(news, "ann@example.net", name="Ann", fields={"plan": "pro"})
    contacts.add(news, "bo@example.net", fields={"plan": "free"})
    contacts.add(news, "gone@example.net", status="unsubscribed")
    contacts.add(news, "blocked@example.net")
    contacts.add(news, "evil@example.net", name="Eve\r\nBcc: x@example.org")  # refused: header injection
    campaign = campaigns.launch(_campaign(sender, news, tags=["spring"]))
    assert campaign.status == "scheduled"
    suppressions.add(sender.account.user, "blocked@example.net", "manual")  # after launch: decided at that moment

    assert campaigns.run_due() == 2
    deliver()
    received = _received(sink)
    assert set(received) == {"ann@example.net", "bo@example.net"}
    ann = received["ann@example.net"]
    assert ann["Subject"] == "Hello Ann" and str(ann["From"]) == "Example News <news@example.com>"
    assert "your plan: pro" in ann.get_body(("plain",)).get_content()
    assert received["bo@example.net"]["Subject"] == "Hello friend"
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ann["DKIM-Signature"] is not None

    assert campaigns.run_due() == 0
    campaign = campaigns.get(campaign.id, sender.account.user)
    assert campaign.status == "completed" and campaign.completed_at is not None
    assert (campaign.queued, campaign.skipped) == (2, 3)
    assert {m.campaign_id for m in Message.select()} == {campaign.id}

    https, _ = re.findall(r"<([^>]+)>", ann["List-Unsubscribe"])
    engagement.unsubscribed(urlsplit(https).path.rsplit("/", 1)[1], how="one-click")
    assert contacts.get(news, "ann@example.net").status == "unsubscribed"
    stats = campaigns.stats(campaign)
    assert {k: stats[k] for k in ("recipients", "queued", "skipped", "sent", "delivered", "unsubscribed", "bounced")} \
        == {"recipients": 5, "queued": 2, "skipped": 3, "sent": 2, "delivered": 2, "unsubscribed": 1, "bounced": 0}


def test_a_template_campaign_keeps_the_content_it_launched_with(sender, news, sink, deliver):
    template = templates.create(sender.account.user, "Promo", subject="Promo for {{ name }}", html="<p>v1</p>")
    contacts.add(news, "ann@example.net", name="Ann")
    campaign = campaigns.launch(_campaign(sender, news, template=template.id, subject="", html="", text=""))
    templates.update(template, sender.account.user, html="<p>v2</p>")
    campaigns.run_due()
    deliver()
    message = _received(sink)["ann@example.net"]
    assert message["Subject"] == "Promo for Ann" and "v1" in message.get_body(("html",)).get_content()
    assert campaigns.view(campaign)["template_id"] == template.id


def test_pause_stops_the_next_batch_and_resume_goes_on_where_it_stopped(sender, news, monkeypatch):
    monkeypatch.setattr(campaigns, "BATCH", 10)
    for i in range(25):
        contacts.add(news, f"r{i:02}@example.net")
    campaign = campaigns.launch(_campaign(sender, news))
    campaigns.run_due(budget=0)  # starts it: the first batch only
    assert Message.select().count() == 10
    campaigns.pause(campaign)
    assert campaigns.run_due() == 0 and Message.select().count() == 10
    with pytest.raises(CampaignStateError):
        campaigns.launch(campaign)
    campaigns.update(campaign, subject="Second half")
    campaigns.resume(campaign)
    assert _run_all() == 15
    recipients = [m.deliveries[0].recipient for m in Message.select().order_by(Message.id)]
    assert recipients == [f"r{i:02}@example.net" for i in range(25)]  # each once, in order
    assert {m.subject for m in Message.select().order_by(Message.id).offset(10)} == {"Second half"}
    assert campaigns.get(campaign.id, sender.account.user).status == "completed"
    with pytest.raises(CampaignStateError):
        campaigns.pause(campaign)


def test_the_pace_is_messages_per_hour_and_a_pause_earns_no_burst(sender, news):
    for i in range(30):
        contacts.add(news, f"r{i:02}@example.net")
    campaign = campaigns.launch(_campaign(sender, news, speed=36))  # one every 100 s
    try:
        assert campaigns.run_due() == 1
        assert campaigns.run_due() == 0
        clock.shift(seconds=300)
        assert campaigns.run_due() == 3
        campaigns.pause(campaign)
        clock.shift(minutes=10)
        campaigns.resume(campaign)
        assert campaigns.run_due() == 1  # not the 6 the paused minutes would have allowed
    finally:
        clock.shift(None)


def test_a_scheduled_campaign_waits_for_its_time_and_cancel_stops_it(sender, news):
    contacts.add(news, "ann@example.net")
    campaign = campaigns.launch(_campaign(sender, news),
                                begins_at=clock.now() + datetime.timedelta(hours=1))
    assert campaigns.run_due() == 0 and campaigns.get(campaign.id, sender.account.user).status == "scheduled"
    campaigns.cancel(campaign)
    try:
        clock.shift(hours=2)
        assert campaigns.run_due() == 0 and Message.select().count() == 0
    finally:
        clock.shift(None)
    campaigns.delete(campaign)
    assert not Campaign.select().exists()


def test_a_campaign_pauses_itself_at_the_sending_limit(sender, news):
    group = sender.account.user.group
    group.send_limit_per_day = 3
    group.save()
    for i in range(5):
        contacts.add(news, f"r{i}@example.net")
    campaign = campaigns.launch(_campaign(sender, news))
    assert campaigns.run_due() == 3
    campaign = campaigns.get(campaign.id, sender.account.user)
    assert campaign.status == "paused" and "daily limit of 3" in campaign.last_error


def test_launch_needs_a_list_and_content(sender, news):
    with pytest.raises(InvalidCampaign):
        campaigns.launch(_campaign(sender, news, subject=""))
    empty = _campaign(sender, news)
    contacts.delete_list(news)
    with pytest.raises(InvalidCampaign):
        campaigns.launch(campaigns.get(empty.id, sender.account.user))


def test_campaign_mail_events_carry_the_campaign(sender, news, sink, deliver, client):
    contacts.add(news, "ann@example.net")
    campaign = campaigns.launch(_campaign(sender, news))
    campaigns.run_due()
    deliver()
    send = client.post("/api/v1/email", headers={"Authorization": f"Bearer {sender.key}"},
                       json={"Subject": "One", "ContentType": "plain", "PlainContent": "x",
                             "From": {"name": "A", "email": "alice@example.com"}, "To": [{"email": "bo@example.net"}]})
    rows = client.get("/api/v1/events", headers={"Authorization": f"Bearer {sender.key}"}).json["Events"]
    by_message = {(r["MessageId"], r["EventType"]): r["CampaignId"] for r in rows}
    ann = Message.get(Message.campaign == campaign).uuid
    assert by_message[(ann, "send")] == by_message[(ann, "delivery")] == campaign.id
    assert by_message[(send.json["MessageID"], "send")] is None
