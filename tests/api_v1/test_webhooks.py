"""/api/v1/webhooks with a sender-domain key: POST, GET, DELETE, errors, rate limit."""
import pytest

from services import accounts


@pytest.fixture
def key(api, alice, add_domain, dns_server):
    dns_server.zone.add("hooks.example.net", "A", "93.184.216.34")
    domain = add_domain(alice)
    return api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="v1")["APIKey"]["Key"]


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_add_list_delete(client, key):
    made = client.post("/api/v1/webhooks", headers=bearer(key),
                       json={"Event": "delivered", "WebhookURL": "https://hooks.example.net/d"})
    assert made.status_code == 200 and set(made.json) == {"NewWebhookID"}
    client.post("/api/v1/webhooks", headers=bearer(key), json={"event": "bounce", "webhookurl": "https://hooks.example.net/b"})
    listed = client.get("/api/v1/webhooks", headers=bearer(key)).json["Webhooks"]
    assert [(w["Event"], w["WebhookURL"], w["URL"], w["Status"]) for w in listed] == [
        ("delivered", "https://hooks.example.net/d", "https://hooks.example.net/d", "Active"),
        ("bounced", "https://hooks.example.net/b", "https://hooks.example.net/b", "Active")]
    # the seed's curl: a JSON body without a Content-Type
    gone = client.delete("/api/v1/webhooks", headers=bearer(key), data=f'{{"WebhookID":"{made.json["NewWebhookID"]}"}}')
    assert gone.status_code == 200 and gone.json == {"Message": "Webhook successfully deleted."}
    assert [w["Event"] for w in client.get("/api/v1/webhooks", headers=bearer(key)).json["Webhooks"]] == ["bounced"]


def test_sender_api_key_in_the_body_works_too(client, key):
    made = client.post("/api/v1/webhooks", json={"SenderAPIKey": key, "Event": "opened",
                                                 "WebhookURL": "https://hooks.example.net/o"})
    assert made.status_code == 200
    assert client.get("/api/v1/webhooks", query_string={"SenderAPIKey": key}).status_code == 200


@pytest.mark.parametrize("headers,body", [({}, {}), ({"Authorization": "Bearer nope"}, {}),
                                          ({}, {"SenderAPIKey": "nope"}), ({"Authorization": "Basic abc"}, {})])
def test_invalid_or_missing_key_is_13_with_401(client, headers, body):
    for method in (client.get, client.post, client.delete):
        response = method("/api/v1/webhooks", headers=headers, json=body)
        assert response.status_code == 401
        assert response.json == {"Errors": [{"Code": 13, "Message": "Invalid SenderAPIKey"}]}


def test_post_errors_list_every_failing_parameter(client, key):
    response = client.post("/api/v1/webhooks", headers=bearer(key), json={})
    assert response.status_code == 422
    assert response.json == {"Errors": [{"Code": 2, "Message": "Event is missing"},
                                        {"Code": 5, "Message": "WebhookURL is missing"}]}

    def code(body):
        return client.post("/api/v1/webhooks", headers=bearer(key), json=body).json["Errors"][0]["Code"]

    assert code({"Event": "sent", "WebhookURL": "https://hooks.example.net/"}) == 3
    assert code({"Event": "opened", "WebhookURL": "gopher://hooks.example.net/"}) == 6
    assert code({"Event": "opened", "WebhookURL": "http://10.0.0.1/"}) == 7
    assert code({"Event": "opened", "WebhookURL": "http://127.0.0.1:80\\@hooks.example.net/"}) == 6
    assert code({"Event": "opened", "WebhookURL": "http://[::ffff:127.0.0.1]/"}) == 7


@pytest.mark.parametrize("host", ["a" * 64 + ".example.net", "abcdefghi." * 26 + "net"])
def test_an_overlong_host_name_is_6_not_a_500(client, key, host):
    response = client.post("/api/v1/webhooks", headers=bearer(key), json={"Event": "opened",
                                                                        "WebhookURL": f"https://{host}/"})
    assert response.status_code == 422 and response.json["Errors"][0]["Code"] == 6


