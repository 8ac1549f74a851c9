"""Kirim.Email's words for the core's, in one table each way.

Out: the guide's event names (`queued`, `delivered`, `bounced`, `complained`, `clicked`,
`opened`) and the reference's for the rest (`deferred`, `failed`, `unsubscribed`). In: those,
and the reference's other spellings: `send` (handed to us: accepted), `permanent_fail`
(bounced or failed), `temporary_fail` (deferred)."""
from __future__ import annotations

from models.vocabulary import DomainStatus, EventType, SuppressionReason

EVENT_NAMES = {EventType.ACCEPTED: "queued", EventType.DEFERRED: "deferred", EventType.DELIVERED: "delivered",
               EventType.BOUNCED: "bounced", EventType.FAILED: "failed", EventType.OPENED: "opened",
               EventType.CLICKED: "clicked", EventType.UNSUBSCRIBED: "unsubscribed",
               EventType.COMPLAINED: "complained"}
EVENTS_READ = {**{name: (event,) for event, name in EVENT_NAMES.items()},
               "send": (EventType.ACCEPTED,), "sent": (EventType.ACCEPTED,),
               "permanent_fail": (EventType.BOUNCED, EventType.FAILED), "temporary_fail": (EventType.DEFERRED,)}

DOMAIN_STATUS = {DomainStatus.ENABLED: "verified", DomainStatus.PENDING: "pending", DomainStatus.BLOCKED: "blocked",
                 DomainStatus.SUSPENDED: "suspended", DomainStatus.DISABLED: "disabled"}

# Kirim.Email's suppression types: bounces, unsubscribes (what the recipient or the owner chose)
SUPPRESSION_TYPES = {"bounce": (SuppressionReason.HARD_BOUNCE, SuppressionReason.REPEATED_SOFT_BOUNCE),
                     "unsubscribe": (SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT,
                                     SuppressionReason.MANUAL)}
SUPPRESSION_TYPE_OF = {reason: kind for kind, reasons in SUPPRESSION_TYPES.items() for reason in reasons}


def events(names) -> list[EventType] | None:
    """Core event types for Kirim.Email names (a list, or one comma-separated string); None
    when any name is unknown."""
    if isinstance(names, str):
        names = names.split(",")
    found: list[EventType] = []
    for name in names if isinstance(names, list) else []:
        read = EVENTS_READ.get(str(name).strip().lower())
        if read is None:
            return None
        found.extend(read)
    return list(dict.fromkeys(found)) or None
