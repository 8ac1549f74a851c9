"""Address validation against the loopback DNS server: what makes an address invalid, what
only warns, and the cache."""
import config
from services import address_validation
from tests.dns_server import Blackhole


def test_a_domain_must_take_mail(settings, dns_server):
    dns_server.zone.add("mx.example", "MX", (10, "in.mx.example"))
    dns_server.zone.add("a-only.example", "A", "192.0.2.1")
    dns_server.zone.add("nullmx.example", "MX", (0, "."))
    dns_server.zone.add("nothing.example", "TXT", "v=spf1 -all")
    assert address_validation.validate("rob@mx.example")["is_valid"] is True
    a_only = address_validation.validate("rob@a-only.example")
    assert a_only["is_valid"] is True and "No MX record" in a_only["warnings"][0]
    assert "null MX" in address_validation.validate("rob@nullmx.example")["error"]
    assert address_validation.validate("rob@nothing.example")["error"] == "The domain has no MX or A record"
    assert address_validation.validate("rob@missing.example")["error"] == "The domain does not exist"
    assert address_validation.validate("rob@@mx.example")["error"].startswith("Invalid email syntax")


def test_disposable_domains_and_their_subdomains(settings):
    assert address_validation.validate("x@mailinator.com")["error"] == "Disposable email domain"
    assert address_validation.validate("x@eu.mailinator.com")["error"] == "Disposable email domain"


def test_role_accounts_warn_or_fail_in_strict_mode(settings, dns_server):
    dns_server.zone.add("roles.example", "MX", (10, "mx.roles.example"))
    assert address_validation.validate("postmaster@roles.example")["warnings"] == ["Role-based email address"]
    strict = address_validation.validate("postmaster@roles.example", strict=True)
    assert strict["is_valid"] is False and strict["error"] == "Role-based email address"


def test_a_dns_timeout_only_warns_and_results_are_cached(settings):
    hole = Blackhole()
    try:
        config.use(settings.replace(dns_servers=(hole.address,), dns_timeout=0.3))
        first = address_validation.validate("Rob@Slow.example")
        assert first["is_valid"] is True and "did not answer" in first["warnings"][0] and first["cached"] is False
        assert address_validation.validate("rob@slow.example")["cached"] is True
        assert address_validation.validate("rob@slow.example", strict=True)["cached"] is False
    finally:
        hole.stop()
