"""The seed's own requests, sent as its curl examples send them, answered with the types it
shows (IDs are strings or numbers per field) and, for a given but unusable ID, the command's
"invalid / not found" code rather than 1 "missing"."""
import json

import pytest


def curl(client, body: dict) -> dict:
    """curl -X POST /api.php -H "Content-Type: application/json" -d '{...}'"""
    response = client.post("/api.php", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.data
    return response.json


@pytest.fixture
def seeded(client, alice, dns_server):
    """A domain, an API key, an SMTP credential and a webhook, made with the seed's requests
    (IDs sent as strings, as the seed sends them)."""
    dns_server.zone.add("yourdomain.com", "A", "93.184.216.34")
    auth = {"APIKey": alice.api_key}
    domain = curl(client, {**auth, "Command": "EmailGateway.AddDomain", "DomainName": "example.com"})
    domain_id = str(domain["NewSenderDomainID"])
    key = curl(client, {**auth, "Command": "EmailGateway.AddAPI", "Description": "My new API key",
                        "DomainID": domain_id})
    smtp = curl(client, {**auth, "Command": "EmailGateway.AddSMTP", "DomainID": domain_id})
    hook = curl(client, {**auth, "Command": "EmailGateway.AddWebhook", "DomainID": domain_id, "Event": "bounce",
                         "WebhookURL": "https://yourdomain.com/webhook"})
    return {"auth": auth, "domain": domain, "key": key, "smtp": smtp, "hook": hook, "domain_id": domain_id}


def test_ids_have_the_types_the_seed_shows(client, alice, seeded):
    auth, domain_id = seeded["auth"], seeded["domain_id"]
    assert isinstance(seeded["domain"]["NewSenderDomainID"], int)  # "NewSenderDomainID": 12345
    assert isinstance(seeded["key"]["NewAPIKeyID"], str)  # "NewAPIKeyID": "new-api-key-id"
    assert seeded["key"]["APIKey"]["DomainID"] == domain_id  # "DomainID": "123"
    assert isinstance(seeded["smtp"]["NewSMTPID"], str)  # "NewSMTPID": "new-smtp-id"
    assert isinstance(seeded["hook"]["NewWebhookID"], str)  # "NewWebhookID": "456"

    got = curl(client, {**auth, "Command": "EmailGateway.GetDomain", "DomainID": int(domain_id)})
    assert got["Domain"]["DomainID"] == int(domain_id)  # "DomainID": 123
    listed = curl(client, {**auth, "Command": "EmailGateway.GetDomains"})["Domains"]
    assert [d["DomainID"] for d in listed] == [domain_id]  # "DomainID": "123"
    keys = curl(client, {**auth, "Command": "EmailGateway.GetAPIs", "DomainID": int(domain_id)})["APIKeys"]
    assert [(k["KeyID"], k["DomainID"], k["UserID"]) for k in keys] == [
        (seeded["key"]["NewAPIKeyID"], domain_id, str(alice.user.id))]
    smtps = curl(client, {**auth, "Command": "EmailGateway.GetSMTPs", "DomainID": int(domain_id)})["SMTPs"]
    assert [s["SMTPID"] for s in smtps] == [seeded["smtp"]["NewSMTPID"]]  # "SMTPID": "smtp-id"
    reset = curl(client, {**auth, "Command": "EmailGateway.ResetSMTPPassword", "smtpid": seeded["smtp"]["NewSMTPID"]})
    assert reset["SMTP"]["SMTPID"] == seeded["smtp"]["NewSMTPID"]  # "SMTPID": "your-smtp-id"
    hooks = curl(client, {**auth, "Command": "EmailGateway.GetWebhooks", "DomainID": domain_id})["Webhooks"]
    assert [h["WebhookID"] for h in hooks] == [seeded["hook"]["NewWebhookID"]]  # "WebhookID": "webhook-id-1"
    updated = curl(client, {**auth, "Command": "EmailGateway.UpdateDomain", "DomainID": domain_id,
                            "LinkTracking": "1", "OpenTracking": "1", "UnsubscribeLink": "1",
                            "HostingProvider": "YourHostingProvider", "Subdomain": "mail"})
    assert updated["Domain"]["DomainID"] == domain_id  # "DomainID": "123"
    verified = curl(client, {**auth, "Command": "EmailGateway.VerifyDomain", "DomainID": domain_id})
    assert verified["Domain"]["DomainID"] == domain_id  # "DomainID": "123"


def test_v1_webhook_ids_are_strings(client, seeded):
    key = seeded["key"]["APIKey"]["Key"]
    made = client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"},
                       data=json.dumps({"Event": "delivered", "WebhookURL": "https://yourdomain.com/webhook"}),
                       content_type="application/json")
    assert made.status_code == 200 and isinstance(made.json["NewWebhookID"], str)  # "NewWebhookID": "12345"
    listed = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"}).json["Webhooks"]
    assert made.json["NewWebhookID"] in [w["WebhookID"] for w in listed]


