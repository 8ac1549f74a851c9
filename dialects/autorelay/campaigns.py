"""/api/v1/campaigns over the campaign service: `POST /campaigns {name, subject, listId,
content}` makes a draft (`content` is the HTML; optional `text`, `from` as "Name <a@b>" on one
of the user's domains, default no-reply@ the first verified one, `replyTo`); `POST
/campaigns/:id/launch` starts it; `GET /campaigns` and `GET /campaigns/:id` show them with
their stats. `listId` names a list as /contacts does (a new name makes the list). A test key
may make drafts but not launch: a campaign's mail is always delivered."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

import clock
from dialects.autorelay import resource
from dialects.autorelay.emails import Mailbox
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import campaign_status, iso
from edge.errors import Declared, Refusal, declares
from models.vocabulary import DomainStatus
from services import campaigns, contacts, domains
from services.errors import (AccountDisabled, CampaignNotFound, CampaignStateError, DomainNotActive, DomainNotFound,
                             InvalidCampaign, InvalidTemplate)

ERRORS = (Declared(InvalidCampaign, "validation_error", 422), Declared(InvalidTemplate, "validation_error", 422),
          Declared(CampaignNotFound, "not_found", 404, "Campaign not found"),
          Declared(CampaignStateError, "conflict", 409), Declared(AccountDisabled, "account_disabled", 403),
          Declared(DomainNotFound, "domain_not_found", 403), Declared(DomainNotActive, "domain_not_verified", 403))


class CampaignSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    subject = fields.String(required=True, validate=validate.Length(min=1))
    listId = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content = fields.String(required=True, validate=validate.Length(min=1))
    text = fields.String(load_default="")
    sender = Mailbox(data_key="from")
    replyTo = Mailbox()


def view(campaign) -> dict:
    return {"id": str(campaign.id), "name": campaign.name, "status": campaign_status(campaign, clock.now()),
            "subject": campaign.subject, "listId": campaign.list.name if campaign.list_id else None,
            "from": campaign.from_email, "createdAt": iso(campaign.created_at)}


def _default_sender(user) -> str:
    enabled = [d for d in domains.list_for(user) if d.status == DomainStatus.ENABLED]
    if not enabled:
        raise Refusal(("validation_error", "Invalid request: from: required (you have no verified domain "
                                           "to send from)"), status=422)
    return f"no-reply@{enabled[0].name}"


@blueprint.post("/campaigns")
@declares(*ERRORS)
def create_campaign():
    p = resource.load(CampaignSchema, resource.body())
    user = resource.user()
    sender = p.get("sender")
    campaign = campaigns.create(
        user, name=p["name"], list_id=contacts.list_named(user, p["listId"]).id,
        from_email=sender.email if sender else _default_sender(user), from_name=sender.name if sender else "",
        reply_to=p["replyTo"].email if p.get("replyTo") else "", subject=p["subject"], html=p["content"],
        text=p["text"])
    return view(campaign), 201


@blueprint.get("/campaigns")
def list_campaigns():
    return {"campaigns": [view(c) for c in campaigns.list_for(resource.user())]}


@blueprint.get("/campaigns/<ident>")
@declares(*ERRORS)
def get_campaign(ident: str):
    campaign = campaigns.get(ident, resource.user())
    return view(campaign) | {"stats": campaigns.stats(campaign)}


@blueprint.post("/campaigns/<ident>/launch")
@declares(*ERRORS)
def launch_campaign(ident: str):
    campaign = campaigns.get(ident, resource.user())
    if resource.key().test:
        raise Refusal(("test_key", "A test key cannot launch a campaign: its mail would be delivered"), status=403)
    campaign = campaigns.launch(campaign)
    return {"success": True, "status": campaign_status(campaign, clock.now()), "id": str(campaign.id)}
