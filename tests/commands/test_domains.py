"""AddDomain, GetDomain, GetDomains, UpdateDomain, DeleteDomain, RegenerateSigningKey."""
import datetime

import pytest

from models import SenderDomain
from services import domains


def test_add_domain_answers_the_seed_and_the_newer_shape(api, alice, settings):
    answer = api(alice, "EmailGateway.AddDomain", DomainName="Example.COM.")
    assert answer["Success"] and answer["ErrorCode"] == 0
    domain = answer["Domain"]
    assert answer["NewSenderDomainID"] == domain["DomainID"]
    assert domain["DomainName"] == domain["SenderDomain"] == "example.com"
    assert domain["Status"] == "Approval Pending"
    assert (domain["VerificationStatus"], domain["DKIMStatus"], domain["SPFStatus"]) == ("Pending",) * 3
    assert domain["Verified"] is False and domain["Active"] is False and domain["IsActive"] is False
    assert domain["Options"] == {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0, "HostingProvider": "",
                                 "CustomSubdomain": "", "CustomTrackPrefix": "", "TrackMerge": "-",
                                 "TrackPrefixDisabled": False}
    records = {(r["Type"], r["Host"]): r["Value"] for r in domain["VerificationMeta"]["DNSRecords"]}
    selector = domain["DKIMSelector"]
    assert records[("TXT", f"{selector}._domainkey.example.com")].startswith("v=DKIM1; k=rsa; p=MII")
    assert records[("MX", "gp.example.com")] == f"10 {settings.mail_host}"
    assert records[("TXT", "gp.example.com")] == f"v=spf1 include:{settings.spf_include} ~all"
    assert records[("TXT", "_dmarc.example.com")].startswith("v=DMARC1;")
    assert records[("TXT", "_gatepost.example.com")].startswith("gatepost-verification=")
    assert records[("CNAME", "track-gp.example.com")] == settings.tracking_host


def test_each_domain_gets_its_own_keys(api, alice):
    a = api(alice, "EmailGateway.AddDomain", DomainName="a.example.com")["Domain"]
    b = api(alice, "EmailGateway.AddDomain", DomainName="b.example.com")["Domain"]
    row_a, row_b = SenderDomain.get_by_id(a["DomainID"]), SenderDomain.get_by_id(b["DomainID"])
    assert row_a.dkim_public_key != row_b.dkim_public_key
    assert domains.signing_key(row_a) != domains.signing_key(row_b)
    assert "PRIVATE KEY" not in row_a.dkim_private_key  # encrypted at rest


def test_add_domain_accepts_idn_names_in_ascii_form(api, alice):
    answer = api(alice, "EmailGateway.AddDomain", DomainName="Bücher.example")
    assert answer["Domain"]["DomainName"] == "xn--bcher-kva.example"


@pytest.mark.parametrize("name", ["localhost", "nodots", "exa mple.com", "-bad.example.com", "a..example.com",
                                  "192.168.1.1", "under_score.example.com", "x" * 64 + ".example.com",
                                  "printer.local", "example.com/path"])
def test_add_domain_rejects_invalid_names_with_2(api, alice, name):
    answer = api(alice, "EmailGateway.AddDomain", DomainName=name)
    assert (answer["Success"], answer["ErrorCode"]) == (False, 2)
    assert answer["ErrorText"] == "Invalid domain name provided"


def test_add_domain_errors_1_and_4(api, alice):
    assert api(alice, "EmailGateway.AddDomain")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.AddDomain", DomainName="")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.AddDomain", DomainName="example.com", Subdomain="bad_sub")["ErrorCode"] == 4
    assert api(alice, "EmailGateway.AddDomain", DomainName="example.com", TrackPrefix="x" * 33)["ErrorCode"] == 4
    assert api(alice, "EmailGateway.AddDomain", DomainName="example.com", TrackMerge="+")["ErrorCode"] == 4


def test_add_domain_with_options_shapes_the_records(api, alice):
    domain = api(alice, "EmailGateway.AddDomain", DomainName="example.com", Subdomain="Mail",
                 TrackPrefix="clicks", TrackMerge=".")["Domain"]
    hosts = {r["Host"] for r in domain["VerificationMeta"]["DNSRecords"]}
    assert {"mail.example.com", "clicks.mail.example.com"} <= hosts
    plain = api(alice, "EmailGateway.AddDomain", DomainName="other.example", TrackPrefixDisabled=1)["Domain"]
    assert plain["TrackingHost"] is None
    assert all(r["Purpose"] != "tracking" for r in plain["VerificationMeta"]["DNSRecords"])


