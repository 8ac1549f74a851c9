"""User.Login / User.Logout."""
import argon2

import config


def test_login_with_username_and_password(api, alice):
    answer = api(None, "User.Login", Username="Alice@Example.com", Password=alice.password)
    assert answer["Success"] and answer["ErrorCode"] == 0
    assert 22 <= len(answer["SessionID"]) <= 128
    info = answer["UserInfo"]
    assert info["UserID"] == alice.user.id and info["Username"] == "alice@example.com"
    assert info["AccountStatus"] == "Enabled"
    assert "EmailGateway.AddDomain" in info["GroupInformation"]["Permissions"]
    assert "password" not in str(info).lower()


def test_login_with_api_key_alone_and_new_session_each_time(api, alice):
    first = api(None, "User.Login", APIKey=alice.api_key)
    second = api(None, "User.Login", APIKey=alice.api_key, SessionID=first["SessionID"])
    assert first["Success"] and second["Success"]
    assert first["SessionID"] != second["SessionID"]


def test_login_errors(api, alice):
    assert api(None, "User.Login", Password="x")["ErrorCode"] == [1]
    assert api(None, "User.Login", Username="alice@example.com")["ErrorCode"] == [2]
    assert api(None, "User.Login", Username="alice@example.com", Password="wrong") == {
        "Success": False, "ErrorCode": [3], "ErrorText": ["Invalid login information"],
        "ErrorMessage": "Invalid login information"}
    assert api(None, "User.Login", Username="nobody@example.com", Password="x")["ErrorCode"] == [3]
    assert api(None, "User.Login", APIKey="0000-0000")["ErrorCode"] == [3]


def test_disabled_user_cannot_log_in(api, alice):
    from services import accounts

    accounts.set_status(alice.user, "Disabled")
    assert api(None, "User.Login", Username="alice@example.com", Password=alice.password)["ErrorCode"] == [3]


def test_login_failure_as_the_public_python_client_reads_it(client, alice):
    """Sureiya/python-oempro's login: a urlencoded POST; on failure it reads ErrorCode[0]."""
    response = client.post("/api.php", data={"Command": "User.Login", "Username": "alice@example.com",
                                             "Password": "wrong", "RememberMe": "true", "DisableCaptcha": "true",
                                             "ResponseFormat": "JSON", "SessionID": ""})
    answer = response.json
    assert response.status_code == 200 and answer["Success"] is not True
    assert answer["ErrorCode"] == [3] and answer["ErrorCode"][0] == 3
    assert answer["ErrorText"] == ["Invalid login information"]


def _login(client, username, password, address="127.0.0.1"):
    response = client.post("/api.php", json={"Command": "User.Login", "Username": username, "Password": password},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    return response.json


def test_guessing_one_user_s_password_is_stopped_whatever_the_address(settings, app, client, alice, bob):
    config.use(settings.replace(login_failures_per_user="3 per 15 minutes", auth_failures_per_address="100 per minute"))
    for i in range(3):
        assert _login(client, "alice@example.com", f"guess-{i}", f"10.0.0.{i}")["ErrorCode"] == [3]
    refused = _login(client, "ALICE@example.com", alice.password, "10.0.1.1")  # even the right password
    assert refused["Success"] is False and refused["ErrorCode"] == [3]
    assert refused["ErrorText"] == ["Invalid login information"]
    assert "Too many failed login attempts" in refused["ErrorMessage"]
    assert _login(client, "bob@example.com", bob.password, "10.0.0.1")["Success"]  # others are not affected


def test_guessing_from_one_address_is_stopped_whatever_the_usernames(settings, app, client, alice):
    config.use(settings.replace(login_failures_per_user="100 per minute", auth_failures_per_address="4 per 15 minutes"))
    for i in range(4):
        assert _login(client, f"user{i}@example.com", "guess", "192.0.2.7")["ErrorCode"] == [3]
    refused = _login(client, "alice@example.com", alice.password, "192.0.2.7")
    assert refused["ErrorCode"] == [3] and "Too many failed login attempts" in refused["ErrorMessage"]
    assert _login(client, "alice@example.com", alice.password, "192.0.2.8")["Success"]


def test_an_unknown_user_costs_the_same_password_check(api, alice, monkeypatch):
    """The same argon2 verify runs for an unknown username as for a wrong password (no timing here:
    the work is counted)."""
    verified = []
    real_verify = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        verified.append(argon2.extract_parameters(hash))
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    assert api(None, "User.Login", Username="nobody@example.com", Password="x")["ErrorCode"] == [3]
    assert api(None, "User.Login", Username="alice@example.com", Password="x")["ErrorCode"] == [3]
    assert len(verified) == 2 and verified[0] == verified[1]
