"""User B against every one of user A's objects, for every command: "not found" with that
command's code, and nothing of A's changes."""
import pytest
from playhouse.shortcuts import model_to_dict

from models import DomainAPIKey, SenderDomain, SMTPCredential, Webhook


@pytest.fixture
def alices_objects(api, alice, add_domain, dns_server):
    dns_server.zone.add("hooks.example.net", "A", "93.184.216.34")
    domain = add_domain(alice)["DomainID"]
    key = api(alice, "EmailGateway.AddAPI", DomainID=domain, Description="a")["NewAPIKeyID"]
    smtp = api(alice, "EmailGateway.AddSMTP", DomainID=domain)["NewSMTPID"]
    hook = api(alice, "EmailGateway.AddWebhook", DomainID=domain, Event="open",
               WebhookURL="https://hooks.example.net/a")["NewWebhookID"]
    return {"domain": domain, "key": key, "smtp": smtp, "hook": hook}


def snapshot():
    return [[model_to_dict(row, recurse=False) for row in model.select().order_by(model.id)]
            for model in (SenderDomain, DomainAPIKey, SMTPCredential, Webhook)]


CASES = [
    ("EmailGateway.GetDomain", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.UpdateDomain", lambda o: {"DomainID": o["domain"], "LinkTracking": 0, "Subdomain": "x"}, 5),
    ("EmailGateway.DeleteDomain", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.RegenerateSigningKey", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.VerifyDomain", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.AddAPI", lambda o: {"DomainID": o["domain"], "Description": "b"}, 3),
    ("EmailGateway.GetAPIs", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.DeleteAPI", lambda o: {"APIKeyID": o["key"]}, 2),
    ("EmailGateway.ReplaceAPI", lambda o: {"DomainID": o["domain"], "Description": "b"}, 3),
    ("EmailGateway.AddSMTP", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.GetSMTPs", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.DeleteSMTP", lambda o: {"SMTPID": o["smtp"]}, 2),
    ("EmailGateway.ResetSMTPPassword", lambda o: {"SMTPID": o["smtp"]}, 2),
    ("EmailGateway.AddWebhook", lambda o: {"DomainID": o["domain"], "Event": "open",
                                           "WebhookURL": "https://hooks.example.net/b"}, [4]),
    ("EmailGateway.GetWebhooks", lambda o: {"DomainID": o["domain"]}, 2),
    ("EmailGateway.DeleteWebhook", lambda o: {"DomainID": o["domain"], "WebhookID": o["hook"]}, 2),
    ("EmailGateway.DeleteWebhook", lambda o: {"DomainID": o["bobs_domain"], "WebhookID": o["hook"]}, 4),
]


@pytest.mark.parametrize("command,params,code", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_another_users_objects_are_not_found(api, bob, add_domain, alices_objects, command, params, code):
    objects = dict(alices_objects, bobs_domain=add_domain(bob, "bob.example.org")["DomainID"])
    before = snapshot()
    answer = api(bob, command, **params(objects))
    assert answer["Success"] is False and answer["ErrorCode"] == code, answer
    assert snapshot() == before


def test_lists_never_show_another_users_objects(api, alice, bob, alices_objects):
    assert api(bob, "EmailGateway.GetDomains", WithCounts=1)["Domains"] == []
    same_name = api(bob, "EmailGateway.AddDomain", DomainName="example.com")
    assert same_name["NewSenderDomainID"] != alices_objects["domain"]
    assert api(bob, "EmailGateway.GetAPIs", DomainID=same_name["NewSenderDomainID"])["APIKeys"] == []
    assert [d["DomainID"] for d in api(alice, "EmailGateway.GetDomains")["Domains"]] == [str(alices_objects["domain"])]


def test_v1_keys_reach_only_their_own_domain(api, client, bob, add_domain, alices_objects):
    domain = add_domain(bob, "bob.example.org")["DomainID"]
    key = api(bob, "EmailGateway.AddAPI", DomainID=domain, Description="b")["APIKey"]["Key"]
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/webhooks", headers=auth).json == {"Webhooks": []}
    before = snapshot()
    response = client.delete("/api/v1/webhooks", headers=auth, json={"WebhookID": alices_objects["hook"]})
    assert response.status_code == 404 and response.json["Errors"][0]["Code"] == 4
    assert snapshot() == before
