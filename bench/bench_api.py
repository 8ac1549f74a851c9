"""API throughput on one gunicorn server (gunicorn.conf.py, 2 workers x 4 threads), against its
bare /healthz route: the dispatcher (/api.php EmailGateway.GetDomains, authenticated, 10
domains) and accept (POST /api/v1/email: validate, compose, one transaction); requests per
second and their ratios to the bare route.

Usage: .venv/bin/python bench/bench_accept.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL to
run on PostgreSQL). Client threads run on the same 2-core machine as the server."""
from __future__ import annotations

import sys
import threading
import time

import requests

from harness import environment, gunicorn, install, save

THREADS = 8
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
    from services import accounts, domains
    with database.connection_context():
        user = User.get()
        user_key = accounts.api_key_of(user)
        for i in range(9):
            domains.add(user, f"d{i}.example.com")
    server, root = gunicorn(env)
    try:
        base = root
        rate(base + "/healthz", 1)  # warm up
        bare = rate(base + "/healthz", seconds)
        dispatch = rate(base + "/api.php", seconds, body={"Command": "EmailGateway.GetDomains", "APIKey": user_key})
        accept = rate(base + "/api/v1/email", seconds, {"Authorization": f"Bearer {key}"}, BODY)
    finally:
        server.terminate()
        server.wait(10)
    save("api", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn 2 workers x 4 threads",
                 "client_threads": THREADS, "bare_route_rps": round(bare, 1), "get_domains_rps": round(dispatch, 1),
                 "ratio_get_domains_to_bare": round(dispatch / bare, 3), "send_email_rps": round(accept, 1),
                 "ratio_send_to_bare": round(accept / bare, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
