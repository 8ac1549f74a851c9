"""POST /oauth/access_token and the bearer tokens it issues: JSON or form, OAuth's error shape,
expiry, revocation, and the per-account request budget."""
import datetime

import clock
import config
from services import credentials


def test_client_credentials_buy_a_bearer_token_as_json_or_form(client, client_credentials):
    for kwargs in ({"json": {"grant_type": "client_credentials", **client_credentials}},
                   {"data": {"grant_type": "client_credentials", **client_credentials}}):
        answer = client.post("/oauth/access_token", **kwargs)
        assert answer.status_code == 200
        assert answer.json["token_type"] == "Bearer" and answer.json["expires_in"] == 3600
        listed = client.get("/smtp/emails/total", headers={"Authorization": f"Bearer {answer.json['access_token']}"})
        assert listed.status_code == 200 and listed.json == {"total": 0}


def test_bad_client_credentials_are_invalid_client(client, client_credentials):
    for body in ({**client_credentials, "client_secret": "wrong"}, {**client_credentials, "client_id": "wrong"},
                 {"client_id": "", "client_secret": ""}):
        answer = client.post("/oauth/access_token", json={"grant_type": "client_credentials", **body})
        assert answer.status_code == 401
        assert answer.json["error"] == "invalid_client" and answer.json["error_description"]
    grant = client.post("/oauth/access_token", json={"grant_type": "password", **client_credentials})
    assert grant.status_code == 400 and grant.json["error"] == "unsupported_grant_type"


def test_repeated_failures_are_refused_for_a_while(client_credentials, settings):
    from app import create_app

    client = create_app(config.current().replace(auth_failures_per_address="3 per 15 minutes")).test_client()
    body = {"grant_type": "client_credentials", "client_id": "guess", "client_secret": "guess"}
    assert [client.post("/oauth/access_token", json=body).status_code for _ in range(4)] == [401, 401, 401, 429]
    refused = client.post("/oauth/access_token", json={"grant_type": "client_credentials", **client_credentials})
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_missing_unknown_expired_and_revoked_tokens_are_401(client, sp, token, sender):
    assert sp("GET", "/smtp/ips").status_code == 200
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": token}):
        answer = client.get("/smtp/ips", headers=header)
        assert answer.status_code == 401 and answer.json["error_code"] == 401
    clock.shift(datetime.timedelta(hours=1, seconds=1))
    assert sp("GET", "/smtp/ips").status_code == 401
    clock.shift(None)
    assert sp("GET", "/smtp/ips").status_code == 200
    [client_row] = credentials.list_for(sender.account.user, "sendpulse")
    credentials.revoke(sender.account.user, client_row.id)  # its tokens go with it
    assert sp("GET", "/smtp/ips").status_code == 401


def test_expired_tokens_are_pruned_a_day_later(sp, sender):
    from services import retention

    user = sender.account.user
    assert len(credentials.list_for(user, "sendpulse-token")) == 1
    clock.shift(datetime.timedelta(hours=24))
    assert retention.prune()["credentials"] == 0  # expired, but kept a day
    clock.shift(datetime.timedelta(hours=25, seconds=1))
    assert retention.prune()["credentials"] == 1
    assert credentials.list_for(user, "sendpulse-token") == [] and len(credentials.list_for(user, "sendpulse")) == 1


def test_each_account_has_a_request_budget(sp):
    assert config.Settings.sendpulse_rate_limit == "10 per second"  # SendPulse's; an hour here, so no clock races
    config.use(config.current().replace(sendpulse_rate_limit="10 per hour"))
    statuses = [sp("GET", "/smtp/emails/total").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    refused = sp("GET", "/smtp/emails/total")
    assert refused.json == {"error_code": 429, "message": "Too many requests"} and refused.headers["Retry-After"] == "3600"


def test_routing_errors_and_crashes_answer_in_sendpulse_shape(sp, client):
    missing = sp("GET", "/smtp/nothing-here")
    assert missing.status_code == 404 and missing.json["error_code"] == 404
    wrong = sp("PUT", "/smtp/ips")
    assert wrong.status_code == 405 and wrong.json["error_code"] == 405