def test_domain_limit_is_code_3_and_deleted_domains_free_a_slot(api, make_user):
    account = make_user(max_sender_domains=2)
    first = api(account, "EmailGateway.AddDomain", DomainName="one.example.com")
    api(account, "EmailGateway.AddDomain", DomainName="two.example.com")
    answer = api(account, "EmailGateway.AddDomain", DomainName="three.example.com")
    assert answer["ErrorCode"] == 3
    assert answer["ErrorText"] == "User has reached the maximum number of sender domains allowed"
    assert api(account, "EmailGateway.DeleteDomain", DomainID=first["NewSenderDomainID"])["Success"]
    assert api(account, "EmailGateway.AddDomain", DomainName="three.example.com")["Success"]


def test_re_adding_keeps_live_domains_and_revives_deleted_ones(api, alice):
    first = api(alice, "EmailGateway.AddDomain", DomainName="example.com")["Domain"]
    row = SenderDomain.get_by_id(first["DomainID"])
    domains.set_status(row, "Suspended")
    again = api(alice, "EmailGateway.AddDomain", DomainName="EXAMPLE.com")
    assert again["NewSenderDomainID"] == first["DomainID"] and again["Domain"]["Status"] == "Suspended"
    domains.set_status(row, "Enabled")
    assert api(alice, "EmailGateway.DeleteDomain", DomainID=first["DomainID"])["Success"]
    revived = api(alice, "EmailGateway.AddDomain", DomainName="example.com")
    assert revived["NewSenderDomainID"] == first["DomainID"]
    assert revived["Domain"]["Status"] == "Approval Pending"


def test_get_domain(api, alice, add_domain):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.GetDomain", DomainID=str(domain["DomainID"]))
    assert answer["Success"] and answer["Domain"] == domain
    assert api(alice, "EmailGateway.GetDomain")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.GetDomain", DomainID="abc")["ErrorCode"] == 2  # given, so not "missing"
    assert api(alice, "EmailGateway.GetDomain", DomainID=domain["DomainID"] + 100)["ErrorCode"] == 2


def test_get_domains_lists_live_domains_with_optional_counts(api, alice, add_domain):
    assert api(alice, "EmailGateway.GetDomains")["Domains"] == []
    a, b = add_domain(alice, "a.example.com"), add_domain(alice, "b.example.com")
    gone = add_domain(alice, "gone.example.com")
    api(alice, "EmailGateway.DeleteDomain", DomainID=gone["DomainID"])
    api(alice, "EmailGateway.AddAPI", DomainID=a["DomainID"], Description="one")
    api(alice, "EmailGateway.AddAPI", DomainID=a["DomainID"], Description="two")
    api(alice, "EmailGateway.AddSMTP", DomainID=b["DomainID"])
    listed = api(alice, "EmailGateway.GetDomains")["Domains"]
    assert [d["DomainName"] for d in listed] == ["a.example.com", "b.example.com"]
    assert "APIKeyCount" not in listed[0]
    for view in listed:  # each as GetDomain shows it, DomainID a string (as the seed's GetDomains)
        one = api(alice, "EmailGateway.GetDomain", DomainID=view["DomainID"])["Domain"]
        assert view == {**one, "DomainID": str(one["DomainID"])}
    for truthy in (1, "1", "true", "yes", True):
        counted = api(alice, "EmailGateway.GetDomains", WithCounts=truthy)["Domains"]
        assert [(d["APIKeyCount"], d["SMTPCount"], d["WebhookCount"]) for d in counted] == [(2, 0, 0), (0, 1, 0)]
        assert [(d["Sent7d"], d["BounceRate7d"], d["LastActivityAt"]) for d in counted] == [(0, 0, None)] * 2


