"""What Laravel answers outside a route's own contract, and the paths shared with /api/v1."""


def test_unknown_route_and_wrong_method_as_laravel_answers_them(call, client):
    missing = call("GET", "/api/v1/smtp-nothing")
    assert missing.status_code == 404 and missing.json == {"message": "The route api/v1/smtp-nothing could not be found."}
    wrong = call("GET", "/api/v1/smtp-domain-add")
    assert wrong.status_code == 405 and wrong.json == {
        "message": "The GET method is not supported for route api/v1/smtp-domain-add. Supported methods: POST."}
    assert wrong.headers["Allow"] == "POST"


def test_the_octeth_rest_paths_keep_their_own_shape(client, token):
    octeth = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"})
    assert octeth.status_code == 401 and "Errors" in octeth.json
    assert client.get("/api/v1/nothing").json["Errors"][0]["Code"] == 404


def test_a_body_that_is_not_json(client, token):
    answer = client.post("/api/v1/smtp-mailing-add", data="{not json", content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.json == {"success": False, "data": ["The request body is not valid JSON."]}


def test_a_form_body_is_read_like_json(client, token):
    answer = client.post("/api/v1/smtp-mailing-add", data={"user_id": "123", "name": "From a form"},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json["data"]["mailing"]["name"] == "From a form"


def test_nested_and_wrong_types_are_validation_errors_never_500(call):
    for body in ({"user_id": [1], "name": {"a": 1}}, {"user_id": True, "name": 5}, {"user_id": 1.5, "name": None}):
        answer = call("POST", "/api/v1/smtp-mailing-add", body)
        assert answer.status_code == 422 and answer.json["data"][0] == "The user id field must be an integer."


def test_requests_are_throttled_per_token_as_laravels_throttle_api(client, token, settings):
    import config
    from app import create_app

    config.use(settings.replace(api_rate_limit="3 per minute", ratelimit_storage="memory://"))
    fresh = create_app(config.current()).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert fresh.get("/api/v1/smtp-mailing-list", headers=headers).status_code == 200
    refused = fresh.get("/api/v1/smtp-mailing-list", headers=headers)
    assert refused.status_code == 429 and refused.json == {"message": "Too Many Attempts."}
    assert int(refused.headers["Retry-After"]) >= 1 and refused.headers["X-RateLimit-Limit"] == "3"
    assert fresh.get("/api/v1/smtp-mailing-list").status_code == 401  # no token: the address's own budget
