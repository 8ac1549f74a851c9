"""AddAPI, GetAPIs, DeleteAPI, ReplaceAPI."""
from models import DomainAPIKey
from services import api_keys


def test_add_api_returns_a_working_key(api, alice, add_domain, client):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="production")
    assert answer["Success"]
    key = answer["APIKey"]
    assert answer["NewAPIKeyID"] == key["APIKeyID"] == key["KeyID"] == str(DomainAPIKey.get().id)  # strings, as the seed
    assert key["APIKey"] == key["Key"] and len(key["Key"]) == 35
    assert (key["Description"], key["DomainID"], key["UserID"]) == ("production", str(domain["DomainID"]), str(alice.user.id))
    assert "Permissions" in key and key["Status"] == "Enabled"
    used = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key['Key']}"})
    assert used.status_code == 200


def test_keys_are_stored_encrypted_and_found_by_hash(api, alice, add_domain):
    domain = add_domain(alice)
    key = api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="x")["APIKey"]["Key"]
    row = DomainAPIKey.get()
    assert key not in (row.key_hash, row.key_encrypted)
    assert api_keys.authenticate(key).id == row.id


def test_add_api_errors(api, alice, add_domain):
    domain = add_domain(alice)
    assert api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"])["ErrorCode"] == 1
    assert api(alice, "EmailGateway.AddAPI", Description="x")["ErrorCode"] == 2
    assert api(alice, "EmailGateway.AddAPI", DomainID="x", Description="x")["ErrorCode"] == 2
    assert api(alice, "EmailGateway.AddAPI")["ErrorCode"] == 1  # the lowest code answers first
    answer = api(alice, "EmailGateway.AddAPI", DomainID=999999, Description="x")
    assert answer["ErrorCode"] == 3
    assert answer["ErrorText"] == "Unable to retrieve sender domain with provided 'DomainID'"


def test_get_apis_lists_keys_with_their_values(api, alice, add_domain):
    domain = add_domain(alice)
    assert api(alice, "EmailGateway.GetAPIs", DomainID=domain["DomainID"])["APIKeys"] == []
    made = [api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description=d)["APIKey"]
            for d in ("one", "two")]
    listed = api(alice, "EmailGateway.GetAPIs", DomainID=domain["DomainID"])["APIKeys"]
    assert [(k["APIKeyID"], k["Key"], k["Description"]) for k in listed] == [
        (m["APIKeyID"], m["Key"], m["Description"]) for m in made]
    assert api(alice, "EmailGateway.GetAPIs")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.GetAPIs", DomainID=999999)["ErrorCode"] == 2


def test_delete_api_accepts_both_spellings(api, alice, add_domain, client):
    domain = add_domain(alice)
    first = api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="a")["APIKey"]
    second = api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="b")["APIKey"]
    assert api(alice, "EmailGateway.DeleteAPI", ApiKeyId=first["APIKeyID"])["Success"]
    assert api(alice, "EmailGateway.DeleteAPI", APIKeyID=second["APIKeyID"])["Success"]
    assert api(alice, "EmailGateway.GetAPIs", DomainID=domain["DomainID"])["APIKeys"] == []
    gone = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {first['Key']}"})
    assert gone.status_code == 401
    assert api(alice, "EmailGateway.DeleteAPI")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.DeleteAPI", APIKeyID=first["APIKeyID"])["ErrorCode"] == 2


def test_replace_api_rotates_every_key_of_the_domain(api, alice, add_domain):
    domain = add_domain(alice)
    other = add_domain(alice, "other.example.com")
    old = api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="old")["APIKey"]
    kept = api(alice, "EmailGateway.AddAPI", DomainID=other["DomainID"], Description="kept")["APIKey"]
    answer = api(alice, "EmailGateway.ReplaceAPI", DomainID=domain["DomainID"], Description="new")
    assert answer["Success"] and answer["APIKey"]["Key"] != old["Key"]
    listed = api(alice, "EmailGateway.GetAPIs", DomainID=domain["DomainID"])["APIKeys"]
    assert [k["Description"] for k in listed] == ["new"]
    assert api(alice, "EmailGateway.GetAPIs", DomainID=other["DomainID"])["APIKeys"][0]["Key"] == kept["Key"]
    assert api(alice, "EmailGateway.ReplaceAPI", DomainID=domain["DomainID"])["ErrorCode"] == 1
    assert api(alice, "EmailGateway.ReplaceAPI", Description="x")["ErrorCode"] == 2
    assert api(alice, "EmailGateway.ReplaceAPI", DomainID=999999, Description="x")["ErrorCode"] == 3


def test_a_description_longer_than_its_column_is_code_1(api, alice, add_domain):
    domain = add_domain(alice)
    assert api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="d" * 256)["ErrorCode"] == 1
