"""Fixtures every test shares: settings on a throw-away var dir, a real database (SQLite by
default, PostgreSQL or MySQL when GATEPOST_DATABASE_URL names one), a real DNS server on
loopback, the Flask app and client, and helpers to call /api.php as a client would."""
from __future__ import annotations

import os
from dataclasses import dataclass

import peewee
import pytest

import app  # noqa: F401  (the dialects register their commands and webhook formats)
import clock
import config
from models import MODELS, User
from models.db import database, migrate, open_database
from services import accounts, delivery
from tests.dns_server import LoopbackDNS


def _reset_schema(db) -> None:
    """Drop every table so the migrations run from scratch on a shared test database."""
    tables = db.get_tables()
    if not tables:
        return
    if isinstance(db, peewee.PostgresqlDatabase):  # pooled or not
        db.execute_sql("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    elif isinstance(db, peewee.MySQLDatabase):
        db.execute_sql("SET FOREIGN_KEY_CHECKS = 0")
        for table in tables:
            db.execute_sql(f"DROP TABLE IF EXISTS `{table}`")
        db.execute_sql("SET FOREIGN_KEY_CHECKS = 1")
    else:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
        db.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(scope="session")
def dns_server():
    server = LoopbackDNS()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory, dns_server):
    var_dir = tmp_path_factory.mktemp("var")
    url = os.environ.get("GATEPOST_DATABASE_URL") or f"sqlite:///{var_dir / 'gatepost.db'}"
    settings = config.Settings(var_dir=var_dir, database_url=url, secret_key="test-secret-key",
                               mail_host="mx.gatepost.test", tracking_host="track.gatepost.test",
                               spf_include="spf.gatepost.test", smtp_host="smtp.gatepost.test",
                               dns_servers=(dns_server.address,), dns_timeout=1.0,
                               password_hash_profile="CHEAPEST")  # argon2's real costs are 0.1-0.4 s a user
    config.use(settings)
    db = open_database(url)
    with database.connection_context():
        _reset_schema(db)
    migrate()
    return settings


@pytest.fixture
def settings(base_settings, dns_server):
    """Fresh settings, clock, zone and rows for every test."""
    config.use(base_settings)
    clock.shift(None)
    dns_server.zone.clear()
    database.connect(reuse_if_open=True)
    yield base_settings
    delivery.SESSIONS.close_idle(0)  # a session kept open for a next pass is no test's business but its own
    config.use(base_settings)
    clock.shift(None)
    for model in reversed(MODELS):
        model.delete().execute()
    database.close()


@pytest.fixture
def app(settings):
    """The app on the settings in force when it is made (fixtures before it may have changed them)."""
    from app import create_app

    return create_app(config.current())


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Account:
    user: User
    api_key: str
    password: str


@pytest.fixture
def make_user(settings):
    """make_user(email=..., **create_user options) -> Account with its API key and password."""
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = "secret-password", **options) -> Account:
        user, key = accounts.create_user(email or f"user{next(counter)}@example.com", password, **options)
        return Account(user, key, password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user("bob@example.com")


@pytest.fixture
def api(client):
    """api(account, "EmailGateway.X", **params) -> JSON answer of a JSON POST to /api.php."""

    def call(account: Account | None, command: str, **params):
        body = {"Command": command, **params}
        if account is not None:
            body["APIKey"] = account.api_key
        response = client.post("/api.php", json=body)
        assert response.status_code == 200, response.data
        return response.json

    return call


@pytest.fixture
def add_domain(api):
    def add(account: Account, name: str = "example.com", **params) -> dict:
        answer = api(account, "EmailGateway.AddDomain", DomainName=name, **params)
        assert answer["Success"], answer
        return answer["Domain"]

    return add


def publish(zone, domain, **replace) -> None:
    """Publish a domain's expected records in the loopback zone; `replace={purpose: value}`
    publishes another value instead (None: leave that record out)."""
    from services import dns_records

    for record in dns_records.records(domain):
        value = replace.get(record.purpose, record.value)
        if value is None:
            continue
        if record.type == "MX":
            preference, host = value.split()
            zone.add(record.host, "MX", (int(preference), host))
        else:
            zone.add(record.host, record.type, value)


@pytest.fixture(scope="session")
def smtp_server():
    from tests.smtp_sink import SMTPSink

    server = SMTPSink().start()
    yield server
    server.stop()


@pytest.fixture
def sink(smtp_server, settings, dns_server):
    """The loopback SMTP sink as the MX of example.net and example.org (mx_port points at it)."""
    smtp_server.reset()
    smtp_server.slow_seconds = 3.0
    for domain in ("example.net", "example.org"):
        dns_server.zone.add(domain, "MX", (10, f"mx.{domain}"))
        dns_server.zone.add(f"mx.{domain}", "A", "127.0.0.1")
    config.use(config.current().replace(mx_port=smtp_server.port, smtp_timeout=5.0))
    return smtp_server


@dataclass
class Sender:
    account: Account
    domain: object
    key: str


@pytest.fixture
def sender(alice, dns_server):
    """Alice with example.com Enabled, its DNS records published, and a sender API key."""
    from services import api_keys, domains

    domain = domains.add(alice.user, "example.com")
    domains.set_status(domain, "Enabled")
    publish(dns_server.zone, domain)
    _, key = api_keys.add(alice.user, domain.id, "tests")
    return Sender(alice, domain, key)


@pytest.fixture
def send(client, sender):
    """send(**overrides) -> the response of POST /api/v1/email with a valid message."""

    def post(key: str | None = None, **overrides):
        body = {"Subject": "Hello", "ContentType": "html", "HTMLContent": "<p>Hello <b>world</b></p>",
                "From": {"name": "Alice", "email": "alice@example.com"},
                "To": [{"name": "Rob", "email": "rob@example.net"}]}
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not None}
        return client.post("/api/v1/email", json=body, headers={"Authorization": f"Bearer {key or sender.key}"})

    return post


@pytest.fixture
def deliver(sink):
    """deliver() runs delivery passes until nothing is due; returns how many were handled."""
    from services import delivery

    def run(owner: str = "test-worker", passes: int = 20) -> int:
        total = 0
        for _ in range(passes):
            handled = delivery.run_once(owner)
            if not handled:
                break
            total += handled
        return total

    return run


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
