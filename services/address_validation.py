"""Is an address worth sending to? Syntax (email-validator), a domain that takes mail (MX, else
A/AAAA, through the one resolver; a null MX refuses mail), not a disposable-mail provider (the
maintained `disposable-email-domains` list), and, in strict mode, not a role account (admin@,
info@, ...), which reaches a team rather than a person. Results are cached for CACHE_SECONDS
per address and mode, in the process: a client validating a list twice pays DNS once."""
from __future__ import annotations

import datetime
import threading
import time

import email_validator
from disposable_email_domains import blocklist

import clock
from services import dns

CACHE_SECONDS = 3600
CACHE_SIZE = 10_000
ROLE_ACCOUNTS = frozenset({
    "abuse", "admin", "administrator", "billing", "contact", "enquiries", "help", "hostmaster", "info", "inquiries",
    "it", "jobs", "mail", "marketing", "media", "no-reply", "noc", "noreply", "office", "postmaster", "press",
    "privacy", "sales", "security", "service", "support", "team", "webmaster"})

_cache: dict[tuple[str, bool], tuple[float, dict]] = {}
_lock = threading.Lock()


def validate(address: str, *, strict: bool = False) -> dict:
    """{email, is_valid, error, warnings, cached, validated_at}: `error` says why an address
    is not valid (None when it is), `warnings` what may still go wrong."""
    key = ((address or "").strip().lower(), strict)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit and hit[0] > now:
        return {**hit[1], "cached": True}
    result = _check(key[0], strict)
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            for stale in [k for k, (until, _) in _cache.items() if until <= now] or list(_cache)[:CACHE_SIZE // 10]:
                del _cache[stale]
        _cache[key] = (now + CACHE_SECONDS, result)
    return result


def _disposable(domain: str) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


def _check(address: str, strict: bool) -> dict:
    result = {"email": address, "is_valid": False, "error": None, "warnings": [], "cached": False,
              "validated_at": clock.now().replace(tzinfo=datetime.UTC).isoformat().replace("+00:00", "Z")}
    try:
        parsed = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return {**result, "error": f"Invalid email syntax: {exc}"}
    local, domain = parsed.local_part.lower(), parsed.ascii_domain.lower()
    if _disposable(domain):
        return {**result, "error": "Disposable email domain"}
    if local in ROLE_ACCOUNTS:
        if strict:
            return {**result, "error": "Role-based email address"}
        result["warnings"].append("Role-based email address")
    try:
        mx = [r for r in dns.lookup(domain, "MX")]
        if len(mx) == 1 and str(mx[0].exchange) == ".":
            return {**result, "error": "The domain does not accept email (null MX)"}
        if not mx and not dns.addresses(domain):
            return {**result, "error": "The domain has no MX or A record"}
        if not mx:
            result["warnings"].append("No MX record; mail would go to the domain's A record")
    except dns.NoSuchName:
        return {**result, "error": "The domain does not exist"}
    except dns.DNSTimeout:
        result["warnings"].append("DNS did not answer in time; the domain could not be checked")
    return {**result, "is_valid": True}