# (command, the ID parameter as the seed spells it, the code for a given but unusable ID)
UNUSABLE = [
    ("EmailGateway.GetDomain", "DomainID", 2),
    ("EmailGateway.UpdateDomain", "DomainID", 5),
    ("EmailGateway.DeleteDomain", "DomainID", 2),
    ("EmailGateway.RegenerateSigningKey", "DomainID", 2),
    ("EmailGateway.VerifyDomain", "DomainID", 2),
    ("EmailGateway.ClearDomainQueue", "DomainID", 2),
    ("EmailGateway.DomainStats", "DomainID", 2),
    ("EmailGateway.AggrEvents", "DomainID", 2),
    ("EmailGateway.GetEvents", "DomainID", 2),
    ("EmailGateway.DailySeries", "DomainID", 2),
    ("EmailGateway.AddAPI", "DomainID", 2),  # "2: Missing or invalid 'DomainID' parameter", 3 when unknown
    ("EmailGateway.ReplaceAPI", "DomainID", 2),
    ("EmailGateway.GetAPIs", "DomainID", 2),
    ("EmailGateway.DeleteAPI", "ApiKeyId", 2),
    ("EmailGateway.AddSMTP", "DomainID", 2),
    ("EmailGateway.GetSMTPs", "DomainID", 2),
    ("EmailGateway.DeleteSMTP", "smtpid", 2),
    ("EmailGateway.ResetSMTPPassword", "smtpid", 2),
    ("EmailGateway.AddWebhook", "DomainID", [4]),
    ("EmailGateway.GetWebhooks", "DomainID", 2),
    ("EmailGateway.DeleteWebhook", "DomainID", 2),
    ("EmailGateway.DeleteWebhook", "WebhookID", 4),
]
UNKNOWN = {"EmailGateway.AddAPI": 3, "EmailGateway.ReplaceAPI": 3}  # a number that names no domain
OPTIONAL = {"EmailGateway.GetEvents", "EmailGateway.DailySeries"}  # DomainID 0 there means all domains
OTHERS = {"Description": "My new API key", "Event": "bounce", "WebhookURL": "https://yourdomain.com/webhook",
          "StartFrom": 0, "RetrieveCount": 50}


CASES = [(command, param, value, UNKNOWN.get(command, code) if value == "99999999" else code)
         for command, param, code in UNUSABLE for value in ("your-api-key-id", "0", "-5", "99999999", "12.5x")
         if not (value == "0" and command in OPTIONAL)]


@pytest.mark.parametrize("command,param,value,code", CASES, ids=[f"{c}-{p}-{v}" for c, p, v, _ in CASES])
def test_a_given_but_unusable_id_is_not_missing(client, seeded, command, param, value, code):
    """The seed's DeleteAPI example sends "ApiKeyId": "your-api-key-id"; every ID given that
    way, or naming nothing, answers the command's "invalid / not found" code."""
    real = {"DomainID": seeded["domain_id"], "WebhookID": seeded["hook"]["NewWebhookID"]}
    body = {**seeded["auth"], "Command": command, **OTHERS, **{k: v for k, v in real.items() if k != param},
            param: value}
    answer = curl(client, body)
    assert answer["Success"] is False and answer["ErrorCode"] == code, answer


def test_the_seed_delete_api_example(client, seeded):
    body = {"SessionID": "your-session-id", "APIKey": seeded["auth"]["APIKey"], "Command": "EmailGateway.DeleteAPI",
            "ApiKeyId": "your-api-key-id"}
    answer = curl(client, body)
    assert (answer["ErrorCode"], answer["ErrorText"]) == (2, "Invalid API key or API key not found")
    body["ApiKeyId"] = seeded["key"]["NewAPIKeyID"]
    assert curl(client, body)["Success"]
    assert curl(client, {**body, "ApiKeyId": ""})["ErrorCode"] == 1  # empty is missing


@pytest.mark.parametrize("value", ["123", "abc", "0"])
def test_v1_delete_webhook_with_an_unusable_id_is_4(client, seeded, value):
    """curl -X DELETE /api/v1/webhooks -H "Authorization: Bearer {senderapikey}" -d '{"WebhookID":"123"}'"""
    key = seeded["key"]["APIKey"]["Key"]
    response = client.delete("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"},
                             data=json.dumps({"WebhookID": value}), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    assert response.json == {"Errors": [{"Code": 4, "Message": "Invalid WebhookID"}]}
    missing = client.delete("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"}, data="{}")
    assert missing.json == {"Errors": [{"Code": 1, "Message": "WebhookID is missing"}]}
