"""Shared by the benchmarks: a throw-away Gatepost (database, sender, key) and result files."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
from models.db import database, migrate, open_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def environment(**extra) -> dict:
    """Settings for a fresh installation in a temp dir (or GATEPOST_BENCH_DATABASE_URL)."""
    var = Path(tempfile.mkdtemp(prefix="gatepost-bench-"))
    url = os.environ.get("GATEPOST_BENCH_DATABASE_URL") or f"sqlite:///{var / 'gatepost.db'}"
    env = dict(os.environ, GATEPOST_VAR_DIR=str(var), GATEPOST_DATABASE_URL=url, GATEPOST_SECRET_KEY="bench-secret",
               GATEPOST_API_RATE_LIMIT="100000000 per minute", GATEPOST_MAIL_HOST="mx.gatepost.test", **extra)
    return env


def install(env: dict):
    """Migrate, and make a user with an Enabled domain and a sender key; returns (domain, key)."""
    config.use(config.Settings.from_env(env))
    open_database(env["GATEPOST_DATABASE_URL"])
    with database.connection_context():
        for table in reversed(database.get_tables()):
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE' if "postgres" in env["GATEPOST_DATABASE_URL"]
                                 else f"DROP TABLE IF EXISTS {table}")
    migrate()
    from services import accounts, api_keys, domains
    with database.connection_context():
        user, _ = accounts.create_user("bench@example.com", "bench-password")
        domain = domains.add(user, "example.com")
        domains.set_status(domain, "Enabled")
        _, key = api_keys.add(user, domain.id, "bench")
    return domain, key


def start(command: list[str], env: dict, ready_url: str | None = None) -> subprocess.Popen:
    import requests

    log = open(Path(env["GATEPOST_VAR_DIR"]) / "server.log", "w")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            if ready_url is None or requests.get(ready_url, timeout=1).ok:
                return process
        except requests.RequestException:  # not listening yet, or still booting a worker
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def gunicorn(env: dict) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn.conf.py on a free loopback port, once /healthz answers: (process, base URL)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = f"http://127.0.0.1:{port}"
    return start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                  "--access-logfile", "/dev/null", "wsgi:app"], env, f"{root}/healthz"), root


def save(name: str, figures: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures = dict(figures, machine=f"{platform.machine()} {os.cpu_count()} cpu", python=platform.python_version())
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
