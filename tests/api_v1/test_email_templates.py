"""TemplateID (with per-recipient variables) and TargetListID sends on POST /api/v1/email and
EmailGateway.SendEmail, as the reference describes them, through to the loopback sink."""
import email
from email import policy

import pytest

import config
from models import Message
from services import contacts, suppressions, templates


@pytest.fixture
def welcome(sender):
    return templates.create(sender.account.user, "Welcome", subject="Welcome {{ name }}",
                            html="<p>Hi {{ name }}, code {{ code }} for {{ product | default('Gatepost') }}</p>",
                            text="Hi {{ name }}, code {{ code }}")


def _received(sink) -> dict[str, email.message.EmailMessage]:
    return {m.rcpt_tos[0]: email.message_from_bytes(m.data, policy=policy.default) for m in sink.received}


def test_a_template_send_renders_the_recipient_and_the_variables(send, welcome, sink, deliver):
    response = send(Subject=None, ContentType=None, HTMLContent=None, TemplateID=welcome.id,
                    To=[{"name": "Rob", "email": "rob@example.net", "variables": {"code": "R-1"}}],
                    Variables={"product": "Shop"})
    assert response.status_code == 200, response.json
    assert isinstance(response.json["MessageID"], str)
    deliver()
    message = _received(sink)["rob@example.net"]
    assert message["Subject"] == "Welcome Rob"
    assert "Hi Rob, code R-1 for Shop" in message.get_body(("html",)).get_content()
    assert "Hi Rob, code R-1" in message.get_body(("plain",)).get_content()


def test_several_recipients_each_get_their_own_message(send, welcome, sink, deliver):
    response = send(TemplateID=str(welcome.uuid), Subject="Your code",
                    To=[{"name": "Rob", "email": "rob@example.net", "variables": {"code": "R-1"}},
                        {"name": "Ann", "email": "ann@example.org", "variables": {"code": "A-2"}}])
    ids = response.json["MessageID"]
    assert isinstance(ids, list) and len(ids) == 2 and Message.select().count() == 2
    deliver()
    received = _received(sink)
    assert received["rob@example.net"]["To"] == "Rob <rob@example.net>"  # not told of each other
    assert "code A-2" in received["ann@example.org"].get_body(("plain",)).get_content()
    assert {m["Subject"] for m in received.values()} == {"Your code"}  # the request's Subject wins


def test_a_personalised_send_is_refused_whole(send, welcome, sender):
    suppressions.add(sender.account.user, "ann@example.org", "manual")
    response = send(TemplateID=welcome.id, To=[{"email": "rob@example.net"}, {"email": "ann@example.org"}])
    assert response.status_code == 409 and response.json["Errors"][0]["Code"] == 14
    assert Message.select().count() == 0


@pytest.mark.parametrize("template,code", [(10**6, 15), ("not-a-number", 15), ("inactive", 15), ("broken", 15),
                                           ("other user's", 15)])
def test_template_refusals(send, welcome, bob, template, code):
    if template == "inactive":
        template = templates.set_active(welcome, None, False).id
    elif template == "broken":
        template = templates.create(welcome.user, "Broken", subject="x", html="{{ 1 / 0 }}").id
    elif template == "other user's":
        template = templates.create(bob.user, "Bob's", subject="x", html="y").id
    response = send(TemplateID=template)
    assert response.status_code == 422 and response.json["Errors"][0]["Code"] == code


def test_a_target_list_send_goes_to_each_subscribed_contact(send, sender, welcome, sink, deliver, client):
    news = contacts.create_list(sender.account.user, "News")
    contacts.add(news, "b@example.net", name="Bee", fields={"code": "B"})
    contacts.add(news, "a@example.net", name="Ay", fields={"code": "A"})
    contacts.add(news, "gone@example.net", status="unsubscribed")
    contacts.add(news, "blocked@example.net")
    suppressions.add(sender.account.user, "blocked@example.net", "manual")
    response = send(To=None, Subject=None, TargetListID=news.id, TemplateID=welcome.id)
    assert response.status_code == 200, response.json
    assert len(response.json["MessageID"]) == 2
    deliver()
    received = _received(sink)
    assert set(received) == {"a@example.net", "b@example.net"}
    assert received["b@example.net"]["Subject"] == "Welcome Bee"
    assert "code B" in received["b@example.net"].get_body(("plain",)).get_content()

    twin = client.post("/api.php", json={"Command": "EmailGateway.SendEmail", "SenderAPIKey": sender.key,
                                         "Subject": "Plain", "ContentType": "plain", "PlainContent": "Hello",
                                         "From": {"name": "A", "email": "alice@example.com"},
                                         "TargetListID": str(news.id)}).json
    assert twin["Success"] and len(twin["MessageID"]) == 2


def test_a_target_list_send_takes_the_first_250_by_address_unless_configured(send, sender):
    news = contacts.create_list(sender.account.user, "Big")
    for i in range(260):
        contacts.add(news, f"r{259 - i:03}@example.net")
    response = send(To=None, TargetListID=news.id)
    assert len(response.json["MessageID"]) == 250
    sent = {m.deliveries[0].recipient for m in Message.select()}
    assert sent == {f"r{i:03}@example.net" for i in range(250)}
    config.use(config.current().replace(sendemail_full_list=True))
    assert len(send(To=None, TargetListID=news.id).json["MessageID"]) == 260


def test_target_list_refusals(send, sender, bob):
    news = contacts.create_list(sender.account.user, "News")
    assert send(To=None, TargetListID=news.id).json["Errors"][0]["Code"] == 20  # nobody to send to
    contacts.add(news, "a@example.net")
    assert send(To=None, TargetListID=news.id, CC=[{"email": "c@example.net"}]).json["Errors"][0]["Code"] == 20
    for other in (contacts.create_list(bob.user, "Bob's").id, "x1"):
        assert send(To=None, TargetListID=other).json["Errors"][0]["Code"] == 16
    assert send(To=None).json["Errors"][0]["Code"] == 20  # without a list, To is needed
