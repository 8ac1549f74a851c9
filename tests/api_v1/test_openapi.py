"""GET /api/v1/openapi.json and /api/v1/docs: a valid OpenAPI 3 document that says what the code does."""
import re
from importlib.metadata import version

import pytest
from openapi_spec_validator import validate

from api_v1.events import EventsParams
from api_v1.webhooks import AddParams, DeleteParams
from edge.octeth_send import ERRORS, SendEmailParams

OPERATIONS = {("/api/v1/email", "post"), ("/api/v1/webhooks", "post"), ("/api/v1/webhooks", "get"),
              ("/api/v1/webhooks", "delete"), ("/api/v1/events", "get")}


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def schema(doc, name):
    return doc["components"]["schemas"][name]


def codes(response: dict) -> dict[int, str]:
    return {item["Code"]: item["Message"] for item in response["x-error-codes"]}


def test_the_document_is_valid_openapi_3(doc):
    validate(doc)
    assert doc["openapi"] == "3.0.3"
    assert doc["info"]["title"] == "Gatepost /api/v1" and doc["info"]["version"] == version("gatepost")
    assert "case-insensitive" in doc["info"]["description"]


def test_every_operation_is_listed_with_bearer_security(doc):
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert listed == OPERATIONS
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "Authorization: Bearer <sender-domain API key>"}
    assert doc["components"]["securitySchemes"]["SenderAPIKey"]["name"] == "SenderAPIKey"
    for path, method in OPERATIONS:
        operation = doc["paths"][path][method]
        assert {"bearer": []} in operation["security"], (path, method)
        assert "200" in operation["responses"] and {"401", "429", "500"} <= set(operation["responses"])


def test_request_fields_are_named_as_octeth_spells_them(doc):
    for name, params in (("SendEmailParams", SendEmailParams), ("AddWebhookParams", AddParams),
                         ("DeleteWebhookParams", DeleteParams)):
        documented = schema(doc, name)
        assert set(documented["properties"]) == set(params._declared_fields), name
        assert sorted(documented.get("required", [])) == sorted(
            field for field, obj in params._declared_fields.items() if obj.required), name
    parameters = doc["paths"]["/api/v1/events"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == list(EventsParams._declared_fields)
    assert {p["in"] for p in parameters} == {"query"}


def test_the_send_body_has_the_types_the_fields_read(doc):
    props = schema(doc, "SendEmailParams")["properties"]
    address = {"type": "object", "required": ["email"],
               "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}}
    assert {k: v for k, v in props["From"].items() if k != "description"} == address
    for field in ("To", "CC", "BCC", "ReplyTo"):
        assert props[field]["type"] == "array" and props[field]["items"] == address
    attachment = props["Attachments"]["items"]
    assert props["Attachments"]["type"] == "array" and attachment["required"] == ["filename", "content"]
    assert set(attachment["properties"]) == {"filename", "content", "type", "disposition", "contentid"}
    assert attachment["properties"]["content"]["format"] == "byte"
    assert props["Headers"]["type"] == "object" and props["Headers"]["additionalProperties"] == {"type": "string"}
    assert props["Tags"]["type"] == "array" and props["Tags"]["items"]["type"] == "string"
    assert props["SendAt"]["type"] == "integer"
    assert props["TrackLinks"]["type"] == props["TrackOpens"]["type"] == "boolean"
    for field in ("Subject", "ContentType", "HTMLContent", "PlainContent"):
        assert props[field]["type"] == "string"
    assert props["ContentType"]["enum"] == ["html", "plain"]


def test_the_email_error_responses_list_the_codes_of_the_errors_table(doc):
    responses = doc["paths"]["/api/v1/email"]["post"]["responses"]
    by_status: dict[int, dict[int, str]] = {}
    for code, (text, status) in ERRORS.items():
        by_status.setdefault(status, {})[code] = text
    assert {401, 403, 409, 413, 422, 429} <= set(by_status)
    for status, expected in by_status.items():
        documented = codes(responses[str(status)])
        assert {c: documented[c] for c in expected} == expected, status
        for code in expected:
            assert re.search(rf"`{code}` ", responses[str(status)]["description"]), (status, code)
        assert responses[str(status)]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Errors"}
    assert set(codes(responses["401"])) == {1, 13}
    assert set(codes(responses["429"])) == {17, 429}
    assert codes(responses["500"]) == {100005: "API command failed"}
    assert codes(responses["400"]) == {100000: "Invalid JSON request body"}


def test_429_documents_retry_after_everywhere(doc):
    for path, method in OPERATIONS:
        limited = doc["paths"][path][method]["responses"]["429"]
        assert limited["headers"]["Retry-After"]["schema"] == {"type": "integer"}
        assert 429 in codes(limited)


def test_the_error_shape_is_the_one_the_dialect_answers(doc):
    assert schema(doc, "Errors")["properties"]["Errors"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}}
    assert schema(doc, "ErrorItem")["properties"] == {"Code": {"type": "integer"}, "Message": {"type": "string"}}


@pytest.mark.parametrize("method,path,kwargs", [
    ("post", "/api/v1/email", {"json": {"Subject": "x"}}),
    ("post", "/api/v1/email", {"key": True, "json": {"ContentType": "html", "To": "nobody", "SendAt": "soon"}}),
    ("post", "/api/v1/email", {"key": True, "data": "{not json"}),
    ("get", "/api/v1/events", {}),
    ("get", "/api/v1/events", {"headers": {"Authorization": "Bearer wrong"}}),
    ("get", "/api/v1/events", {"key": True, "query_string": {"StartFrom": "-1", "RetrieveCount": "x", "Event": "?"}}),
    ("get", "/api/v1/webhooks", {"headers": {"Authorization": "Bearer wrong"}}),
    ("post", "/api/v1/webhooks", {"key": True, "json": {"Event": "nope"}}),
    ("post", "/api/v1/webhooks", {"key": True, "json": {"Event": "delivered", "WebhookURL": "ftp://x"}}),
    ("delete", "/api/v1/webhooks", {"key": True, "json": {}}),
    ("delete", "/api/v1/webhooks", {"key": True, "json": {"WebhookID": 999999}}),
])
def test_live_errors_are_documented(client, doc, sender, method, path, kwargs):
    """The hand-written tables (webhooks, events) against what the views answer."""
    if kwargs.pop("key", False):
        kwargs["headers"] = {"Authorization": f"Bearer {sender.key}"}
    response = getattr(client, method)(path, **kwargs)
    documented = doc["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, response.json
    answered = {e["Code"] for e in response.json["Errors"]}
    everywhere = {code for r in documented.values() if "x-error-codes" in r for code in codes(r)}
    assert answered <= everywhere, (answered, response.json)
    assert min(answered) in codes(documented[str(response.status_code)])


def test_the_docs_page_is_self_contained(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'fetch("openapi.json")' in page
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|\bsrc=|@import", page, re.I)


@pytest.mark.parametrize("method,path,kwargs", [
    ("delete", "/api/v1/webhooks", {"json": {"WebhookID": 2**64}}),
    ("get", "/api/v1/events", {"query_string": {"StartFrom": str(2**64)}}),
])
def test_integers_beyond_64_bits_are_refused(client, sender, method, path, kwargs):
    """Found by test_schemathesis.py: they used to reach the database and answer 500."""
    response = getattr(client, method)(path, headers={"Authorization": f"Bearer {sender.key}"}, **kwargs)
    assert response.status_code < 500 and response.json["Errors"], response.json
