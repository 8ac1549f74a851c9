"""The AutoRelay dialect's costs on one gunicorn server (gunicorn.conf.py, 2 workers x 4
threads), each against Octeth's POST /api/v1/email measured in the same run: POST
/api/v1/emails (one message), POST /api/v1/emails/batch (100 messages, one transaction),
GET /api/v1/emails?limit=20 (a page of the log, with states and opens) once they are queued.

Usage: .venv/bin/python bench/bench_autorelay.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL
for PostgreSQL). Each phase has its own key (the Enterprise plan: 2000 requests a minute)."""
from __future__ import annotations

import sys

import requests

from bench_api import BODY, THREADS, rate
from harness import environment, gunicorn, install, save

EMAIL = {"to": "Rob <rob@example.net>", "from": "Shop <shop@example.com>", "subject": "Your receipt",
         "html": BODY["HTMLContent"], "tags": {"type": "receipt"}}


def main(seconds: float) -> None:
    env = environment(GATEPOST_WEB_WORKERS="2", GATEPOST_WEB_THREADS="4")
    domain, key = install(env)
    from models import User
    from models.db import database
    from services import accounts, credentials
    with database.connection_context():
        user = User.get()
        user.group = accounts.create_group("Enterprise")
        user.save()
        keys = [credentials.issue(user, "autorelay")[1]["key"] for _ in range(3)]
    server, root = gunicorn(env)
    try:
        base = f"{root}/api/v1"
        rate(base + "/email", 1, {"Authorization": f"Bearer {key}"}, BODY)  # warm up
        octeth = rate(base + "/email", seconds, {"Authorization": f"Bearer {key}"}, BODY)
        single = rate(base + "/emails", seconds, {"Authorization": f"Bearer {keys[0]}"}, EMAIL)
        batch = rate(base + "/emails/batch", seconds, {"Authorization": f"Bearer {keys[1]}"},
                      {"emails": [EMAIL] * 100}) * 100
        log = rate(base + "/emails?limit=20", seconds, {"Authorization": f"Bearer {keys[2]}"})
        total = requests.get(base + "/emails?limit=1", headers={"Authorization": f"Bearer {keys[2]}"}).json()["total"]
    finally:
        server.terminate()
        server.wait(10)
    save("autorelay", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn 2 workers x 4 threads",
                       "client_threads": THREADS, "octeth_send_rps": round(octeth, 1),
                       "autorelay_send_rps": round(single, 1), "ratio_send_to_octeth": round(single / octeth, 3),
                       "batch_messages_per_s": round(batch, 1), "ratio_batch_to_octeth": round(batch / octeth, 3),
                       "log_page_rps": round(log, 1), "messages_in_log": total,
                       "ratio_log_page_to_octeth_send": round(log / octeth, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
