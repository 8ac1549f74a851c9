"""The one resolver: every lookup Gatepost makes (MX, TXT, CNAME, A/AAAA) goes through here,
to the servers in GATEPOST_DNS_SERVERS (host[:port], comma-separated) or the system's."""
from __future__ import annotations

import functools

import dns.exception
import dns.nameserver
import dns.resolver

import config


class DNSTimeout(Exception):
    """No DNS server answered in time: the answer is unknown, not negative."""


class NoSuchName(Exception):
    """NXDOMAIN: the name does not exist at all."""


@functools.lru_cache(maxsize=8)
def _resolver(servers: tuple[str, ...], timeout: float) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [_nameserver(s) for s in servers]
    resolver.lifetime = timeout
    resolver.timeout = min(timeout, 2.0)
    resolver.cache = dns.resolver.LRUCache() if not servers else None
    return resolver


def _nameserver(spec: str) -> dns.nameserver.Do53Nameserver:
    if spec.startswith("["):  # [::1]:5353
        host, _, port = spec[1:].partition("]:")
    elif spec.count(":") == 1:
        host, _, port = spec.partition(":")
    else:
        host, port = spec, ""
    return dns.nameserver.Do53Nameserver(host, int(port or 53))


def resolver() -> dns.resolver.Resolver:
    settings = config.current()
    return _resolver(settings.dns_servers, settings.dns_timeout)


def lookup(name: str, rdtype: str, lifetime: float | None = None) -> list:
    """The answer's rdata, empty when the name has no such record; NoSuchName for NXDOMAIN,
    DNSTimeout when no server answered (the answer is unknown). `lifetime` (seconds) bounds
    this lookup instead of GATEPOST_DNS_TIMEOUT, for callers sharing one deadline."""
    if lifetime is not None and lifetime <= 0:
        raise DNSTimeout(f"no time left to look up {name} {rdtype}")
    try:
        return list(resolver().resolve(name, rdtype, search=False, lifetime=lifetime))
    except dns.resolver.NXDOMAIN:
        raise NoSuchName(name) from None
    except (dns.resolver.NoAnswer, dns.resolver.NoNameservers, dns.name.EmptyLabel):
        return []
    except (dns.exception.Timeout, dns.resolver.LifetimeTimeout):
        raise DNSTimeout(f"no answer for {name} {rdtype} in time") from None


def addresses(host: str) -> list[str]:
    """A and AAAA addresses of a host name (none when it does not exist)."""
    try:
        return [r.address for rdtype in ("A", "AAAA") for r in lookup(host, rdtype)]
    except NoSuchName:
        return []


def txt_strings(rdata) -> str:
    """One TXT record's value: its character-strings joined, as SPF and DKIM read them."""
    return b"".join(rdata.strings).decode("utf-8", "replace")
