"""Health, readiness, metrics, request ids, and 503 when the database is down."""
import json
import logging

import pytest

import config
from models.db import open_database


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_request_ids_are_kept_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_metrics_count_requests_mail_and_the_queue(client, send, deliver, sink, alice):
    client.post("/api.php", json={"Command": "EmailGateway.GetDomains", "APIKey": alice.api_key})
    send(To=[{"email": "ok@example.net"}, {"email": "bounce@example.net"}], TrackOpens=False, TrackLinks=False)
    send(To=[{"email": "later@example.net"}], SendAt=4102444800)  # 2100: stays queued
    deliver()
    text = client.get("/metrics").data.decode()
    assert 'gatepost_http_requests_total{dialect="api.php",endpoint="EmailGateway.GetDomains",status="200"}' in text
    assert 'gatepost_http_requests_total{dialect="api_v1",endpoint="/api/v1/email",status="200"}' in text
    assert 'gatepost_messages_accepted_total{source="api"}' in text
    assert 'gatepost_deliveries_total{result="delivered"}' in text and 'gatepost_deliveries_total{result="bounced"}' in text
    assert "gatepost_delivery_latency_seconds_bucket" in text
    assert 'gatepost_queue_deliveries{state="queued"} 1.0' in text
    assert "gatepost_queue_oldest_due_seconds 0.0" in text


def test_json_logs_carry_the_request_id(client, capsys, settings):
    import logs

    logs.configure("json")
    logging.getLogger("gatepost.test").info("hello", extra={"message_id": "m-1"})
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["message"] == "hello" and entry["message_id"] == "m-1" and entry["level"] == "INFO"


@pytest.fixture
def database_down(settings):
    """The app pointed at a PostgreSQL port where nothing listens; the test database comes back after."""
    from app import create_app

    app = create_app(settings.replace(database_url="postgresql://postgres@127.0.0.1:1/nowhere"))
    yield app.test_client()
    config.use(settings)
    open_database(settings.database_url)


def test_a_database_that_is_down_is_503_with_retry_after_in_each_dialect(database_down):
    legacy = database_down.post("/api.php", json={"Command": "EmailGateway.GetDomains", "APIKey": "x"})
    assert legacy.status_code == 503 and legacy.headers["Retry-After"] == "30"
    assert legacy.json["Success"] is False and b"Traceback" not in legacy.data
    v1 = database_down.get("/api/v1/webhooks", headers={"Authorization": "Bearer x"})
    assert v1.status_code == 503 and v1.json["Errors"][0]["Code"] == 503
    assert database_down.get("/readyz").status_code == 503
    assert database_down.get("/healthz").status_code == 200  # the process itself is fine
