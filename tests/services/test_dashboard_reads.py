"""The reads the dashboard added to the core: a day-by-day series with quiet days filled in,
bounces by reason, a user's waiting mail, one message only for its owner, a webhook delivery
sent again, operators, domains awaiting approval."""
import datetime

import pytest

import clock
import config
from models import WebhookDelivery
from models.vocabulary import DomainStatus, EventType
from services import accounts, domains, queue, stats, webhook_deliveries, webhooks


def test_the_series_has_every_day_and_bounces_have_their_reasons(sender, send, deliver):
    send()
    send(To=[{"email": "bounce@example.net"}])
    deliver()
    today = clock.now().date()
    start = datetime.datetime.combine(today - datetime.timedelta(days=2), datetime.time())
    series = stats.series([sender.domain.id], start, start + datetime.timedelta(days=3))
    assert list(series) == [str(today - datetime.timedelta(days=n)) for n in (2, 1, 0)]
    assert series[str(today)]["Sent"] == 2 and series[str(today)]["Delivered"] == 1
    assert series[str(today - datetime.timedelta(days=1))] == {name: 0 for name in stats.NAMES.values()}
    reasons = stats.bounce_reasons([sender.domain.id], start, start + datetime.timedelta(days=3))
    assert sum(reasons.values()) == 1 and "unclassified" not in reasons


def test_a_message_and_the_queue_are_their_owners_only(sender, send, bob):
    ident = send().json["MessageID"]
    assert queue.inspect(ident, user=bob.user) is None
    assert queue.inspect(ident, user=sender.account.user)["message_id"] == ident
    assert [d.recipient for d in queue.waiting(sender.account.user)] == ["rob@example.net"]
    assert queue.waiting(bob.user) == []


def test_a_delivery_is_sent_again_only_once_it_is_finished(sender, send, deliver, settings):
    config.use(config.current().replace(webhook_allow_private=True))
    hook = webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], "http://127.0.0.1:9/hook")
    other = webhooks.add(sender.account.user, sender.domain.id, [EventType.ACCEPTED], "http://127.0.0.1:9/other")
    send()
    deliver()
    row = WebhookDelivery.get(WebhookDelivery.webhook == hook)
    assert not webhook_deliveries.resend(hook, row.id)  # still waiting
    WebhookDelivery.update(status="failed", attempts=9).where(WebhookDelivery.id == row.id).execute()
    assert not webhook_deliveries.resend(other, row.id)  # not that webhook's
    assert webhook_deliveries.resend(hook, row.id)
    row = WebhookDelivery.get_by_id(row.id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert [d.id for d in webhook_deliveries.of_webhook(hook)] == [row.id]
    assert webhook_deliveries.attempts_of([row]) == {row.id: []}


def test_operators_and_approval(make_user):
    assert not accounts.is_operator(make_user().user)
    assert accounts.is_operator(make_user(group=accounts.create_group("Ops", permissions=accounts.OPERATOR)).user)
    owner = make_user().user
    domain = domains.add(owner, "waiting.example")
    domains.set_status(domain, DomainStatus.BLOCKED, "awaiting approval")
    assert [d.name for d in domains.list_all(domains.APPROVABLE)] == ["waiting.example"]
    domains.approve(domain)
    assert domains.get(owner, domain.id).status == DomainStatus.ENABLED
    with pytest.raises(domains.NotAwaitingApproval):
        domains.approve(domain)
