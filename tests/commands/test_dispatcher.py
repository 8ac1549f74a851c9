"""The /api.php dispatcher: body forms, case folding, auth, permissions, hard failures, XML."""
import json

import pytest
from marshmallow import fields

import clock
from edge.params import ID, Params
from commands.registry import Err, command, lookup
from services import accounts


class CrashParams(Params):
    pass


@command("Test.Crash", schema=CrashParams, permission=None, authenticate=False)
def _crash(user, params):
    raise RuntimeError("secret internal detail")


def test_json_form_multipart_and_query_string_bodies_all_work(client, alice):
    params = {"Command": "EmailGateway.AddDomain", "APIKey": alice.api_key, "DomainName": "one.example.com"}
    assert client.post("/api.php", json=params).json["Success"]
    params["DomainName"] = "two.example.com"
    assert client.post("/api.php", data=params).json["Success"]  # x-www-form-urlencoded
    params["DomainName"] = "three.example.com"
    assert client.post("/api.php", data=params, content_type="multipart/form-data").json["Success"]
    params["DomainName"] = "four.example.com"
    assert client.get("/api.php", query_string=params).json["Success"]
    # curl -d '{...}' without a Content-Type header sends JSON as a form body
    params["DomainName"] = "five.example.com"
    raw = client.post("/api.php", data=json.dumps(params), content_type="application/x-www-form-urlencoded")
    assert raw.json["Success"]
    names = [d["DomainName"] for d in client.post("/api.php", json={
        "Command": "EmailGateway.GetDomains", "APIKey": alice.api_key}).json["Domains"]]
    assert names == ["one.example.com", "two.example.com", "three.example.com", "four.example.com", "five.example.com"]


def test_command_and_parameter_names_are_case_insensitive(client, alice):
    answer = client.post("/api.php", data={"command": "emailgateway.ADDDOMAIN", "apikey": alice.api_key,
                                           "DOMAINNAME": "case.example.com"}).json
    assert answer["Success"] and answer["Domain"]["DomainName"] == "case.example.com"
    answer = client.post("/api.php", json={"COMMAND": "EmailGateway.GetDomain", "ApiKey": alice.api_key,
                                           "domainid": answer["NewSenderDomainID"]}).json
    assert answer["Success"] and answer["Domain"]["DomainName"] == "case.example.com"


def test_envelope_keys_come_first_in_order(client, alice):
    response = client.post("/api.php", json={"Command": "EmailGateway.GetDomains", "APIKey": alice.api_key})
    assert list(response.json)[:3] == ["Success", "ErrorCode", "ErrorText"]
    assert response.data.startswith(b'{"Success": true, "ErrorCode": 0')