def test_delete_errors(client, key):
    missing = client.delete("/api/v1/webhooks", headers=bearer(key), json={})
    assert missing.status_code == 422 and missing.json["Errors"][0]["Code"] == 1
    unknown = client.delete("/api/v1/webhooks", headers=bearer(key), json={"WebhookID": 999999})
    assert unknown.status_code == 404 and unknown.json == {"Errors": [{"Code": 4, "Message": "Invalid WebhookID"}]}


def test_disabled_account_is_2(client, key, alice):
    accounts.set_status(alice.user, "Disabled")
    response = client.get("/api/v1/webhooks", headers=bearer(key))
    assert response.status_code == 403
    assert response.json == {"Errors": [{"Code": 2, "Message": "Invalid user account"}]}


def test_rate_limit_answers_429_with_retry_after(settings, key):
    from app import create_app

    client = create_app(settings.replace(api_rate_limit="3 per minute")).test_client()
    assert [client.get("/api/v1/webhooks", headers=bearer(key)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/webhooks", headers=bearer(key))
    assert limited.status_code == 429
    seconds = int(limited.headers["Retry-After"])
    assert 0 < seconds <= 60
    assert limited.json == {"Errors": [{"Code": 429, "Message":
                            f"Too many requests. Wait for {seconds} seconds for another 3 attempts."}]}
    # the limit is per key: another key is not held back
    assert client.get("/api/v1/webhooks", headers=bearer("other-key")).status_code == 401


def test_unexpected_failures_answer_json_without_a_traceback(client, key, caplog):
    from models import WebhookEvent

    client.post("/api/v1/webhooks", headers=bearer(key), json={"Event": "opened", "WebhookURL": "https://hooks.example.net/"})
    WebhookEvent.update(event="no-such-event").execute()  # a row no code path expects
    response = client.get("/api/v1/webhooks", headers=bearer(key))
    assert response.status_code == 500
    assert response.json == {"Errors": [{"Code": 100005, "Message": "API command failed"}]}
    assert b"Traceback" not in response.data and "GET /api/v1/webhooks failed" in caplog.text


def test_unknown_routes_and_methods_answer_json(client):
    assert client.get("/api/v1/nothing-here").json["Errors"][0]["Code"] == 404
    response = client.put("/api/v1/webhooks")
    assert response.status_code == 405 and response.json["Errors"][0]["Code"] == 405
    legacy = client.put("/api.php")
    assert legacy.status_code == 400 and legacy.json["ErrorCode"] == 100001


def test_rate_limit_counters_can_live_in_redis(settings, key):
    from app import create_app

    storage = "redis://127.0.0.1:6379"
    first = create_app(settings.replace(api_rate_limit="2 per minute", ratelimit_storage=storage)).test_client()
    second = create_app(settings.replace(api_rate_limit="2 per minute", ratelimit_storage=storage)).test_client()
    assert first.get("/api/v1/webhooks", headers=bearer(key)).status_code == 200
    assert second.get("/api/v1/webhooks", headers=bearer(key)).status_code == 200
    # two processes (here two apps) share the count: the third request anywhere is refused
    assert first.get("/api/v1/webhooks", headers=bearer(key)).status_code == 429


def test_one_request_budget_per_key_across_endpoints_with_each_seed_text(settings, key):
    from app import create_app

    client = create_app(settings.replace(api_rate_limit="2 per minute")).test_client()
    assert client.get("/api/v1/webhooks", headers=bearer(key)).status_code == 200
    assert client.get("/api/v1/events", headers=bearer(key)).status_code == 200
    events = client.get("/api/v1/events", headers=bearer(key))
    hooks = client.get("/api/v1/webhooks", headers=bearer(key))
    assert events.status_code == hooks.status_code == 429
    seconds = int(events.headers["Retry-After"])
    assert events.json["Errors"][0]["Message"] == f"Too many requests. Please wait for {seconds} seconds before trying again."
    assert hooks.json["Errors"][0]["Message"].startswith("Too many requests. Wait for ")
