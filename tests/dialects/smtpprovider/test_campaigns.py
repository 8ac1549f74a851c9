"""Campaigns through the seed's bodies: store, pause and resume, edit, update, and the mail at
the sink; the rules of each call."""
import datetime
import email
from email import policy

import pytest

import clock
from models import Campaign
from services import campaigns
from tests.dialects.smtpprovider import seed


def _received(sink) -> dict:
    return {m.rcpt_tos[0]: email.message_from_bytes(m.data, policy=policy.default) for m in sink.received}


def test_store_pause_update_resume_and_deliver(call, campaign_parts, sink, deliver):
    stored = call("POST", "/api/v1/smtp-campaign-store", seed.CAMPAIGN_STORE)
    assert stored.status_code == 200, stored.json
    campaign = stored.json["data"]["campaign"]
    assert (campaign["campaign_name"], campaign["status"], campaign["mailing_list_id"], campaign["begins_at"]) == (
        "May Newsletter", "scheduled", 789, "2026-05-06 18:00:00")
    assert campaign["all_request"] == {**seed.CAMPAIGN_STORE["all_request"]}  # every detail shown back
    ident = campaign["id"]

    paused = call("POST", "/api/v1/smtp-campaign-pause", {"user_id": 123, "campaign_id": ident})
    assert paused.status_code == 200 and paused.json["data"]["campaign"]["status"] == "paused"
    assert campaigns.run_due() == 0  # a paused campaign queues nothing

    edit = call("GET", "/api/v1/smtp-campaign-edit", {"user_id": 123, "campaign_id": ident}).json["data"]
    assert set(edit) == {"campaign", "senderDetails", "templates", "url_domains", "vmtas", "bounce_email_id", "speed"}
    assert (edit["bounce_email_id"], edit["speed"]) == (1, 1000)
    assert [s["from_email"] for s in edit["senderDetails"]] == ["news@example.com"]
    assert [t["id"] for t in edit["templates"]] == [seed.TEMPLATE_ID]

    # the seed's update body; its campaign_id is the one the store answered
    updated = call("POST", "/api/v1/smtp-campaign-update", {**seed.CAMPAIGN_UPDATE, "campaign_id": ident})
    assert updated.status_code == 200 and updated.json == {"success": True, "data": {"campaigns": "update sucessfully"}}

    resumed = call("POST", "/api/v1/smtp-campaign-pause", {"user_id": 123, "campaign_id": ident})
    assert resumed.json["data"]["campaign"]["status"] == "scheduled"
    assert campaigns.run_due() == 1  # speed 1000 an hour: the first at once ...
    clock.shift(datetime.timedelta(seconds=10))
    assert campaigns.run_due() == 1  # ... the next 3.6 s later
    deliver()
    received = _received(sink)
    assert set(received) == {"ann@example.net", "bob@example.org"}
    ann = received["ann@example.net"]
    assert ann["Subject"] == "Updated Subject" and ann["From"] == "Demo Team <news@example.com>"
    assert ann["Reply-To"] == "support@example.com"
    assert "<h1>Updated HTML</h1>" in ann.get_body(("html",)).get_content()
    index = call("GET", "/api/v1/smtp-campaign-index", seed.USER_QUERY).json["data"]["campaigns"]
    assert [c["campaign_name"] for c in index] == ["May Newsletter Updated"]
    assert index[0]["status"] == "completed" and index[0]["stats"]["delivered"] == 2


def test_without_a_body_the_template_is_sent(call, campaign_parts, sink, deliver):
    body = {**seed.CAMPAIGN_STORE, "all_request": {"from_email": "news@example.com", "speed": 0}}
    campaign = call("POST", "/api/v1/smtp-campaign-store", body).json["data"]["campaign"]
    assert campaign["template_id"] == seed.TEMPLATE_ID
    campaigns.run_due()
    deliver()
    ann = _received(sink)["ann@example.net"]
    assert ann["Subject"] == "Hi" and "<h1>Welcome Ann</h1>" in ann.get_body(("html",)).get_content()


def test_create_form_data(call, campaign_parts):
    data = call("GET", "/api/v1/smtp-campaign-create", seed.USER_QUERY).json["data"]
    assert [m["id"] for m in data["mailing_lists"]] == [seed.MAILING_LIST_ID]
    assert [t["id"] for t in data["templates"]] == [seed.TEMPLATE_ID]
    assert {"welcome"} <= {t["name"] for t in data["default_templates"]}
    assert [s["from_email"] for s in data["senderDetails"]] == ["news@example.com"]
    assert data["vmtas"][0]["id"] == 1 and data["url_domains"][0]["id"] == 1


@pytest.mark.parametrize("change,status,messages", [
    ({"all_request": None}, 422, ["The all request field is required."]),
    ({"all_request": "x"}, 422, ["The all request field must be an array."]),
    ({"all_request": {"subject": "x", "speed": -1}}, 422,
     ["The all request.from email field is required.", "The all request.speed field must be at least 0."]),
    ({"begins_at": "06/05/2026"}, 422, ["The begins at field must match the format Y-m-d H:i:s."]),
    ({"template_id": 9999}, 422, ["The selected template id is invalid."]),
    ({"mailing_list_id": 9999}, 422, ["The selected mailing list id is invalid."]),
    ({"segment": "vip"}, 422, ["The selected segment is invalid."]),
    ({"campaign_name": None}, 422, ["The campaign needs a name"]),
    ({"all_request": {**seed.CAMPAIGN_STORE["all_request"], "from_email": "news@example.net"}}, 422,
     ["news@example.net is not on one of your sender domains"])])
def test_store_rules(call, campaign_parts, change, status, messages):
    answer = call("POST", "/api/v1/smtp-campaign-store", {**seed.CAMPAIGN_STORE, **change})
    assert answer.status_code == status and answer.json == {"success": False, "data": messages}
    assert Campaign.select().count() == 0  # nothing half-made is kept


def test_a_campaign_that_cannot_start_is_not_kept(call, campaign_parts):
    from services import domains

    domains.set_status(domains.by_name(campaign_parts[0].user, "example.com"), "Approval Pending")
    answer = call("POST", "/api/v1/smtp-campaign-store", seed.CAMPAIGN_STORE)
    assert answer.status_code == 422 and answer.json["data"][0].startswith("Domain is not activated")
    assert Campaign.select().count() == 0


def test_state_and_ownership(call, campaign_parts, make_user, deliver):
    ident = call("POST", "/api/v1/smtp-campaign-store", seed.CAMPAIGN_STORE).json["data"]["campaign"]["id"]
    for path in ("/api/v1/smtp-campaign-pause", "/api/v1/smtp-campaign-update"):
        unknown = call("POST", path, {**seed.CAMPAIGN_UPDATE, "campaign_id": ident + 1})
        assert unknown.status_code == 422 and unknown.json["data"] == ["The selected campaign id is invalid."]
    campaigns.cancel(Campaign.get_by_id(ident))
    refused = call("POST", "/api/v1/smtp-campaign-pause", {"user_id": 123, "campaign_id": ident})
    assert refused.status_code == 409 and refused.json["data"] == ["A cancelled campaign cannot be paused"]
    refused = call("POST", "/api/v1/smtp-campaign-update", {**seed.CAMPAIGN_UPDATE, "campaign_id": ident})
    assert refused.status_code == 409 and refused.json["data"] == ["A cancelled campaign cannot be changed"]
