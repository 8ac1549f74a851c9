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


@pytest.fixture
def metrics_token(settings):
    config.use(config.current().replace(metrics_token="scrape-me"))
    return {"Authorization": "Bearer scrape-me"}


def test_metrics_are_opt_in_and_need_the_token(client, settings):
    assert client.get("/metrics").status_code == 404  # no token configured: no /metrics at all
    config.use(settings.replace(metrics_token="scrape-me"))
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_metrics_count_requests_mail_and_the_queue(client, send, deliver, sink, alice, metrics_token):
    client.post("/api.php", json={"Command": "EmailGateway.GetDomains", "APIKey": alice.api_key})
    send(To=[{"email": "ok@example.net"}, {"email": "bounce@example.net"}], TrackOpens=False, TrackLinks=False)
    send(To=[{"email": "later@example.net"}], SendAt=4102444800)  # 2100: stays queued
    deliver()
    text = client.get("/metrics", headers=metrics_token).data.decode()
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


def test_a_body_over_the_limit_is_refused_in_each_dialect(settings, sender):
    from app import create_app

    small = settings.replace(max_message_bytes=1000)  # so the request limit is about 1 MB
    client = create_app(small).test_client()
    big = b"x" * (small.max_request_bytes + 1)
    legacy = client.post("/api.php", data=big, content_type="application/x-www-form-urlencoded")
    assert legacy.status_code == 413 and legacy.json["ErrorCode"] == 42
    v1 = client.post("/api/v1/email", data=big, content_type="application/json",
                     headers={"Authorization": f"Bearer {sender.key}"})
    assert v1.status_code == 413 and v1.json["Errors"][0]["Code"] == 42


def test_a_large_body_with_a_wrong_key_is_refused_before_it_is_read(client, sender):
    body = json.dumps({"Subject": "x" * 100_000}).encode()
    wrong = client.post("/api/v1/email", data=body, content_type="application/json",
                        headers={"Authorization": "Bearer not-a-key"})
    assert wrong.status_code == 401 and wrong.json["Errors"][0]["Code"] == 13
    right = client.post("/api/v1/email", data=body, content_type="application/json",
                        headers={"Authorization": f"Bearer {sender.key}"})
    assert right.status_code == 422  # read, validated: a real answer about the message


def test_credentials_in_query_strings_never_reach_the_log(capsys, settings):
    import logs

    logs.configure("text")
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s" 200 -',
                                       "GET /api.php?Command=X&APIKey=AAAA-BBBB&SessionID=s3cr3t&smtppassword=pw HTTP/1.1")
    line = capsys.readouterr().err
    assert "AAAA-BBBB" not in line and "s3cr3t" not in line and "pw HTTP" not in line
    assert "APIKey=[redacted]" in line and "Command=X" in line


def test_the_sqlite_database_is_owner_only(settings, tmp_path):
    import os
    import stat

    from models.db import database

    url = f"sqlite:///{tmp_path / 'fresh' / 'gatepost.db'}"
    try:
        open_database(url)
        database.connect()
        database.execute_sql("CREATE TABLE t (x INTEGER)")
        database.close()
        assert stat.S_IMODE(os.stat(tmp_path / "fresh").st_mode) == 0o700
        assert stat.S_IMODE(os.stat(tmp_path / "fresh" / "gatepost.db").st_mode) == 0o600
    finally:
        open_database(settings.database_url)
