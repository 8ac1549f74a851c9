"""EmailGateway.VerifyDomain and how verification shows in the domain shape."""
import config
from models import SenderDomain
from services import domains
from tests.conftest import publish
from tests.dns_server import Blackhole


def test_verify_domain_answers_the_seed_shape_with_reasons(api, alice, add_domain, dns_server):
    domain = add_domain(alice)
    publish(dns_server.zone, SenderDomain.get_by_id(domain["DomainID"]), dmarc=None)
    answer = api(alice, "EmailGateway.VerifyDomain", DomainID=domain["DomainID"])
    assert answer["Success"]
    assert answer["Domain"] == {"DomainID": str(domain["DomainID"]), "DomainName": "example.com",
                                "SenderDomain": "example.com", "Status": "Approval Pending",
                                "StatusReason": answer["Domain"]["StatusReason"]}
    results = {r["Purpose"]: r for r in answer["DNSVerificationResults"]}
    assert set(results["spf"]) == {"Host", "Type", "Value", "Purpose", "Verified", "Reason"}
    assert results["dmarc"]["Verified"] is False and "NXDOMAIN" in results["dmarc"]["Reason"]
    assert results["dkim"]["Verified"] is True and results["dkim"]["Reason"] == ""
    shown = api(alice, "EmailGateway.GetDomain", DomainID=domain["DomainID"])["Domain"]
    assert (shown["VerificationStatus"], shown["DKIMStatus"], shown["SPFStatus"]) == ("Failed", "Verified", "Verified")
    assert shown["Verified"] is False


def test_verified_domain_shows_enabled_everywhere(api, alice, add_domain, dns_server):
    domain = add_domain(alice)
    publish(dns_server.zone, SenderDomain.get_by_id(domain["DomainID"]))
    assert api(alice, "EmailGateway.VerifyDomain", DomainID=domain["DomainID"])["Domain"]["Status"] == "Enabled"
    shown = api(alice, "EmailGateway.GetDomains")["Domains"][0]
    assert shown["Status"] == "Enabled" and shown["Verified"] and shown["Active"] and shown["IsActive"]
    assert all(r["Verified"] for r in shown["VerificationMeta"]["DNSRecords"])
    changed = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], TrackPrefix="click")
    assert changed["Domain"]["Status"] == "Approval Pending" and changed["Domain"]["VerificationStatus"] == "Pending"


def test_verify_domain_errors(api, alice):
    assert api(alice, "EmailGateway.VerifyDomain")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.VerifyDomain", DomainID=999999)["ErrorCode"] == 2


def test_verify_domain_when_dns_does_not_answer(api, alice, add_domain, settings):
    """The seed's request, against a DNS server that never answers: every record is reported
    as timed out (each one was asked, under the one deadline), and the status stays."""
    domain = add_domain(alice)
    row = SenderDomain.get_by_id(domain["DomainID"])
    domains.set_status(row, "Enabled")
    hole = Blackhole()
    try:
        config.use(settings.replace(dns_servers=(hole.address,), dns_timeout=0.5))
        answer = api(alice, "EmailGateway.VerifyDomain", DomainID=str(domain["DomainID"]))
    finally:
        hole.stop()
    assert answer["Success"] and answer["Domain"]["Status"] == "Enabled"
    results = answer["DNSVerificationResults"]
    assert {r["Purpose"] for r in results} == {"ownership", "dkim", "return-path", "spf", "dmarc", "tracking"}
    assert all(r["Verified"] is False and r["Reason"].startswith("DNS timeout") for r in results)
    assert {(r["Host"], r["Type"]) for r in results} <= hole.asked
    fresh = SenderDomain.get_by_id(row.id)
    assert fresh.status == "Enabled" and fresh.verification_failures == 0
