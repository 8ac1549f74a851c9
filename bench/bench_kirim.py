"""The Kirim.Email send path against Octeth's on one gunicorn server (gunicorn.conf.py, 2
workers x 4 threads): POST /api/domains/{d}/message (HTTP Basic with a `kirim` credential, the
reference's JSON) against POST /api/v1/email (the baseline: the same message through Octeth's
REST dialect), requests per second and their ratio; and one Kirim request to 100 recipients
(100 messages, each committed on its own) against 100 single-recipient Kirim requests.

Usage: .venv/bin/python bench/bench_kirim.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL to
run on PostgreSQL). Both dialects get the harness's request budget, raised so it never refuses."""
from __future__ import annotations

import sys
import time

import requests

from bench_api import BODY, rate
from harness import environment, gunicorn, install, save

KIRIM_BODY = {"from": "shop@example.com", "from_name": "Shop", "to": "rob@example.net", "subject": "Your receipt",
              "html": BODY["HTMLContent"], "text": "Thanks for your order."}


def main(seconds: float) -> None:
    env = environment(GATEPOST_WEB_WORKERS="2", GATEPOST_WEB_THREADS="4")
    domain, key = install(env)
    from models import User
    from models.db import database
    from services import credentials
    with database.connection_context():
        _, shown = credentials.issue(User.get(), "kirim")
    auth = (shown["username"], shown["api_key"])
    server, root = gunicorn(env)
    base = root
    try:
        rate(base + "/healthz", 1)  # warm up
        octeth = rate(base + "/api/v1/email", seconds, {"Authorization": f"Bearer {key}"}, BODY)
        basic = {"Authorization": requests.auth._basic_auth_str(*auth)}
        kirim = rate(base + "/api/domains/example.com/message", seconds, basic, KIRIM_BODY)
        session = requests.Session()
        started = time.monotonic()
        answer = session.post(base + "/api/domains/example.com/message", auth=auth,
                              json={**KIRIM_BODY, "to": [f"r{i}@example.net" for i in range(100)]})
        batch = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        started = time.monotonic()
        for i in range(100):
            assert session.post(base + "/api/domains/example.com/message", auth=auth,
                                json={**KIRIM_BODY, "to": f"s{i}@example.net"}).status_code == 200
        singles = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(10)
    save("kirim", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn 2 workers x 4 threads",
                   "octeth_send_rps": round(octeth, 1), "kirim_send_rps": round(kirim, 1),
                   "ratio_kirim_to_octeth": round(kirim / octeth, 3),
                   "kirim_100_recipients_one_request_s": round(batch, 3),
                   "kirim_100_single_requests_s": round(singles, 3), "ratio_one_request_to_singles": round(batch / singles, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
