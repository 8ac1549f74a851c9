"""What the SendPulse dialect costs on the send path: POST /smtp/emails as pysendpulse sends it
(`email` a JSON-encoded string, `html` base64, a bearer token) against POST /api/v1/email with
the same message, on one gunicorn server (gunicorn.conf.py, 2 workers x 4 threads); requests per
second and their ratio, measured in the same run.

Usage: .venv/bin/python bench/bench_sendpulse.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL
to run on PostgreSQL). Client threads run on the same 2-core machine as the server."""
from __future__ import annotations

import base64
import json
import sys

import requests

from bench_api import BODY, rate
from harness import environment, gunicorn, install, save

SENDPULSE_BODY = {"email": json.dumps({
    "html": base64.b64encode(BODY["HTMLContent"].encode()).decode(), "text": None, "subject": BODY["Subject"],
    "from": BODY["From"], "to": BODY["To"]})}


def main(seconds: float) -> None:
    env = environment(GATEPOST_WEB_WORKERS="2", GATEPOST_WEB_THREADS="4",
                      GATEPOST_SENDPULSE_RATE_LIMIT="100000000 per second")
    domain, key = install(env)
    from models.db import database
    from services import credentials
    with database.connection_context():
        shown = credentials.issue(domain.user, "sendpulse")[1]
    server, root = gunicorn(env)
    try:
        base = root
        token = requests.post(base + "/oauth/access_token", timeout=10,
                              json={"grant_type": "client_credentials", **shown}).json()["access_token"]
        rate(base + "/api/v1/email", 1, {"Authorization": f"Bearer {key}"}, BODY)  # warm up
        accept = rate(base + "/api/v1/email", seconds, {"Authorization": f"Bearer {key}"}, BODY)
        sendpulse = rate(base + "/smtp/emails", seconds, {"Authorization": f"Bearer {token}"}, SENDPULSE_BODY)
    finally:
        server.terminate()
        server.wait(10)
    save("sendpulse", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn 2 workers x 4 threads",
                       "api_v1_email_rps": round(accept, 1), "sendpulse_smtp_emails_rps": round(sendpulse, 1),
                       "ratio_sendpulse_to_api_v1": round(sendpulse / accept, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