def test_get_domains_with_counts_reports_recent_sending(api, sender, send, deliver, sink):
    import clock

    send(To=[{"email": "ok@example.net"}, {"email": "bounce@example.net"}, {"email": "x@example.org"}])
    deliver()
    [domain] = api(sender.account, "EmailGateway.GetDomains", WithCounts=1)["Domains"]
    assert (domain["Sent7d"], domain["BounceRate7d"]) == (3, 33.33)
    clock.shift(days=8)  # those leave the 7-day window
    send(To=[{"email": "later@example.net"}])
    [domain] = api(sender.account, "EmailGateway.GetDomains", WithCounts=1)["Domains"]
    assert (domain["Sent7d"], domain["BounceRate7d"]) == (1, 0)
    last = datetime.datetime.strptime(domain["LastActivityAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(last - clock.now()) < datetime.timedelta(seconds=5)


def test_update_domain_changes_options(api, alice, add_domain):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], LinkTracking="0",
                 OpenTracking=0, UnsubscribeLink="1", HostingProvider="Acme DNS")
    assert answer["Success"] and answer["SubdomainChanged"] is False
    updated = answer["Domain"]
    assert updated["Options"]["LinkTracking"] == 0 and updated["Options"]["OpenTracking"] == 0
    assert updated["Options"]["UnsubscribeLink"] == 1 and updated["HostingProvider"] == "Acme DNS"
    assert (updated["LinkTracking"], updated["UnsubscribeLink"]) == ("0", "1")  # the seed's flat keys
    # parameters not given are left alone
    again = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], OpenTracking="1")["Domain"]
    assert again["Options"]["LinkTracking"] == 0 and again["Options"]["OpenTracking"] == 1


def test_update_domain_record_options_reset_status_unless_locked(api, alice, add_domain):
    domain = add_domain(alice)
    row = SenderDomain.get_by_id(domain["DomainID"])
    domains.set_status(row, "Enabled")
    answer = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], Subdomain="bounce")
    assert answer["SubdomainChanged"] is True and answer["Domain"]["Status"] == "Approval Pending"
    assert answer["Domain"]["ReturnPathHost"] == "bounce.example.com"
    same = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], Subdomain="bounce")
    assert same["SubdomainChanged"] is False
    for locked in ("Suspended", "Blocked"):
        domains.set_status(row, locked)
        answer = api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], TrackPrefix="t" + locked[:3])
        assert answer["SubdomainChanged"] is True and answer["Domain"]["Status"] == locked


def test_update_domain_errors(api, alice, add_domain):
    domain = add_domain(alice)
    assert api(alice, "EmailGateway.UpdateDomain")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.UpdateDomain", DomainID=999999)["ErrorCode"] == 5
    assert api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], Subdomain="no_way")["ErrorCode"] == 6
    assert api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"], TrackPrefix="a.b")["ErrorCode"] == 6
    assert api(alice, "EmailGateway.UpdateDomain", DomainID=domain["DomainID"],
               HostingProvider=["not", "text"])["ErrorCode"] == 6


def test_delete_domain(api, alice, add_domain):
    domain = add_domain(alice)
    api(alice, "EmailGateway.AddAPI", DomainID=domain["DomainID"], Description="k")
    assert api(alice, "EmailGateway.DeleteDomain")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.DeleteDomain", DomainID=999999)["ErrorCode"] == 2
    assert api(alice, "EmailGateway.DeleteDomain", DomainID=domain["DomainID"]) == {
        "Success": True, "ErrorCode": 0, "ErrorText": ""}
    assert api(alice, "EmailGateway.GetDomain", DomainID=domain["DomainID"])["ErrorCode"] == 2
    assert api(alice, "EmailGateway.DeleteDomain", DomainID=domain["DomainID"])["ErrorCode"] == 2
    assert SenderDomain.get_by_id(domain["DomainID"]).status == "Deleted"  # kept for history
    assert not SenderDomain.get_by_id(domain["DomainID"]).api_keys.exists()  # its keys are gone


@pytest.mark.parametrize("status", ["Suspended", "Blocked"])
def test_locked_domains_cannot_be_deleted(api, alice, add_domain, status):
    domain = add_domain(alice)
    domains.set_status(SenderDomain.get_by_id(domain["DomainID"]), status)
    answer = api(alice, "EmailGateway.DeleteDomain", DomainID=domain["DomainID"])
    assert answer["ErrorCode"] == 3
    assert SenderDomain.get_by_id(domain["DomainID"]).status == status


def test_regenerate_signing_key(api, alice, add_domain):
    domain = add_domain(alice)
    before = api(alice, "EmailGateway.GetWebhooks", DomainID=domain["DomainID"])["SigningKey"]
    answer = api(alice, "EmailGateway.RegenerateSigningKey", DomainID=domain["DomainID"])
    assert answer["Success"] and len(answer["SigningKey"]) == 64
    assert answer["SigningKey"] == answer["SigningKey"].upper() and answer["SigningKey"] != before
    assert api(alice, "EmailGateway.GetWebhooks", DomainID=domain["DomainID"])["SigningKey"] == answer["SigningKey"]
    assert api(alice, "EmailGateway.RegenerateSigningKey")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.RegenerateSigningKey", DomainID=999999)["ErrorCode"] == 2
