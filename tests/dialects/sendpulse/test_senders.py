"""Senders, sending IPs and sender domains, in the document's shapes (and the legacy
/smtp/domains calls pysendpulse makes)."""
from services import domains
from tests.conftest import publish


def test_add_list_and_delete_senders(sp, sender):
    assert sp("POST", "/senders", json={"email": "sender@example.com", "name": "Sender"}).json == {"result": True}
    pending = domains.add(sender.account.user, "later.org")
    assert sp("POST", "/senders", json={"email": "news@later.org", "name": "News"}).json == {"result": True}
    assert sp("GET", "/senders").json == [{"name": "Sender", "email": "sender@example.com", "status": "Active"},
                                          {"name": "News", "email": "news@later.org", "status": "Inactive"}]
    assert sp("GET", "/smtp/senders").json == ["sender@example.com"]
    domains.set_status(pending, "Enabled")
    assert sp("GET", "/smtp/senders").json == ["sender@example.com", "news@later.org"]
    assert sp("DELETE", "/senders", json={"email": "news@later.org"}).json == {"result": True}
    assert sp("DELETE", "/senders", json={"email": "news@later.org"}).status_code == 404
    for bad in ({"email": "a@stranger.org", "name": "X"}, {"email": "nope", "name": "X"}, {"email": "a@example.com"}):
        answer = sp("POST", "/senders", json=bad)
        assert answer.status_code == 400 and answer.json["error_code"] == 400


def test_ips_are_the_mail_hosts_addresses(sp, sender, dns_server, settings):
    dns_server.zone.add(settings.mail_host, "A", "192.0.2.25")
    assert sp("GET", "/smtp/ips").json == ["192.0.2.25"]


def test_sender_domains_with_their_checks(sp, sender, dns_server):
    from services import verification

    verification.verify(sender.domain)  # every record published by the fixture
    fresh = domains.add(sender.account.user, "fresh.org")
    publish(dns_server.zone, fresh, dkim=None)
    verification.verify(fresh)
    body = sp("GET", "/v2/email-service/smtp/sender_domains").json
    assert body["data"]["result"] is True
    first, second = body["data"]["data"]
    assert first["service_value"] == "example.com" and first["service_type"] == 3 and first["status"] == 1
    assert first["is_default"] is True and first["checks"]["all_checks"] is True
    assert first["checks"]["spf_txt_needed"].startswith("v=spf1 include:")
    assert second["status"] == 0 and second["checks"]["check_dkim"] is False and second["checks"]["check_spf"] is True
    assert second["checks"]["all_checks"] is False


def test_add_a_sender_domain(sp, sender):
    answer = sp("POST", "/v2/email-service/smtp/sender_domains/mydomain.com")
    assert answer.json == {"data": {"result": True, "error": None}}
    assert [d.name for d in domains.list_for(sender.account.user)] == ["example.com", "mydomain.com"]
    bad = sp("POST", "/v2/email-service/smtp/sender_domains/not_a_domain")
    assert bad.status_code == 400 and bad.json["error_code"] == 400


def test_the_legacy_domain_calls(sp, sender):
    assert sp("POST", "/smtp/domains", json={"email": "me@legacy.org"}).json == {"result": True}
    assert sp("GET", "/smtp/domains").json == ["example.com", "legacy.org"]
    verified = sp("GET", "/smtp/domains/me@example.com").json
    assert verified == {"result": True, "status": "Enabled"}
    assert sp("GET", "/smtp/domains/me@legacy.org").json["result"] is False
    assert sp("GET", "/smtp/domains/me@unknown.org").status_code == 404
