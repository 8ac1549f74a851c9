"""User.Login / User.Logout."""


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
