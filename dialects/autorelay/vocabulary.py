"""The core's words in AutoRelay's, in one place (no Flask: the webhook format uses it too)."""
import datetime

from models.vocabulary import CampaignStatus, DeliveryStatus, DomainStatus, EventType

# webhook event names <-> event types; a delivery that failed for good is a bounce to this API
WEBHOOK_EVENTS = {
    "email.sent": (EventType.ACCEPTED,),
    "email.delivered": (EventType.DELIVERED,),
    "email.opened": (EventType.OPENED,),
    "email.clicked": (EventType.CLICKED,),
    "email.bounced": (EventType.BOUNCED, EventType.FAILED),
    "email.complained": (EventType.COMPLAINED,),
}
WEBHOOK_NAME = {event: name for name, events in WEBHOOK_EVENTS.items() for event in events}

# an email's events in GET /emails/:id
EVENT_NAME = {EventType.ACCEPTED: "sent", EventType.DEFERRED: "deferred", EventType.DELIVERED: "delivered",
              EventType.BOUNCED: "bounced", EventType.FAILED: "failed", EventType.OPENED: "opened",
              EventType.CLICKED: "clicked", EventType.UNSUBSCRIBED: "unsubscribed",
              EventType.COMPLAINED: "complained"}

# an email's status (services.message_log's state): accepted and on its way is "sent"
EMAIL_STATUS = {DeliveryStatus.QUEUED: "sent", DeliveryStatus.DELIVERED: "delivered",
                DeliveryStatus.BOUNCED: "bounced", DeliveryStatus.FAILED: "failed", DeliveryStatus.TEST: "test"}
STATE_OF = {name: state for state, name in EMAIL_STATUS.items()}

DOMAIN_STATUS = {DomainStatus.ENABLED: "verified", DomainStatus.PENDING: "pending", DomainStatus.BLOCKED: "blocked",
                 DomainStatus.SUSPENDED: "suspended", DomainStatus.DISABLED: "disabled"}


def webhook_names(events) -> list[str]:
    """Subscribed event types as the webhook names, in the seed's order."""
    subscribed = {WEBHOOK_NAME[e] for e in events if e in WEBHOOK_NAME}
    return [name for name in WEBHOOK_EVENTS if name in subscribed]


def iso(value: datetime.datetime | None) -> str | None:
    """A UTC time in ISO 8601 with milliseconds, as JavaScript's toISOString writes it."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def campaign_status(campaign, now: datetime.datetime) -> str:
    """The core's status, but a launched campaign whose start has come is "sending" (the runner
    moves it within a second), as the seed's launch answers."""
    if campaign.status == CampaignStatus.SCHEDULED and (campaign.begins_at is None or campaign.begins_at <= now):
        return CampaignStatus.SENDING.value
    return campaign.status
