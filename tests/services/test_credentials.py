"""services.credentials: each kind issues a secret shown once, looks it up by its keyed hash,
and stops working when revoked, expired or its owner is disabled."""
import datetime

import pytest

import clock
from models import Credential
from services import accounts, credentials, secrets
from services.errors import AuthenticationFailed


@pytest.mark.parametrize("kind, keys", [("kirim", {"username", "api_key"}), ("sendpulse", {"client_id", "client_secret"}),
                                        ("smtpprovider", {"token"}), ("autorelay", {"key"})])
def test_each_kind_issues_its_documented_keys_and_authenticates(alice, kind, keys):
    row, shown = credentials.issue(alice.user, kind, name="app")
    assert set(shown) == keys
    secret = {"kirim": shown.get("api_key"), "sendpulse": shown.get("client_secret"), "autorelay": shown.get("key"),
              "smtpprovider": shown.get("token", "|").split("|", 1)[1]}[kind]
    found = credentials.authenticate(kind, secret, public_id=shown.get("client_id"))
    assert found.id == row.id and found.user.id == alice.user.id
    stored = Credential.get_by_id(row.id)
    assert stored.secret_hash == secrets.lookup_hash(secret) and secret not in str(stored.__data__.values())
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate(kind, secret + "x", public_id=shown.get("client_id"))


def test_shapes_of_the_prefixed_and_pat_kinds(alice):
    _, live = credentials.issue(alice.user, "autorelay")
    _, test = credentials.issue(alice.user, "autorelay", test=True)
    row, pat = credentials.issue(alice.user, "smtpprovider")
    assert live["key"].startswith("sk_live_") and test["key"].startswith("sk_test_")
    assert credentials.authenticate("autorelay", test["key"]).test is True
    assert pat["token"].startswith(f"{row.id}|")


def test_a_secret_of_one_kind_is_no_credential_of_another(alice):
    _, shown = credentials.issue(alice.user, "kirim")
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("autorelay", shown["api_key"])


def test_client_secret_needs_its_own_client_id(alice):
    _, one = credentials.issue(alice.user, "sendpulse")
    _, two = credentials.issue(alice.user, "sendpulse")
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("sendpulse", one["client_secret"], public_id=two["client_id"])
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("sendpulse", one["client_secret"])


def test_tokens_expire_and_die_with_their_client(alice):
    client, shown = credentials.issue(alice.user, "sendpulse")
    _, token = credentials.issue(alice.user, "sendpulse-token", parent=client)
    assert token["expires_in"] == 3600
    assert credentials.authenticate("sendpulse-token", token["access_token"]).parent_id == client.id
    clock.shift(datetime.timedelta(hours=1, seconds=1))
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("sendpulse-token", token["access_token"])
    clock.shift(None)
    _, fresh = credentials.issue(alice.user, "sendpulse-token", parent=client)
    credentials.revoke(alice.user, client.id)
    for kind, secret, public in (("sendpulse", shown["client_secret"], shown["client_id"]),
                                 ("sendpulse-token", fresh["access_token"], None)):
        with pytest.raises(AuthenticationFailed):
            credentials.authenticate(kind, secret, public_id=public)


def test_a_disabled_owner_and_another_users_revoke(alice, bob):
    row, shown = credentials.issue(alice.user, "autorelay")
    with pytest.raises(credentials.CredentialNotFound):
        credentials.revoke(bob.user, row.id)
    accounts.set_status(alice.user, "Disabled")
    with pytest.raises(AuthenticationFailed):
        credentials.authenticate("autorelay", shown["key"])


def test_unknown_kind_is_refused(alice):
    with pytest.raises(credentials.UnknownKind):
        credentials.issue(alice.user, "mailgun")
