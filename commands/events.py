"""Events and statistics: GetEvents, AggrEvents, DomainStats, AccountStats, DailySeries,
ExportEvents.

GetEvents rows carry the seed's keys (event_type, timestamp as ISO-8601, message.headers) and
the newer ones beside them (event, logged_at as a unix time, recipient, message_id, tags,
details). The seed and the newer docs disagree on `timestamp`; it follows the seed. DomainID is
optional (the newer docs: all the caller's domains). Code 6, for a date, event or query that
cannot be read, is Gatepost's own: Octeth documents none.
"""
from __future__ import annotations

import csv
import datetime
import io
import json


import clock
from commands.envelope import Download
from edge import octeth_vocabulary
from edge.octeth_events import event_view
from edge.params import ID, Integer, Params, Text
from commands.registry import Err, command
from models.accounts import MANAGE_DOMAIN
from services import domains, event_log, stats
from services.errors import BadQuery, DomainNotFound

MAX_PAGE = 100
EXPORT_LIMIT = 10_000
EXPORT_CHUNK = 1_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _domain_ids(user, domain_id) -> tuple[int, ...] | None:
    """One domain (checked to be the user's), or None: all of them."""
    return (domains.get(user, domain_id).id,) if domain_id else None


def _period(p: dict, default_days: int) -> tuple[datetime.datetime, datetime.datetime]:
    """StartDate..EndDate (whole days, Y-m-d), by default the last `default_days` days, at most a
    century long."""
    end = event_log.parse_date(p["EndDate"], end=True) if p.get("EndDate") else \
        clock.now().replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    start = event_log.parse_date(p["StartDate"]) if p.get("StartDate") else end - datetime.timedelta(days=default_days)
    if end - start > stats.MAX_PERIOD:
        raise BadQuery(f"StartDate..EndDate spans more than {stats.MAX_PERIOD.days} days")
    return start, max(end, start)


def _filter(user, p: dict, default_days: int | None = None) -> event_log.Filter:
    ids = _domain_ids(user, p.get("DomainID"))
    start = event_log.parse_date(p["StartDate"]) if p.get("StartDate") else None
    end = event_log.parse_date(p["EndDate"], end=True) if p.get("EndDate") else None
    if start is None and default_days:
        start = clock.now() - datetime.timedelta(days=default_days)
    event = octeth_vocabulary.event_filter(p["Event"]) if p.get("Event") else None
    if p.get("Query"):
        event_log.parse_query(p["Query"], octeth_vocabulary.event_type)  # refused now, not when read
    return event_log.Filter(user, ids, start, end, event, p.get("Query") or "", p.get("MessageID") or None,
                            read_event=octeth_vocabulary.event_type)


FILTER_ERRORS = (
    Err(2, "Failed to retrieve sender domain", "DomainID"),
    Err(2, "Failed to retrieve sender domain", DomainNotFound),
    Err(6, "Invalid StartDate, EndDate, Event or Query", "StartDate"),
    Err(6, "Invalid StartDate, EndDate, Event or Query", "EndDate"),
    Err(6, "Invalid StartDate, EndDate, Event or Query", "Event"),
    Err(6, "Invalid StartDate, EndDate, Event or Query", "Query"),
    Err(6, "Invalid StartDate, EndDate, Event or Query", BadQuery),
)


class GetEventsParams(Params):
    DomainID = Integer()
    StartFrom = Integer(required=True)
    RetrieveCount = Integer(1, required=True)
    StartDate = Text()
    EndDate = Text()
    Event = Text()
    Query = Text()


@command("EmailGateway.GetEvents", schema=GetEventsParams, permission=MANAGE_DOMAIN, errors=FILTER_ERRORS + (
    Err(4, "Required parameter missing: StartFrom", "StartFrom"),
    Err(5, "Required parameter missing: RetrieveCount", "RetrieveCount"),
))
def get_events(user, p):
    """RetrieveCount above 100 is taken as 100."""
    total, rows = event_log.page(_filter(user, p), p["StartFrom"], min(p["RetrieveCount"], MAX_PAGE))
    tags = event_log.tags_of(rows)
    return {"TotalRecords": total, "Events": [event_view(e, tags.get(e.message_id, [])) for e in rows]}


class AggrEventsParams(Params):
    DomainID = ID(required=True)
    StartDate = Text()
    EndDate = Text()
    AggregatedField = Text()
    AggregateSize = Integer(1, 1000)


@command("EmailGateway.AggrEvents", schema=AggrEventsParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required parameter missing: DomainID", "DomainID", "missing"),
    Err(2, "Failed to retrieve sender domain", "DomainID", "invalid"),
    Err(2, "Failed to retrieve sender domain", DomainNotFound),
    Err(6, "Invalid StartDate, EndDate, AggregatedField or AggregateSize", "StartDate"),
    Err(6, "Invalid StartDate, EndDate, AggregatedField or AggregateSize", "EndDate"),
    Err(6, "Invalid StartDate, EndDate, AggregatedField or AggregateSize", "AggregatedField"),
    Err(6, "Invalid StartDate, EndDate, AggregatedField or AggregateSize", "AggregateSize"),
    Err(6, "Invalid StartDate, EndDate, AggregatedField or AggregateSize", BadQuery),
))
def aggr_events(user, p):
    """AggregatedField: eventType (default), recipientDomain, recipient, tag or day."""
    domain = domains.get(user, p["DomainID"])
    start, end = _period(p, 30)
    return {"AggBuckets": stats.aggregate([domain.id], start, end, p.get("AggregatedField") or "eventType",
                                          p.get("AggregateSize") or 10)}


class PeriodParams(Params):
    DomainID = ID(required=True)
    StartDate = Text()
    EndDate = Text()


