"""Campaigns over services.campaigns: index, create (what a campaign form needs), store (made
and scheduled for `begins_at`, "Y-m-d H:i:s" UTC; a past or missing one starts at once), pause
(a toggle: pauses a scheduled or sending campaign, resumes a paused one), edit and update.

`all_request` carries the content and delivery details. Its `html_body` / `text_body` are what
is sent when given; without them the template's are (copied when the campaign starts).
`speed` is messages per hour (0: as fast as the queue takes them). `vmta_id`,
`bounce_email_id`, `url_domain_id` and `sender_email` are recorded and shown back
(services.campaign_routing): there is one sending pool (`vmtas`, `url_domains` list it)."""
from __future__ import annotations

import config
from dialects.smtpprovider.mailing import mailing_view
from dialects.smtpprovider.resource import AnyUser, ForUser, blueprint, invalid, ok, read, stamp
from dialects.smtpprovider.rules import TIMESTAMP, Email, Object, Rules, Text, Timestamp, Whole
from dialects.smtpprovider.senders import sender_view
from dialects.smtpprovider.templates import MAX_BODY, template_view
from edge.errors import Declared, Refusal, declares
from models.vocabulary import CampaignStatus
from services import campaign_routing, campaigns, contacts, senders, templates
from services.errors import (AccountDisabled, CampaignNotFound, CampaignStateError, ContactListNotFound, DomainNotActive,
                             DomainNotFound, GatewayError, HeaderRejected, InvalidCampaign, InvalidTemplate,
                             TemplateNotFound)

SEGMENTS = ("all",)
POOL = 1  # the id of the one sending pool, link domain and bounce mailbox
UPDATED = "update sucessfully"  # sic: the seed's words


class AllRequest(Rules):
    from_email = Email(required=True)
    subject = Text(max_length=2000)
    html_body = Text(max_length=MAX_BODY)
    text_body = Text(max_length=MAX_BODY)
    from_name = Text()
    reply_email = Email()
    sender_email = Email()
    speed = Whole(minimum=0)
    vmta_id = Whole()
    bounce_email_id = Whole()
    url_domain_id = Whole()


class One(ForUser):
    campaign_id = Whole(required=True)


class Store(ForUser):
    template_id = Whole(required=True)
    mailing_list_id = Whole()
    campaign_name = Text()
    begins_at = Timestamp()
    segment = Text()
    all_request = Object(AllRequest, required=True)


class Update(One):
    template_id = Whole()
    mailing_list_id = Whole()
    campaign_name = Text()
    begins_at = Timestamp()
    all_request = Object(AllRequest, required=True)


CONTENT_ERRORS = (invalid("template_id", TemplateNotFound), invalid("mailing_list_id", ContactListNotFound),
                  Declared(DomainNotFound, "from_email", 422), Declared(InvalidCampaign, "campaign", 422),
                  Declared(InvalidTemplate, "html_body", 422), Declared(HeaderRejected, "from_name", 422),
                  Declared(DomainNotActive, "from_email", 422), Declared(AccountDisabled, "user_id", 403))
STATE_ERRORS = (invalid("campaign_id", CampaignNotFound), Declared(CampaignStateError, "campaign_id", 409))


def campaign_view(campaign) -> dict:
    plain = campaigns.view(campaign)
    routing = campaign_routing.of(campaign)
    return {"id": plain["id"], "user_id": campaign.user_id, "campaign_name": plain["name"], "status": plain["status"],
            "template_id": plain["template_id"], "mailing_list_id": plain["list_id"], "segment": plain["segment"],
            "begins_at": plain["begins_at"].strftime(TIMESTAMP) if plain["begins_at"] else None,
            "all_request": {"subject": plain["subject"], "html_body": campaign.html, "text_body": campaign.text,
                            "from_email": plain["from_email"], "from_name": plain["from_name"],
                            "reply_email": plain["reply_to"] or None, "sender_email": routing["sender_email"],
                            "speed": plain["speed"], "vmta_id": routing["vmta_id"],
                            "bounce_email_id": routing["bounce_email_id"], "url_domain_id": routing["url_domain_id"]},
            "stats": plain["stats"], "last_error": plain["last_error"], "created_at": stamp(plain["created_at"]),
            "updated_at": stamp(plain["updated_at"]), "completed_at": stamp(plain["completed_at"])}


