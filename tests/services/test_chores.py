"""Chores run once per interval, whichever worker asks."""
import datetime

import clock
from services import chores, worker


def test_a_chore_runs_once_per_interval_across_callers(settings):
    hour = datetime.timedelta(hours=1)
    assert chores.take("tidy", hour) is True
    assert chores.take("tidy", hour) is False  # another worker, same interval
    clock.shift(minutes=59)
    assert chores.take("tidy", hour) is False
    clock.shift(minutes=2)
    assert chores.take("tidy", hour) is True


def test_run_due_runs_the_schedule_and_survives_a_failing_chore(settings):
    calls = []
    schedule = {"count": (datetime.timedelta(minutes=5), lambda: calls.append(1)),
                "broken": (datetime.timedelta(minutes=5), lambda: 1 / 0)}
    assert chores.run_due(schedule) == ["count", "broken"]
    assert chores.run_due(schedule) == []
    assert calls == [1]


def test_the_worker_schedule_reverifies_domains(settings, alice, dns_server):
    from models import SenderDomain
    from services import domains
    from tests.conftest import publish

    domain = domains.add(alice.user, "example.com")
    publish(dns_server.zone, domain)
    domains.set_status(domain, "Enabled")
    dns_server.zone.clear()
    for _ in range(3):
        assert "reverify-domains" in chores.run_due(worker.schedule())
        clock.shift(seconds=settings.reverify_interval + 1)
    assert SenderDomain.get_by_id(domain.id).status == "Approval Pending"
