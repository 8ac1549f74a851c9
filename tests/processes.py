"""Real `gatepost` processes for the tests: the environment they run in (the test database, the
loopback DNS server and sink, free ports) and `gatepost serve` started and stopped."""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import free_port

GATEPOST = [sys.executable, "-c", "import cli; cli.main()"]
ROOT = Path(__file__).resolve().parents[1]


def environment(settings, sink, dns_server, var_dir, **extra: str) -> dict[str, str]:
    return dict(os.environ, GATEPOST_DATABASE_URL=settings.database_url, GATEPOST_SECRET_KEY=settings.secret_key,
                GATEPOST_PASSWORD_HASH_PROFILE=settings.password_hash_profile, GATEPOST_VAR_DIR=str(var_dir), GATEPOST_DNS_SERVERS=dns_server.address,
                GATEPOST_MX_PORT=str(sink.port), GATEPOST_MAIL_HOST=settings.mail_host, PYTHONUNBUFFERED="1",
                GATEPOST_SMTP_PORTS=str(free_port()), GATEPOST_SMTP_TLS_PORT=str(free_port()),
                GATEPOST_INBOUND_PORT=str(free_port()), **extra)


@contextlib.contextmanager
def serve(env: dict[str, str]):
    """`gatepost serve` on a free port; yields its base URL (http://127.0.0.1:PORT)."""
    process = subprocess.Popen(GATEPOST + ["serve", "--port", "0"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port, said = None, []
        for line in process.stdout:
            said.append(line)
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/api\.php", line)
            if found:
                port = found[1]
                threading.Thread(target=process.stdout.read, daemon=True).start()  # drained: its pipe never fills
                break
        assert port, "serve did not say where it listens:\n" + "".join(said[-20:])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()  # and killed if it has not stopped in 30 s: left behind, it would write to the next test's rows
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
