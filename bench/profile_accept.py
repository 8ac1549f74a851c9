"""Where an accept's CPU goes: cProfile (CPU time) of POST /api/v1/email through the Flask test
client on a fresh SQLite installation, the same body as bench_api.py. Prints each stage's share
of the total, the queries one accept makes, and the top functions by own time.
Not part of `make bench` (it prints a profile, not a ratio).

Usage: .venv/bin/python bench/profile_accept.py [requests=200]"""
from __future__ import annotations

import cProfile
import logging
import os
import pstats
import re
import sys
import time

from harness import environment, install

from bench_api import BODY  # noqa: E402

STAGES = {  # label: (a piece of the file name, the function)
    "rate limiter (api_v1.budget)": ("budget.py", "count"),
    "key lookup": ("api_keys.py", "authenticate"), "reading the request": ("octeth_send.py", "read"),
    "composing": ("compose.py", "compose"), "recipient checks (suppressions)": ("sending.py", "check_recipients"),
    "writing (write_all)": ("sending.py", "write_all"), "  of which events + webhook outbox": ("events.py", "record_all"),
    "SQL generation (peewee)": ("peewee.py", "sql"), "connection open (per request)": ("db.py", "_connect"),
    "connection close": ("db.py", "_close"),
}


def main(count: int) -> None:
    env = environment()
    _, key = install(env)
    os.environ.update(env)
    from app import create_app
    import config
    client = create_app(config.current()).test_client()
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(20):
        assert client.post("/api/v1/email", json=BODY, headers=headers).status_code == 200

    queries: list[str] = []
    peewee_log = logging.getLogger("peewee")
    handler = logging.Handler()
    handler.emit = lambda record: queries.append(str(record.msg[0] if isinstance(record.msg, tuple) else record.msg))
    peewee_log.addHandler(handler), peewee_log.setLevel(logging.DEBUG)
    peewee_log.propagate = False
    client.post("/api/v1/email", json=BODY, headers=headers)
    peewee_log.removeHandler(handler), peewee_log.setLevel(logging.WARNING)
    statements = [f"{q.split()[0]} {found[1]}" for q in queries if (found := re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', q))]

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(count):
        client.post("/api/v1/email", json=BODY, headers=headers)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{count} accepts, {stats.total_tt / count * 1000:.2f} ms CPU each (profiled); "
          f"{len(statements)} statements: {', '.join(statements)}")
    for label, (piece, function) in STAGES.items():
        share = max((ct for (f, _, name), (_, _, _, ct, _) in stats.stats.items() if piece in f and name == function),
                    default=0) / stats.total_tt
        print(f"  {label:34s} {share * 100:5.1f} %")
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