def test_invalid_json_is_100000_with_http_400(client):
    response = client.post("/api.php", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["ErrorCode"] == 100000 and response.json["Success"] is False
    assert client.post("/api.php", data="[1, 2]", content_type="application/json").json["ErrorCode"] == 100000


def test_unknown_command_is_100003_with_http_400(client, alice):
    response = client.post("/api.php", json={"Command": "nope", "APIKey": alice.api_key})
    assert response.status_code == 400
    assert response.json["ErrorCode"] == 100003
    assert response.json["ErrorText"] == 'Invalid API command: "nope" not found.'
    assert client.post("/api.php", data={}).json["ErrorText"] == 'Invalid API command: "" not found.'


def test_unexpected_exception_is_100005_http_500_without_a_traceback(client, caplog):
    response = client.post("/api.php", json={"Command": "Test.Crash"})
    assert response.status_code == 500
    assert response.json["ErrorCode"] == 100005 and response.json["ErrorText"] == "API command failed"
    assert b"secret internal detail" not in response.data and b"Traceback" not in response.data
    assert "secret internal detail" in caplog.text  # logged for the operator instead


@pytest.mark.parametrize("credentials", [{}, {"APIKey": "0000-bad"}, {"SessionID": "bad"}, {"APIKey": ""},
                                         {"APIKey": ["a", "list"]}])
def test_missing_or_invalid_credentials_are_99998_at_http_200(client, credentials):
    response = client.post("/api.php", json={"Command": "EmailGateway.GetDomains", **credentials})
    assert response.status_code == 200
    assert response.json == {"Success": False, "ErrorCode": 99998,
                             "ErrorText": "Authentication failure or session expired",
                             "ErrorMessage": "Authentication failure or session expired"}


def test_a_disabled_account_is_refused_with_99998(api, alice):
    accounts.set_status(alice.user, "Disabled")
    assert api(alice, "EmailGateway.GetDomains")["ErrorCode"] == 99998


def test_a_group_without_the_permission_gets_99999(api, make_user):
    group = accounts.create_group("ReadOnly", permissions="EmailGateway.ManageDomain")
    account = make_user(group=group)
    answer = api(account, "EmailGateway.AddDomain", DomainName="example.com")
    assert answer["ErrorCode"] == 99999
    assert answer["ErrorText"] == "User does not have the required permission (EmailGateway.AddDomain)"
    assert api(account, "EmailGateway.GetDomains")["Success"]
    everything = make_user(group=accounts.create_group("All", permissions="*"))
    assert api(everything, "EmailGateway.AddDomain", DomainName="example.com")["Success"]


def test_session_authentication_expires_and_ends_at_logout(client, alice, settings):
    login = client.post("/api.php", data={"Command": "User.Login", "Username": alice.user.email,
                                          "Password": alice.password}).json
    session = {"Command": "EmailGateway.GetDomains", "SessionID": login["SessionID"]}
    assert client.post("/api.php", json=session).json["Success"]
    clock.shift(seconds=settings.session_ttl + 1)
    assert client.post("/api.php", json=session).json["ErrorCode"] == 99998
    clock.shift(None)
    assert client.post("/api.php", json=session).json["Success"]
    assert client.post("/api.php", json={"Command": "User.Logout", "SessionID": login["SessionID"]}).json["Success"]
    assert client.post("/api.php", json=session).json["ErrorCode"] == 99998


def test_either_valid_credential_is_enough(client, alice):
    answer = client.post("/api.php", json={"Command": "EmailGateway.GetDomains", "SessionID": "expired-or-bogus",
                                           "APIKey": alice.api_key}).json
    assert answer["Success"]


def test_response_format_xml(client, alice):
    client.post("/api.php", json={"Command": "EmailGateway.AddDomain", "APIKey": alice.api_key,
                                  "DomainName": "xml.example.com"})
    response = client.post("/api.php", data={"Command": "EmailGateway.GetDomains", "APIKey": alice.api_key,
                                             "ResponseFormat": "XML"})
    assert response.mimetype == "text/xml"
    body = response.data.decode()
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>\n<response><Success><![CDATA[true]]></Success>')
    assert "<Domains><node_0><DomainID><![CDATA[" in body
    assert "<DomainName><![CDATA[xml.example.com]]></DomainName>" in body
    # Octeth compares the format case-sensitively: anything but XML is JSON
    lower = client.post("/api.php", data={"Command": "EmailGateway.GetDomains", "APIKey": alice.api_key,
                                          "ResponseFormat": "xml"})
    assert lower.json["Success"]


def test_xml_errors_keep_the_envelope(client):
    body = client.post("/api.php", data={"Command": "EmailGateway.GetDomains", "ResponseFormat": "XML"}).data
    assert b"<ErrorCode><![CDATA[99998]]></ErrorCode>" in body


def test_registry_refuses_duplicates_and_unmapped_parameters():
    with pytest.raises(ValueError, match="registered twice"):
        command("test.CRASH", schema=CrashParams, permission=None)(lambda u, p: {})

    class Unmapped(Params):
        Thing = fields.String(required=True)

    with pytest.raises(ValueError, match="without an error code"):
        command("Test.Unmapped", schema=Unmapped, permission=None)(lambda u, p: {})
    command("Test.Mapped", schema=Unmapped, permission=None, errors=(Err(1, "x", "Thing"),))(lambda u, p: {})
    assert lookup("TEST.MAPPED").name == "Test.Mapped"


def test_numeric_top_level_keys_stay_names(client):
    """`?0=a` is a parameter named 0, not a list: the request is still read (and refused by name)."""
    answer = client.post("/api.php?0=a&1=b", data={"Command": "EmailGateway.Nope"})
    assert answer.status_code == 400 and answer.json["ErrorCode"] == 100003


def test_form_keys_nested_too_deep_are_refused_not_a_crash(client):
    answer = client.post("/api.php", data={"Command": "User.Login", "Username" + "[a]" * 2000: "x"})
    assert answer.status_code == 400 and answer.json["ErrorCode"] == 100000


def test_an_id_must_declare_what_an_unusable_value_answers():
    """Present but not an ID is "invalid or not found", never "missing": the registry refuses
    a command whose ID parameter has only a code for any failure."""
    class WithID(Params):
        DomainID = ID(required=True)

    with pytest.raises(ValueError, match="IDs without a code"):
        command("Test.UnsplitID", schema=WithID, permission=None,
                errors=(Err(1, "Missing DomainID", "DomainID"),))(lambda user, params: {})


def test_a_multipart_part_without_a_name_is_not_a_crash(client):
    body = (b'--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n'
            b'--b\r\nContent-Disposition: form-data; name="Command"\r\n\r\nEmailGateway.Nope\r\n--b--\r\n')
    answer = client.post("/api.php", data=body, content_type="multipart/form-data; boundary=b")
    assert answer.status_code == 400 and answer.json["ErrorCode"] == 100003
