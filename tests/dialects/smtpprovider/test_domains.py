"""Domains: add (the real DKIM selector and key), list, view (the records) and live verification."""
import pytest

from models import SenderDomain
from tests.conftest import publish
from tests.dialects.smtpprovider import seed


def test_add_answers_the_domains_real_dkim_record(call):
    answer = call("POST", "/api/v1/smtp-domain-add", seed.DOMAIN_ADD)
    assert answer.status_code == 200 and answer.json["success"] is True
    data = answer.json["data"]
    assert data["success"] is True
    domain = data["domain"]
    assert {"id", "domain_name", "host", "selector", "public_key"} <= set(domain)
    row = SenderDomain.get_by_id(domain["id"])
    assert (row.user_id, row.name, domain["domain_name"]) == (123, "example.com", "example.com")
    assert domain["selector"] == row.dkim_selector and domain["host"] == f"{row.dkim_selector}._domainkey.example.com"
    assert domain["public_key"] == f"v=DKIM1; k=rsa; p={row.dkim_public_key}"


def test_a_domain_name_is_unique_and_valid(call):
    call("POST", "/api/v1/smtp-domain-add", seed.DOMAIN_ADD)
    again = call("POST", "/api/v1/smtp-domain-add", {**seed.DOMAIN_ADD, "domain_name": "EXAMPLE.com."})
    assert again.status_code == 422 and again.json == {"success": False, "data": ["The domain name has already been taken."]}
    bad = call("POST", "/api/v1/smtp-domain-add", {"user_id": 123, "domain_name": "not a domain"})
    assert bad.status_code == 422 and bad.json["data"] == ["The domain name field must be a valid domain name."]
    both = call("POST", "/api/v1/smtp-domain-add", {"domain_name": ["x"]})
    assert both.json["data"] == ["The user id field is required.", "The domain name field must be a string."]


def test_list_and_view(call):
    added = call("POST", "/api/v1/smtp-domain-add", seed.DOMAIN_ADD).json["data"]["domain"]
    listed = call("GET", "/api/v1/smtp-domain-list", seed.USER_QUERY).json["data"]["domains"]
    assert [d["domain_name"] for d in listed] == ["example.com"] and listed[0]["status"] == "Approval Pending"
    view = call("GET", "/api/v1/smtp-domain-view", seed.DOMAIN_QUERY)
    assert view.status_code == 200
    data = view.json["data"]
    assert data["domain"]["id"] == added["id"]
    records = {r["purpose"]: r for r in data["dns_records"]}
    assert set(records) == {"ownership", "dkim", "return-path", "spf", "dmarc", "tracking"}
    assert records["dkim"]["host"] == added["host"] and records["dkim"]["value"] == added["public_key"]
    assert not any(r["verified"] for r in records.values())
    unknown = call("GET", "/api/v1/smtp-domain-view", {"user_id": 123, "domain_name": "example.net"})
    assert unknown.status_code == 422 and unknown.json["data"] == ["The selected domain name is invalid."]


def test_verify_passes_only_when_the_records_really_do(call, dns_server):
    call("POST", "/api/v1/smtp-domain-add", seed.DOMAIN_ADD)
    row = SenderDomain.get(SenderDomain.name == "example.com")
    publish(dns_server.zone, row, dkim=None)
    failing = call("GET", "/api/v1/smtp-domain-verify", seed.DOMAIN_QUERY)
    assert failing.status_code == 422 and failing.json["success"] is False
    assert len(failing.json["data"]) == 1 and failing.json["data"][0].startswith(
        f"The dkim record (TXT {row.dkim_selector}._domainkey.example.com) is not verified")
    assert SenderDomain.get_by_id(row.id).status == "Approval Pending"
    dns_server.zone.clear()
    publish(dns_server.zone, row)
    passed = call("GET", "/api/v1/smtp-domain-verify", seed.DOMAIN_QUERY)
    assert passed.status_code == 200
    assert passed.json == {"success": True, "data": {"success": True, "message": "Verified Successfully",
                                                     "status": "Enabled"}}
    assert SenderDomain.get_by_id(row.id).status == "Enabled"
    view = call("GET", "/api/v1/smtp-domain-view", seed.DOMAIN_QUERY).json["data"]
    assert all(r["verified"] for r in view["dns_records"]) and view["domain"]["verified"] is True


@pytest.mark.parametrize("path", ["/api/v1/smtp-domain-view", "/api/v1/smtp-domain-verify"])
def test_another_users_domain_is_not_there(call, make_user, path):
    from services import domains

    domains.add(make_user("other@example.net").user, "example.org")
    answer = call("GET", path, {"user_id": 123, "domain_name": "example.org"})
    assert answer.status_code == 422 and answer.json["data"] == ["The selected domain name is invalid."]
