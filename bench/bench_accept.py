"""Accept throughput: POST /api/v1/email (validate, compose, one transaction) against the bare
/healthz route of the same gunicorn server; requests per second and their ratio.

Usage: .venv/bin/python bench/bench_accept.py [seconds per route] (GATEPOST_BENCH_DATABASE_URL to
run on PostgreSQL). Client threads run on the same 2-core machine as the server."""
from __future__ import annotations

import socket
import sys
import threading
import time

import requests

from harness import install, environment, save, start

THREADS = 8
BODY = {"Subject": "Your receipt", "ContentType": "html", "HTMLContent": "<p>Thanks for your order.</p>" * 20,
        "From": {"name": "Shop", "email": "shop@example.com"}, "To": [{"name": "Rob", "email": "rob@example.net"}]}


def rate(url: str, seconds: float, headers: dict | None = None, body: dict | None = None) -> float:
    done, stop = [], time.monotonic() + seconds

    def client():
        session, count = requests.Session(), 0
        while time.monotonic() < stop:
            response = session.post(url, json=body, headers=headers) if body else session.get(url)
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
    env = environment()
    _, key = install(env)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
                    "wsgi:app"], env, f"http://127.0.0.1:{port}/healthz")
    try:
        base = f"http://127.0.0.1:{port}"
        rate(base + "/healthz", 1)  # warm up
        bare = rate(base + "/healthz", seconds)
        accept = rate(base + "/api/v1/email", seconds, {"Authorization": f"Bearer {key}"}, BODY)
    finally:
        server.terminate()
        server.wait(10)
    save("accept", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "server": "gunicorn -w 2 --threads 4",
                    "client_threads": THREADS, "bare_route_rps": round(bare, 1), "send_email_rps": round(accept, 1),
                    "ratio_send_to_bare": round(accept / bare, 3)})


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