def _pool() -> dict:
    settings = config.current()
    return {"vmtas": [{"id": POOL, "name": "default", "host": settings.mail_host}],
            "url_domains": [{"id": POOL, "url_domain": settings.tracking_host}]}


def _content(user, values: dict) -> dict:
    """The core's keywords for what `all_request` (and the template id) say."""
    request = values["all_request"]
    own_body = request["html_body"] is not None or request["text_body"] is not None
    changes = {"from_email": request["from_email"], "from_name": request["from_name"] or "",
               "reply_to": request["reply_email"] or "", "speed": request["speed"] or 0}
    if values.get("template_id") is not None:
        template = templates.get(values["template_id"], user)  # exists, whichever body is sent
        if not own_body:
            changes["template"] = template
    if own_body:
        changes.update(html=request["html_body"] or "", text=request["text_body"] or "")
    if request["subject"] is not None:
        changes["subject"] = request["subject"]
    return changes


def _record(campaign, request: dict) -> None:
    campaign_routing.record(campaign, **{name: request[name] for name in campaign_routing.FIELDS})


@blueprint.get("/v1/smtp-campaign-index")
def index_campaigns():
    user, _ = read(AnyUser)
    return ok(campaigns=[campaign_view(c) for c in campaigns.list_for(user)])


@blueprint.get("/v1/smtp-campaign-create")
def campaign_form():
    user, _ = read(AnyUser)
    return ok(senderDetails=[sender_view(s) for s in senders.list_for(user)],
              templates=[template_view(t) for t in templates.list_own(user, active_only=True)],
              default_templates=[template_view(t) for t in templates.list_system()],
              mailing_lists=[mailing_view(m) for m in contacts.lists_of(user)], **_pool(),
              bounce_email_id=POOL, speed=0)


@blueprint.post("/v1/smtp-campaign-store")
@declares(*CONTENT_ERRORS)
def store_campaign():
    user, values = read(Store)
    if values["segment"] is not None and values["segment"] not in SEGMENTS:
        raise Refusal(("segment", "The selected segment is invalid."))
    changes = _content(user, values)
    campaign = campaigns.create(user, name=values["campaign_name"] or "", list_id=values["mailing_list_id"],
                                begins_at=values["begins_at"], **changes)
    try:
        campaign = campaigns.launch(campaign, values["begins_at"])
    except GatewayError:
        campaigns.delete(campaign)  # a campaign that cannot start is not kept half-made
        raise
    _record(campaign, values["all_request"])
    return ok(campaign=campaign_view(campaign))


@blueprint.post("/v1/smtp-campaign-pause")
@declares(*STATE_ERRORS, Declared(DomainNotActive, "campaign_id", 422), Declared(AccountDisabled, "user_id", 403))
def pause_campaign():
    user, values = read(One)
    campaign = campaigns.get(values["campaign_id"], user)
    if campaign.status == CampaignStatus.PAUSED:
        campaign = campaigns.resume(campaign)
    else:
        campaign = campaigns.pause(campaign)
    return ok(campaign=campaign_view(campaign))


@blueprint.get("/v1/smtp-campaign-edit")
@declares(*STATE_ERRORS)
def edit_campaign():
    user, values = read(One)
    campaign = campaigns.get(values["campaign_id"], user)
    view = campaign_view(campaign)
    return ok(campaign=view, senderDetails=[sender_view(s) for s in senders.list_for(user)],
              templates=[template_view(t) for t in templates.list_own(user, active_only=True)], **_pool(),
              bounce_email_id=view["all_request"]["bounce_email_id"], speed=view["all_request"]["speed"])


@blueprint.post("/v1/smtp-campaign-update")
@declares(*STATE_ERRORS, *CONTENT_ERRORS)
def update_campaign():
    user, values = read(Update)
    campaign = campaigns.get(values["campaign_id"], user)
    changes = _content(user, values)
    if values["campaign_name"] is not None:
        changes["name"] = values["campaign_name"]
    if values["mailing_list_id"] is not None:
        changes["list_id"] = values["mailing_list_id"]
    if values["begins_at"] is not None:
        changes["begins_at"] = values["begins_at"]
    campaigns.update(campaign, **changes)
    _record(campaign, values["all_request"])
    return ok(campaigns=UPDATED)
