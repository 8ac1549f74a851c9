"""Stats: sent, delivered, bounced (and why), opened, clicked, complained per day, per domain
and per tag, as an SVG chart with the table of the same numbers beside it."""
from __future__ import annotations

import datetime

from flask import g, render_template

import clock
from services import domains, stats
from ui import charts
from ui.web import BadInput, blueprint, number

PERIODS = (7, 30, 90)
CHARTED = ("Sent", "Delivered", "Bounced", "Opened", "Clicked", "Complained")


@blueprint.get("/stats", endpoint="stats")
def overview():
    days = number("days", 7, minimum=1)
    if days not in PERIODS:
        raise BadInput(f"days must be one of {', '.join(map(str, PERIODS))}")
    own = domains.list_for(g.user)
    chosen = number("domain")
    ids = [domains.get(g.user, chosen).id] if chosen else [d.id for d in own]
    end = datetime.datetime.combine(clock.now().date() + datetime.timedelta(days=1), datetime.time())
    start = end - datetime.timedelta(days=days)
    series = stats.series(ids, start, end) if ids else {}
    columns = {name: [block[name] for block in series.values()] for name in CHARTED}
    totals = stats.totals(ids, start, end) if ids else {}
    return render_template(
        "stats.html", days=days, periods=PERIODS, domains=own, chosen=chosen, series=series, charted=CHARTED,
        chart=charts.line_chart(f"Mail per day, last {days} days", list(series), columns),
        legend=charts.legend(CHARTED), total=stats.with_rates(stats.sum_blocks(totals.values())) if ids else None,
        per_domain={d.name: totals[d.id] for d in own if d.id in totals},
        by_tag=stats.by_tag(ids, start, end) if ids else {}, reasons=stats.bounce_reasons(ids, start, end) if ids else {})
