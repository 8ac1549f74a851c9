"""POST /api/smtp-token-generate and the bearer token every other call presents."""
import re

import pytest

import config
from models import Credential
from services import credentials
from tests.dialects.smtpprovider import seed


def test_the_seed_token_body_gets_a_sanctum_token_for_the_seed_user(client, demo):
    answer = client.post("/api/smtp-token-generate", json=seed.TOKEN, headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert list(answer.json) == ["status", "message", "token", "user"]
    assert answer.json["status"] is True and answer.json["message"] == "Token Created Successfully"
    assert answer.json["user"] == {"id": 123, "name": "Demo User", "email": "user@example.com"}
    ident, secret = re.fullmatch(r"(\d+)\|([0-9a-f]{40})", answer.json["token"]).groups()
    row = Credential.get_by_id(int(ident))
    assert (row.kind, row.user_id) == ("smtpprovider", 123) and secret not in row.secret_hash  # stored hashed


def test_every_call_makes_a_new_token_listed_and_revocable_per_user(client, call, demo):
    second = client.post("/api/smtp-token-generate", json=seed.TOKEN).json["token"]
    assert len(credentials.list_for(demo, "smtpprovider")) == 2
    assert call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY, bearer=second).status_code == 200
    credentials.revoke(demo, int(second.partition("|")[0]))
    refused = call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY, bearer=second)
    assert refused.status_code == 401 and refused.json == {"message": "Unauthenticated."}
    assert call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY).status_code == 200  # the other one lives on


@pytest.mark.parametrize("body", [{"email": "user@example.com", "password": "wrong"},
                                  {"email": "nobody@example.com", "password": "secret-password"},
                                  {"email": "user@example.com", "password": " secret-password"}])
def test_wrong_credentials(client, demo, body):
    answer = client.post("/api/smtp-token-generate", json=body)
    assert answer.status_code == 401
    assert answer.json == {"status": False, "message": "Invalid email or password"}


@pytest.mark.parametrize("body,message", [
    ({}, "The email field is required. (and 1 more error)"),
    ({"email": "user@example.com"}, "The password field is required."),
    ({"email": "not an address", "password": "x"}, "The email field must be a valid email address."),
    ({"email": ["user@example.com"], "password": "x"}, "The email field must be a string.")])
def test_validation_in_the_token_envelope(client, demo, body, message):
    answer = client.post("/api/smtp-token-generate", json=body)
    assert answer.status_code == 422 and answer.json == {"status": False, "message": message}


def test_failed_attempts_are_throttled_per_email(client, demo, settings):
    config.use(settings.replace(login_failures_per_user="2 per minute"))
    from app import create_app

    fresh = create_app(config.current()).test_client()
    for _ in range(2):
        assert fresh.post("/api/smtp-token-generate", json={**seed.TOKEN, "password": "no"}).status_code == 401
    refused = fresh.post("/api/smtp-token-generate", json=seed.TOKEN)  # even the right password, for now
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json["status"] is False and refused.json["message"].startswith("Too many login attempts.")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer 1|nope", "Basic dXNlcjpwYXNz", "Bearer |"])
def test_a_missing_or_unknown_token_is_unauthenticated(client, token, header):
    headers = {"Accept": "application/json"} | ({"Authorization": header} if header else {})
    answer = client.get("/api/v1/smtp-domain-list", query_string=seed.USER_QUERY, headers=headers)
    assert answer.status_code == 401 and answer.json == {"message": "Unauthenticated."}


def test_the_id_half_must_be_the_tokens_own(call, token):
    ident, _, secret = token.partition("|")
    assert call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY, bearer=secret).status_code == 200  # bare: as Sanctum
    wrong = f"{int(ident) + 1}|{secret}"
    assert call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY, bearer=wrong).status_code == 401


def test_a_disabled_users_token_stops_working(call, demo):
    from services import accounts

    accounts.set_status(demo, "Disabled")
    assert call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY).status_code == 401


def test_user_id_is_required_and_must_be_the_tokens_user(call):
    missing = call("GET", "/api/v1/smtp-domain-list")
    assert missing.status_code == 422
    assert missing.json == {"success": False, "data": ["The user id field is required."]}  # the seed's own example
    other = call("GET", "/api/v1/smtp-domain-list", {"user_id": 124})
    assert other.status_code == 403 and other.json["success"] is False
    assert other.json["data"] == ["Wrong user id: it must be the id of the token's user."]
    assert call("GET", "/api/v1/smtp-domain-list", {"user_id": "123"}).status_code == 200  # a query string is text
    assert call("GET", "/api/v1/smtp-domain-list", {"user_id": "12x"}).json["data"] == [
        "The user id field must be an integer."]
