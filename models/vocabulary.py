"""The core's words, defined once: the statuses rows can have and the types of events. Values
are what the database stores (StrEnum members are those strings). Dialects map them to their
own public names at their edge (Octeth says `open`, another dialect `opened` or
`email.opened`); nothing else spells them out."""
from enum import StrEnum


class DomainStatus(StrEnum):
    PENDING = "Approval Pending"
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    SUSPENDED = "Suspended"
    BLOCKED = "Blocked"
    DELETED = "Deleted"


class Switch(StrEnum):
    """Users, API keys and SMTP credentials are Enabled or Disabled; a webhook endpoint that
    keeps failing is Suspended."""
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    SUSPENDED = "Suspended"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    """A webhook delivery (an outbox row) waits, landed, or gave up (until replayed)."""
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class EventType(StrEnum):
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    OPENED = "opened"
    CLICKED = "clicked"
    UNSUBSCRIBED = "unsubscribed"
    COMPLAINED = "complained"


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "hard-bounce"
    REPEATED_SOFT_BOUNCE = "repeated-soft-bounce"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    MANUAL = "manual"


PENDING_DELIVERY = (DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED)  # still to be attempted
FINAL_DELIVERY = (DeliveryStatus.DELIVERED, DeliveryStatus.BOUNCED, DeliveryStatus.FAILED)


class ContactStatus(StrEnum):
    """Whether a contact on a list may be mailed; a hard bounce, a complaint or an unsubscribe
    of the address changes it on every list of its user."""
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class CampaignStatus(StrEnum):
    """draft -> scheduled -> sending <-> paused -> completed, or cancelled from any but completed."""
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
