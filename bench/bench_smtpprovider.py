"""The SMTP-provider dialect's cost per call on one gunicorn server (gunicorn.conf.py, 2 workers x
4 threads): GET /api/v1/smtp-domain-list (token lookup, Laravel-style validation, 10 domains with
their DNS records) against the bare /healthz route and Octeth's /api.php GetDomains (the same 10
domains) measured in the same run; requests per second and the ratios.

Usage: .venv/bin/python bench/bench_smtpprovider.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL
to run on PostgreSQL). Client threads run on the same 2-core machine as the server."""
from __future__ import annotations

import sys

import requests

from bench_api import THREADS, rate
from harness import environment, gunicorn, install, save


def main(seconds: float) -> None:
    env = environment(GATEPOST_WEB_WORKERS="2", GATEPOST_WEB_THREADS="4")
    install(env)
    from models import User
    from models.db import database
    from services import accounts, credentials, domains
    with database.connection_context():
        user = User.get()
        user_key = accounts.api_key_of(user)
        for i in range(9):
            domains.add(user, f"d{i}.example.com")
        token = credentials.issue(user, "smtpprovider")[1]["token"]
    server, root = gunicorn(env)
    try:
        base = root
        listed = requests.get(f"{base}/api/v1/smtp-domain-list?user_id={user.id}", timeout=10,
                              headers={"Authorization": f"Bearer {token}"}).json()["data"]["domains"]
        assert len(listed) == 10, listed
        rate(base + "/healthz", 1)  # warm up
        bare = rate(base + "/healthz", seconds)
        octeth = rate(base + "/api.php", seconds, body={"Command": "EmailGateway.GetDomains", "APIKey": user_key})
        laravel = rate(f"{base}/api/v1/smtp-domain-list?user_id={user.id}", seconds,
                       {"Authorization": f"Bearer {token}"})
    finally:
        server.terminate()
        server.wait(10)
    save("smtpprovider", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0],
                          "server": "gunicorn 2 workers x 4 threads", "client_threads": THREADS,
                          "bare_route_rps": round(bare, 1), "octeth_get_domains_rps": round(octeth, 1),
                          "smtp_domain_list_rps": round(laravel, 1),
                          "ratio_smtp_domain_list_to_bare": round(laravel / bare, 3),
                          "ratio_smtp_domain_list_to_octeth": round(laravel / octeth, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
