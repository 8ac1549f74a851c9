"""Events at scale: GetEvents (a page, a filtered page) and DomainStats/AccountStats for the last
30 days, timed with 100k events in the table, then again after 900k older events are added.
The baseline is the first measurement: the ratio says how the time grows with the table
(1.0: not at all). Through the real /api.php, in process.

Usage: .venv/bin/python bench/bench_events.py [first] [added]  (default 100000 900000)"""
from __future__ import annotations

import datetime
import random
import statistics
import sys
import time

from harness import environment, install, save

import clock  # noqa: E402
from models import Event, Message  # noqa: E402
from models.db import database  # noqa: E402

BATCH = 2000
KINDS = ("accepted", "delivered", "opened", "clicked", "bounced", "deferred")


def fill(domain, count: int, newest: datetime.datetime, days: int, rng: random.Random) -> None:
    """`count` events over `days` days before `newest`, on a message per 10 events."""
    with database.connection_context():
        for done in range(0, count, BATCH):
            n = min(BATCH, count - done)
            first = Message.insert_many([{
                "uuid": f"{rng.getrandbits(128):032x}", "user": domain.user_id, "domain": domain.id,
                "message_id_header": "<bench@example.com>", "mail_from": "app@example.com",
                "subject": rng.choice(["Welcome", "Receipt", "Reset"]), "content": b"", "created_at": newest,
                "send_at": newest} for _ in range(max(1, n // 10))]).execute()
            with database.atomic():
                Event.insert_many([{
                    "user": domain.user_id, "domain": domain.id, "message": first, "event": rng.choice(KINDS),
                    "recipient": f"r{rng.randint(1, 5000)}@example.net", "details": "{}",
                    "created_at": newest - datetime.timedelta(seconds=rng.randint(0, days * 86400))}
                    for _ in range(n)]).execute()


def timed(client, body: dict, runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.post("/api.php", json=body).json
        samples.append(time.perf_counter() - started)
        assert answer["Success"], answer
    return statistics.median(samples) * 1000


def measure(client, key: str, domain_id: int) -> dict:
    today = clock.now()
    month = {"StartDate": f"{today - datetime.timedelta(days=29):%Y-%m-%d}", "EndDate": f"{today:%Y-%m-%d}"}
    base = {"APIKey": key}
    return {
        "get_events_page_ms": timed(client, {**base, "Command": "EmailGateway.GetEvents", "DomainID": domain_id,
                                             "StartFrom": 0, "RetrieveCount": 100, **month}),
        "get_events_filtered_ms": timed(client, {**base, "Command": "EmailGateway.GetEvents", "StartFrom": 0,
                                                 "RetrieveCount": 100, "Event": "clicked", **month}),
        "domain_stats_month_ms": timed(client, {**base, "Command": "EmailGateway.DomainStats", "DomainID": domain_id,
                                                **month}),
        "account_stats_month_ms": timed(client, {**base, "Command": "EmailGateway.AccountStats", **month}),
    }


def main(first: int, added: int) -> None:
    env = environment()
    domain, _ = install(env)
    from app import create_app
    from models import User
    from services import accounts

    client = create_app(__import__("config").current()).test_client()
    with database.connection_context():
        key = accounts.api_key_of(User.get())
    rng = random.Random(1)
    now = clock.now()
    fill(domain, first, now, 30, rng)
    small = measure(client, key, domain.id)
    fill(domain, added, now - datetime.timedelta(days=61), 330, rng)  # older than the month and the one before
    large = measure(client, key, domain.id)
    figures = {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "events_small": first, "events_large": first + added}
    for name in small:
        figures[f"{name}_at_small"] = round(small[name], 2)
        figures[f"{name}_at_large"] = round(large[name], 2)
        figures[f"{name}_growth_ratio"] = round(large[name] / small[name], 2)
    save("events", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 900_000)