PERIOD_ERRORS = (
    Err(1, "Required parameter missing: DomainID", "DomainID", "missing"),
    Err(2, "Unable to retrieve domain information", "DomainID", "invalid"),
    Err(2, "Unable to retrieve domain information", DomainNotFound),
    Err(6, "Invalid StartDate or EndDate", "StartDate"),
    Err(6, "Invalid StartDate or EndDate", "EndDate"),
    Err(6, "Invalid StartDate or EndDate", BadQuery),
)


@command("EmailGateway.DomainStats", schema=PeriodParams, permission=MANAGE_DOMAIN, errors=PERIOD_ERRORS)
def domain_stats(user, p):
    """Stats for StartDate..EndDate (default the last 28 days), the same for the period of the
    same length before (ComparisonStats.PreviousPeriod), and per tag."""
    domain = domains.get(user, p["DomainID"])
    start, end = _period(p, 28)
    before = stats.previous(start, end)
    return {"Stats": stats.totals([domain.id], start, end)[domain.id],
            "ComparisonStats": {"PreviousPeriod": stats.totals([domain.id], *before)[domain.id]},
            "TagStats": stats.by_tag([domain.id], start, end)}


class AccountStatsParams(Params):
    StartDate = Text()
    EndDate = Text()
    DomainIDs = Text()


@command("EmailGateway.AccountStats", schema=AccountStatsParams, permission=MANAGE_DOMAIN, errors=(
    Err(6, "Invalid StartDate, EndDate or DomainIDs", "StartDate"),
    Err(6, "Invalid StartDate, EndDate or DomainIDs", "EndDate"),
    Err(6, "Invalid StartDate, EndDate or DomainIDs", "DomainIDs"),
    Err(6, "Invalid StartDate, EndDate or DomainIDs", BadQuery),
))
def account_stats(user, p):
    """Totals, ComparisonTotals (the same length before) and PerDomain (Sent first), with
    rates; DomainIDs (CSV) narrows to those domains, silently ignoring others' IDs."""
    start, end = _period(p, 30)
    live = {d.id: d for d in domains.list_for(user)}
    wanted = [int(i) for i in str(p.get("DomainIDs") or "").replace(" ", "").split(",") if i.isdigit()]
    ids = [i for i in wanted if i in live] if p.get("DomainIDs") else list(live)
    current, before = stats.totals(ids, start, end), stats.totals(ids, *stats.previous(start, end))
    waiting = stats.queued(ids, start, end)
    per_domain = sorted(({"DomainID": i, "SenderDomain": live[i].name, "TotalQueued": waiting.get(i, 0),
                          **stats.with_rates(current[i])} for i in ids), key=lambda row: (-row["Sent"], row["DomainID"]))
    return {"StartDate": start.strftime("%Y-%m-%d 00:00:00"),
            "EndDate": (end - datetime.timedelta(seconds=1)).strftime("%Y-%m-%d 23:59:59"),
            "Totals": {"TotalQueued": sum(waiting.values()), **stats.with_rates(stats.sum_blocks(current.values()))},
            "ComparisonTotals": stats.with_rates(stats.sum_blocks(before.values())), "PerDomain": per_domain}


class DailySeriesParams(Params):
    DomainID = Integer()
    StartDate = Text()
    EndDate = Text()


@command("EmailGateway.DailySeries", schema=DailySeriesParams, permission=MANAGE_DOMAIN, errors=(
    Err(2, "Failed to retrieve sender domain", "DomainID"),
    Err(2, "Failed to retrieve sender domain", DomainNotFound),
    Err(6, "Invalid StartDate or EndDate", "StartDate"),
    Err(6, "Invalid StartDate or EndDate", "EndDate"),
    Err(6, "Invalid StartDate or EndDate", BadQuery),
))
def daily_series(user, p):
    ids = _domain_ids(user, p.get("DomainID")) or tuple(d.id for d in domains.list_for(user))
    start, end = _period(p, 30)
    return {"Series": stats.daily(list(ids), start, end)}


class ExportParams(Params):
    DomainID = Integer()
    StartDate = Text()
    EndDate = Text()
    Event = Text()
    Query = Text()
    MessageID = Text()


@command("EmailGateway.ExportEvents", schema=ExportParams, permission=MANAGE_DOMAIN, errors=FILTER_ERRORS + (
    Err(6, "Invalid StartDate, EndDate, Event or Query", "MessageID"),
))
def export_events(user, p):
    """A CSV file (UTF-8 with a BOM) of at most 10,000 events, default the last 30 days; cells
    that a spreadsheet would run as a formula are prefixed with a quote."""
    rows = event_log.select(_filter(user, p, default_days=30))
    total = rows.count()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    out = csv.writer(buffer)
    out.writerow(["Time", "Event", "MessageID", "From", "To", "Subject", "Domain", "SMTPCode"])
    for offset in range(0, min(total, EXPORT_LIMIT), EXPORT_CHUNK):
        for e in rows.offset(offset).limit(min(EXPORT_CHUNK, EXPORT_LIMIT - offset)):
            details = json.loads(e.details or "{}")
            out.writerow([_safe(v) for v in (
                e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.event, e.message.uuid if e.message else "",
                e.message.mail_from if e.message else "", e.recipient, e.message.subject if e.message else "",
                e.domain.name, details.get("smtp_code") or "")])
    headers = {"X-Octeth-Export-Total": str(total)}
    if total > EXPORT_LIMIT:
        headers.update({"X-Octeth-Export-Truncated": "1", "X-Octeth-Export-Limit": str(EXPORT_LIMIT)})
    name = f"transactional-events-{clock.now():%Y-%m-%d}.csv"
    return Download(name, "text/csv", [buffer.getvalue().encode("utf-8")], headers)


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
