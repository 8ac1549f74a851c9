"""The delivery choices a campaign records (models.campaign_routing): kept and shown back, not
yet acted on, since Gatepost has one sending pool."""
from __future__ import annotations

from models import Campaign, CampaignRouting

FIELDS = ("vmta_id", "bounce_email_id", "url_domain_id", "sender_email")


def record(campaign: Campaign, **choices) -> None:
    """Set the choices given (None: not given, left as it was)."""
    given = {k: v for k, v in choices.items() if v is not None}
    unknown = set(given) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown routing choices: {sorted(unknown)}")
    row = CampaignRouting.get_or_none(CampaignRouting.campaign == campaign) or CampaignRouting(campaign=campaign)
    for name, value in given.items():
        setattr(row, name, value)
    row.save()


def of(campaign: Campaign) -> dict:
    row = CampaignRouting.get_or_none(CampaignRouting.campaign == campaign)
    return {name: getattr(row, name) if row else None for name in FIELDS}
