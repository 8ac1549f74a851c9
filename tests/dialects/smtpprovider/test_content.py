"""Templates (own and default), mailing lists, and the welcome mail from the installation's sender."""
import email
from email import policy

import pytest

import config
from models import ContactList, Template
from tests.dialects.smtpprovider import seed


def test_templates_add_index_show_update(call):
    added = call("POST", "/api/v1/smtp-template-add", seed.TEMPLATE_ADD)
    assert added.status_code == 200
    template = added.json["data"]["template"]
    assert (template["name"], template["html_body"], template["active"]) == ("Welcome Template", "<h1>Welcome</h1>", True)
    assert Template.get_by_id(template["id"]).user_id == 123
    index = call("GET", "/api/v1/smtp-template-index", seed.USER_QUERY).json["data"]["templates"]
    assert [t["id"] for t in index] == [template["id"]]
    shown = call("GET", "/api/v1/smtp-template-show", {"user_id": 123, "template_id": template["id"]})
    assert shown.json["data"]["templates"]["html_body"] == "<h1>Welcome</h1>"
    updated = call("POST", "/api/v1/smtp-template-update", {"user_id": 123, "template_id": template["id"],
                                                            "html_body": "<h1>Hi {{ name }}</h1>", "active": 0})
    assert updated.status_code == 200
    after = updated.json["data"]["template"]
    assert (after["name"], after["html_body"], after["active"], after["version"]) == (
        "Welcome Template", "<h1>Hi {{ name }}</h1>", False, 2)


def test_default_templates_are_the_installations(call):
    answer = call("GET", "/api/v1/smtp-template-default")  # user_id is optional here
    names = {t["name"] for t in answer.json["data"]["default_templates"]}
    assert {"welcome", "password-reset", "receipt"} <= names
    welcome = next(t for t in answer.json["data"]["default_templates"] if t["name"] == "welcome")
    assert welcome["user_id"] is None
    shown = call("GET", "/api/v1/smtp-template-show", {"user_id": 123, "template_id": welcome["id"]})
    assert shown.status_code == 200  # shown, but not the user's to change:
    refused = call("POST", "/api/v1/smtp-template-update", {"user_id": 123, "template_id": welcome["id"], "name": "x"})
    assert refused.status_code == 422 and refused.json["data"] == ["The selected template id is invalid."]


@pytest.mark.parametrize("body,messages", [
    ({"user_id": 123}, ["The name field is required."]),
    ({"user_id": 123, "name": "x", "html_body": "{% if %}"}, None),
    ({"user_id": 123, "name": "x" * 256, "active": "yes"},
     ["The name field must not be greater than 255 characters.", "The active field must be true or false."])])
def test_template_rules(call, body, messages):
    answer = call("POST", "/api/v1/smtp-template-add", body)
    assert answer.status_code == 422
    if messages:
        assert answer.json["data"] == messages
    else:
        assert answer.json["data"][0].startswith("html, line 1:")


def test_a_template_of_another_user_is_not_there(call, make_user):
    from services import templates

    theirs = templates.create(make_user("other@example.net").user, "theirs", html="x")
    answer = call("GET", "/api/v1/smtp-template-show", {"user_id": 123, "template_id": theirs.id})
    assert answer.status_code == 422 and answer.json["data"] == ["The selected template id is invalid."]


def test_mailing_lists(call):
    added = call("POST", "/api/v1/smtp-mailing-add", seed.MAILING_ADD)
    assert added.status_code == 200
    mailing = added.json["data"]["mailing"]
    assert mailing["name"] == "Newsletter Subscribers" and ContactList.get_by_id(mailing["id"]).user_id == 123
    listed = call("GET", "/api/v1/smtp-mailing-list").json["data"]["mailing_list"]
    assert [m["id"] for m in listed] == [mailing["id"]]
    assert call("POST", "/api/v1/smtp-mailing-add", {"user_id": 123}).json["data"] == ["The name field is required."]


@pytest.mark.parametrize("body,subject,html", [
    (seed.WELCOME, "Welcome to Demo Store", "Welcome to Demo Store."),
    (seed.WELCOME_CUSTOM, "Welcome to SMTPProvider", "<h1>Welcome</h1>")])
def test_welcome_mail_from_the_installations_sender(call, example_mx, deliver, body, subject, html):
    answer = call("POST", "/api/v1/smtp-welcome-mail", body)
    assert answer.status_code == 200, answer.json
    assert answer.json["data"]["message"] == "Welcome mail sent successfully"
    deliver()
    [received] = example_mx.wait_for(1)
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert received.rcpt_tos == ["owner@example.com"] and message["Subject"] == subject
    assert message["From"] == "SMTPProvider <no-reply@notify.example.org>"
    assert html in message.get_body(("html",)).get_content()


def test_welcome_mail_rules(call):
    answer = call("POST", "/api/v1/smtp-welcome-mail", {"from_email": "owner@example.com", "subject": "Hi"})
    assert answer.status_code == 422 and answer.json["data"] == [
        "The shop name field is required.", "The html content field is required when subject is present."]


def test_welcome_mail_without_a_configured_sender(call, settings):
    config.use(config.current().replace(system_sender=""))
    answer = call("POST", "/api/v1/smtp-welcome-mail", seed.WELCOME)
    assert answer.status_code == 503 and answer.json["success"] is False
    assert "GATEPOST_SYSTEM_SENDER" in answer.json["data"][0]


def test_mail_in_the_installations_name_is_limited_per_user(call, settings):
    config.use(config.current().replace(system_mail_rate="2 per hour"))
    for _ in range(2):
        assert call("POST", "/api/v1/smtp-welcome-mail", seed.WELCOME).status_code == 200
    refused = call("POST", "/api/v1/smtp-welcome-mail", seed.WELCOME)
    assert refused.status_code == 429 and refused.json == {
        "success": False, "data": ["Too many mails were sent in the installation's name for this account; try again later"]}
