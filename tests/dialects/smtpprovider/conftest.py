"""The seed's account (id 123, "Demo User", user@example.com), the installation's own sender
(an Enabled domain of an operator account, GATEPOST_SYSTEM_SENDER), example.com's MX at the
loopback sink, and a client that calls the API as the seed's integration does."""
from __future__ import annotations

import pytest

import config
from models import User
from services import accounts, domains, templates
from tests.dialects.smtpprovider import seed

SYSTEM_SENDER = "SMTPProvider <no-reply@notify.example.org>"


def renumber(model, row, new_id: int):
    """Give a fresh row the id the seed's examples use (its references are made after)."""
    model.update(id=new_id).where(model.id == row.id).execute()
    return model.get_by_id(new_id)


@pytest.fixture
def system_sender(make_user, settings):
    """The operator's Enabled notify.example.org, named by GATEPOST_SYSTEM_SENDER."""
    operator = make_user("operator@example.org").user
    if operator.id == seed.USER_ID:  # keep the seed's id free
        operator = renumber(User, operator, 10 ** 6)
    domain = domains.add(operator, "notify.example.org")
    domains.set_status(domain, "Enabled")
    templates.seed_system()
    # every test's user is id 123: a budget no test uses up (test_content checks the limit itself)
    config.use(config.current().replace(system_sender=SYSTEM_SENDER, system_mail_rate="1000000 per hour"))
    return domain


@pytest.fixture
def demo(system_sender, settings):
    """The seed's user, with the seed's id."""
    user, _ = accounts.create_user(seed.EMAIL, seed.PASSWORD, first_name="Demo", last_name="User")
    return renumber(User, user, seed.USER_ID) if user.id != seed.USER_ID else user


@pytest.fixture
def example_mx(sink, dns_server):
    """Mail to example.com (the seed's senders and shop owner) lands at the loopback sink."""
    dns_server.zone.add("example.com", "MX", (10, "mx.example.com"))
    dns_server.zone.add("mx.example.com", "A", "127.0.0.1")
    return sink


@pytest.fixture
def token(client, demo):
    answer = client.post("/api/smtp-token-generate", json=seed.TOKEN, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.json
    return answer.json["token"]


@pytest.fixture
def call(client, token):
    """call("POST", "/api/v1/smtp-domain-add", body) -> response; GET sends the body as the query."""

    def request(method: str, path: str, body: dict | None = None, bearer: str | None = None):
        headers = {"Accept": "application/json", "Authorization": f"Bearer {bearer or token}"}
        if method == "GET":
            return client.get(path, query_string=body or {}, headers=headers)
        return client.open(path, method=method, json=body or {}, headers=headers)

    return request


@pytest.fixture
def campaign_parts(demo, dns_server, sink):
    """What the seed's campaign store names: example.com Enabled (its records published), template
    456, mailing list 789 with two subscribers whose mail lands at the sink, and news@example.com."""
    from models import ContactList, Template
    from services import contacts, senders
    from tests.conftest import publish

    domain = domains.add(demo, "example.com")
    domains.set_status(domain, "Enabled")
    publish(dns_server.zone, domain)
    template = renumber(Template, templates.create(demo, "Welcome Template", subject="Hi",
                                                   html="<h1>Welcome {{ name }}</h1>"), seed.TEMPLATE_ID)
    mailing = renumber(ContactList, contacts.create_list(demo, "Newsletter Subscribers"), seed.MAILING_LIST_ID)
    contacts.add(mailing, "ann@example.net", "Ann")
    contacts.add(mailing, "bob@example.org", "Bob")
    senders.add(demo, "example.com", "news@example.com", "Demo Team")
    return template, mailing
