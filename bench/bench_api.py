"""API throughput on one gunicorn server (gunicorn.conf.py, 2 workers x 4 threads), against its
bare /healthz route: the dispatcher (/api.php EmailGateway.GetDomains, authenticated, 10
domains) and accept (POST /api/v1/email: validate, compose, one transaction); requests per
second and their ratios to the bare route. And batch accept (AutoRelay's POST
/api/v1/emails/batch, 100 messages a request, one transaction) in messages per second, against
the single accept. The routes take turns, ROUNDS times, so a change in the machine's load
weighs on each alike.

Usage: .venv/bin/python bench/bench_api.py [seconds per route and round] (GATEPOST_BENCH_DATABASE_URL
to run on PostgreSQL). Client threads run on the same 2-core machine as the server."""
from __future__ import annotations

import sys
import threading
import time

import requests

from harness import environment, gunicorn, install, save

THREADS = 8
ROUNDS = 3
BATCH = 100
BODY = {"Subject": "Your receipt", "ContentType": "html", "HTMLContent": "<p>Thanks for your order.</p>" * 20,
        "From": {"name": "Shop", "email": "shop@example.com"}, "To": [{"name": "Rob", "email": "rob@example.net"}]}


def rate(url: str, seconds: float, headers: dict | None = None, body: dict | None = None) -> float:
    done, stop = [], time.monotonic() + seconds

    def client():
        session, count = requests.Session(), 0
        while time.monotonic() < stop:
            response = session.post(url, json=body, headers=headers) if body else session.get(url, headers=headers)
            assert response.status_code == 200, response.text
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def main(seconds: float) -> None:
    env = environment(GATEPOST_WEB_WORKERS="2", GATEPOST_WEB_THREADS="4")
    domain, key = install(env)
    from models import User
    from models.db import database
    from services import accounts, credentials, domains
    with database.connection_context():
        user = User.get()
        user_key = accounts.api_key_of(user)
        for i in range(9):
            domains.add(user, f"d{i}.example.com")
        user.group = accounts.create_group("Enterprise")  # AutoRelay's plan with the most requests a minute
        user.save()
        batch_key = credentials.issue(user, "autorelay")[1]["key"]
    email = {"to": "Rob <rob@example.net>", "from": "Shop <shop@example.com>", "subject": BODY["Subject"],
             "html": BODY["HTMLContent"]}
    routes = {"bare": ("/healthz", None, None), "get_domains": ("/api.php", None,
                                                                {"Command": "EmailGateway.GetDomains", "APIKey": user_key}),
              "send": ("/api/v1/email", {"Authorization": f"Bearer {key}"}, BODY),
              "batch": ("/api/v1/emails/batch", {"Authorization": f"Bearer {batch_key}"}, {"emails": [email] * BATCH})}
    done = dict.fromkeys(routes, 0.0)
    server, root = gunicorn(env)
    try:
        rate(root + "/healthz", 1)  # warm up
        for _ in range(ROUNDS):
            for name, (path, headers, body) in routes.items():
                done[name] += rate(root + path, seconds, headers, body) / ROUNDS
    finally:
        server.terminate()
        server.wait(10)
    bare, dispatch, accept, batch = done["bare"], done["get_domains"], done["send"], done["batch"] * BATCH
    save("api", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn 2 workers x 4 threads",
                 "client_threads": THREADS, "rounds": ROUNDS, "seconds_per_route_and_round": seconds,
                 "bare_route_rps": round(bare, 1), "get_domains_rps": round(dispatch, 1),
                 "ratio_get_domains_to_bare": round(dispatch / bare, 3), "send_email_rps": round(accept, 1),
                 "ratio_send_to_bare": round(accept / bare, 3), "batch_messages_per_s": round(batch, 1),
                 "ratio_batch_to_send": round(batch / accept, 2)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
