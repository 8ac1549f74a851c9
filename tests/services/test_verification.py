"""Verification against a real DNS server on loopback: semantic comparison and status rules."""
import pytest

import config
from models import SenderDomain
from services import accounts, domains, verification
from tests.conftest import publish
from tests.dns_server import Blackhole


@pytest.fixture
def domain(alice, settings):
    return domains.add(alice.user, "example.com")


def by_purpose(checks):
    return {c.record.purpose: c for c in checks}


def test_all_records_right_enables_the_domain(domain, dns_server):
    publish(dns_server.zone, domain)
    checks = verification.verify(domain)
    assert all(c.verified and c.reason == "" for c in checks)
    assert {c.record.purpose for c in checks} == {"ownership", "dkim", "return-path", "spf", "dmarc", "tracking"}
    fresh = SenderDomain.get_by_id(domain.id)
    assert fresh.status == "Enabled" and fresh.verified_at is not None
    assert verification.last_results(fresh) == {c.record.purpose: True for c in checks}


@pytest.mark.parametrize("purpose", ["ownership", "dkim", "return-path", "spf", "dmarc", "tracking"])
def test_each_missing_record_keeps_the_domain_pending_and_says_why(domain, dns_server, purpose):
    publish(dns_server.zone, domain, **{purpose: None})
    checks = by_purpose(verification.verify(domain))
    assert not checks[purpose].verified
    assert checks[purpose].reason.startswith(("no ", "NXDOMAIN"))
    assert all(c.verified for p, c in checks.items() if p != purpose)
    assert SenderDomain.get_by_id(domain.id).status == "Approval Pending"


WRONG = {"ownership": "gatepost-verification=not-the-token",
         "dkim": "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong",
         "return-path": "10 mx.elsewhere.test",
         "spf": "v=spf1 include:spf.elsewhere.test ~all",
         "dmarc": "v=DMARC1; p=maybe",
         "tracking": "track.elsewhere.test"}


@pytest.mark.parametrize("purpose", sorted(WRONG))
def test_each_wrong_record_fails_with_what_was_found(domain, dns_server, purpose):
    publish(dns_server.zone, domain, **{purpose: WRONG[purpose]})
    check = by_purpose(verification.verify(domain))[purpose]
    assert not check.verified
    assert check.reason.startswith("found: ") and WRONG[purpose].split()[-1].rstrip(";") in check.reason


def test_spf_with_other_mechanisms_passes_but_two_spf_records_fail(domain, dns_server, settings):
    rp = f"gp.{domain.name}"
    publish(dns_server.zone, domain, spf=f"v=spf1 ip4:192.0.2.1 include:_spf.example.net "
                                         f"+include:{settings.spf_include.upper()} -all")
    dns_server.zone.add(rp, "TXT", "google-site-verification=abc")  # other TXT records are fine
    assert by_purpose(verification.verify(domain))["spf"].verified
    dns_server.zone.add(rp, "TXT", "v=spf1 -all")
    assert not by_purpose(verification.verify(domain))["spf"].verified


def test_dkim_key_split_across_strings_and_spaces_passes(domain, dns_server):
    key = domain.dkim_public_key
    publish(dns_server.zone, domain, dkim=None)
    host = f"{domain.dkim_selector}._domainkey.{domain.name}"
    dns_server.zone.add(host, "TXT", ["v=DKIM1; k=rsa; p=" + key[:200], key[200:]])
    assert by_purpose(verification.verify(domain))["dkim"].verified
    dns_server.zone.remove(host)
    dns_server.zone.add(host, "TXT", "v=DKIM1;k=rsa;  p=" + " ".join([key[:100], key[100:]]))
    assert by_purpose(verification.verify(domain))["dkim"].verified


def test_cname_and_mx_targets_compare_case_insensitively(domain, dns_server, settings):
    publish(dns_server.zone, domain, tracking=settings.tracking_host.upper() + ".",
            **{"return-path": f"20 {settings.mail_host.upper()}."})
    checks = by_purpose(verification.verify(domain))
    assert checks["tracking"].verified and checks["return-path"].verified


def test_a_dns_timeout_is_no_verdict(domain, dns_server, settings):
    hole = Blackhole()
    try:
        config.use(settings.replace(dns_servers=(hole.address,), dns_timeout=0.3))
        domains.set_status(domain, "Enabled")
        checks = verification.verify(domain)
    finally:
        hole.stop()
    assert all(c.timed_out and not c.verified and "timeout" in c.reason.lower() for c in checks)
    fresh = SenderDomain.get_by_id(domain.id)
    assert fresh.status == "Enabled" and fresh.verification_failures == 0
    # one deadline for all: had the lookups run one after another, the first would have used
    # it all up and the others would never have been asked
    assert {(c.record.host, c.record.type) for c in checks} <= hole.asked


@pytest.mark.parametrize("status", ["Suspended", "Blocked", "Disabled"])
@pytest.mark.parametrize("records_right", [True, False])
def test_operator_and_user_statuses_never_change_by_verification(domain, dns_server, status, records_right):
    domains.set_status(domain, status)
    if records_right:
        publish(dns_server.zone, domain)
    verification.verify(domain)
    assert SenderDomain.get_by_id(domain.id).status == status


def test_manual_approval_groups_end_in_blocked(make_user, dns_server):
    account = make_user(group=accounts.create_group("Reviewed", manual_domain_approval=True))
    domain = domains.add(account.user, "reviewed.example.com")
    publish(dns_server.zone, domain)
    verification.verify(domain)
    fresh = SenderDomain.get_by_id(domain.id)
    assert fresh.status == "Blocked" and "approval" in fresh.status_reason
    verification.verify(fresh)  # verifying again never releases it
    assert SenderDomain.get_by_id(domain.id).status == "Blocked"


def test_a_failing_explicit_verification_demotes_an_enabled_domain(domain, dns_server):
    publish(dns_server.zone, domain)
    verification.verify(domain)
    dns_server.zone.remove(f"_dmarc.{domain.name}")
    verification.verify(domain)
    fresh = SenderDomain.get_by_id(domain.id)
    assert fresh.status == "Approval Pending" and "dmarc" in fresh.status_reason


def test_periodic_reverification_demotes_after_three_failures(domain, dns_server):
    publish(dns_server.zone, domain)
    verification.verify(domain)
    dns_server.zone.remove(f"{domain.dkim_selector}._domainkey.{domain.name}")
    assert verification.reverify_enabled() == {"checked": 1, "failing": 1, "demoted": 0}
    assert verification.reverify_enabled() == {"checked": 1, "failing": 1, "demoted": 0}
    assert SenderDomain.get_by_id(domain.id).status == "Enabled"
    assert verification.reverify_enabled() == {"checked": 1, "failing": 1, "demoted": 1}
    fresh = SenderDomain.get_by_id(domain.id)
    assert fresh.status == "Approval Pending" and "dkim" in fresh.status_reason
    assert verification.reverify_enabled() == {"checked": 0, "failing": 0, "demoted": 0}


def test_a_pass_between_failures_resets_the_count(domain, dns_server):
    publish(dns_server.zone, domain)
    verification.verify(domain)
    host = f"_dmarc.{domain.name}"
    for _ in range(2):
        dns_server.zone.remove(host)
        verification.reverify_enabled()
        dns_server.zone.add(host, "TXT", "v=DMARC1; p=reject")
        verification.reverify_enabled()
    assert SenderDomain.get_by_id(domain.id).status == "Enabled"
