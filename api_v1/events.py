"""GET /api/v1/events: the events of the key's sender domain.

Rows are a superset of the seed ({EventId, EventType, EventTimestamp, Recipient, MessageId,
CampaignId, Details{UserAgent, IpAddress}}) and the newer docs ({Event, LoggedAt,
Message{Headers{From, To, Subject}}}). Dates: unix timestamps or YYYY-MM-DD HH:MM:SS.
"""

from api_v1.resource import KEY_ERRORS, blueprint, load, params, presented_key, sender_key
from edge import octeth_vocabulary
from edge.errors import Declared, Refusal, declares
from services.errors import BadQuery
from edge.octeth_events import event_view
from edge.params import Integer, Params, Text
from services import event_log

DEFAULT_COUNT, MAX_COUNT = 5, 100


class EventsParams(Params):
    StartFrom = Integer(load_default=0)
    RetrieveCount = Integer(1, load_default=DEFAULT_COUNT)
    StartDate = Text()
    EndDate = Text()
    Event = Text()
    MessageID = Text()


def public_view(event, tags: list[str]) -> dict:
    row = event_view(event, tags)
    details = row["details"]
    headers = row["message"]["headers"]
    return {"EventId": f"evt_{event.id}", "EventType": row["event"], "EventTimestamp": row["timestamp"],
            "Recipient": row["recipient"], "MessageId": row["message_id"], "CampaignId": row["campaign_id"],
            "Details": {"UserAgent": details.get("user_agent"), "IpAddress": details.get("ip"),
                        **{k: v for k, v in details.items() if k not in ("user_agent", "ip")}},
            "Event": row["event"], "LoggedAt": row["logged_at"], "Tags": tags,
            "Message": {"Headers": {"From": headers.get("from"), "To": headers.get("to"),
                                    "Subject": headers.get("subject")}}}


@blueprint.get("/events")
@declares(*KEY_ERRORS, Declared(BadQuery, 6, 422))
def get_events():
    values = params()
    if not presented_key(values):
        raise Refusal((1, "Missing SenderAPIKey"), status=401)
    key = sender_key(values)
    p = load(EventsParams, values, {"startfrom": (4, "Invalid StartFrom"), "retrievecount": (5, "Invalid RetrieveCount"),
                                    "startdate": (6, "Invalid StartDate"), "enddate": (6, "Invalid EndDate"),
                                    "event": (6, "Invalid Event"), "messageid": (6, "Invalid MessageID")})
    f = event_log.Filter(key.domain.user, (key.domain_id,),
                         event_log.parse_date(p["StartDate"]) if p.get("StartDate") else None,
                         event_log.parse_date(p["EndDate"], end=True) if p.get("EndDate") else None,
                         octeth_vocabulary.event_filter(p["Event"]) if p.get("Event") else None,
                         message_id=p.get("MessageID") or None, read_event=octeth_vocabulary.event_type)
    total, rows = event_log.page(f, p["StartFrom"], min(p["RetrieveCount"], MAX_COUNT))
    tags = event_log.tags_of(rows)
    return {"TotalRecords": total, "Events": [public_view(e, tags.get(e.message_id, [])) for e in rows]}


