"""Domain name rules and the record set."""
import pytest

from services import domains
from services.errors import InvalidDomainName


@pytest.mark.parametrize("given,expected", [("Example.COM", "example.com"), ("example.com.", "example.com"),
                                            ("münchen.de", "xn--mnchen-3ya.de"), (" a-b.co.uk ", "a-b.co.uk"),
                                            ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de")])
def test_normalize_name(given, expected):
    assert domains.normalize_name(given) == expected


@pytest.mark.parametrize("bad", ["", "com", "1.2.3.4", "a_b.com", "foo.localhost", "x.internal", "a b.com",
                                 "é" * 70 + ".com"])
def test_normalize_name_rejects(bad):
    with pytest.raises(InvalidDomainName):
        domains.normalize_name(bad)
