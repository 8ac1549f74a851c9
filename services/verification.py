"""Domain verification: each expected record looked up in live DNS and compared by meaning,
not byte for byte; then the status transitions of Octeth (reference section 6, v6.0.1):

- all records pass: Approval Pending -> Enabled, or Blocked when the user's group wants an
  operator to approve new domains; an Enabled domain stays Enabled;
- any record fails: -> Approval Pending (the periodic re-check waits for 3 failures in a row);
- Blocked, Suspended, Disabled and Deleted never change by verification;
- a DNS timeout is no verdict: the record says so and the status is left alone.

The records are looked up concurrently under one deadline (GATEPOST_DNS_TIMEOUT from the
start), so an unanswering DNS server costs about that timeout once, not once per record.
"""
from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor, wait

import clock
import config
from models import SenderDomain
from models.vocabulary import DomainStatus
from services import dns, dns_records, domains, remembered_keys
from services.dns_records import DNSRecord

FAILURES_BEFORE_DEMOTION = 3
GRACE = 0.5  # seconds past the deadline for lookups to notice it and return
DMARC_POLICIES = {"none", "quarantine", "reject"}


@dataclasses.dataclass(frozen=True)
class RecordCheck:
    record: DNSRecord
    verified: bool
    reason: str = ""  # what was found instead, when not verified
    timed_out: bool = False

    def as_dict(self) -> dict:
        r = self.record
        return {"Host": r.host, "Type": r.type, "Value": r.value, "Purpose": r.purpose,
                "Verified": self.verified, "Reason": self.reason}


def _tags(text: str) -> dict[str, str]:
    """`k=v; k=v` tag lists of DKIM and DMARC records."""
    pairs = (part.split("=", 1) for part in text.split(";") if "=" in part)
    return {k.strip().lower(): v.strip() for k, v in pairs}


def _ownership(found: list[str], record: DNSRecord, domain) -> bool:
    return record.value in (f.strip() for f in found)


def _dkim(found: list[str], record: DNSRecord, domain) -> bool:
    for text in found:
        tags = _tags(text)
        if (tags.get("v", "DKIM1") == "DKIM1" and tags.get("k", "rsa").lower() == "rsa"
                and "".join(tags.get("p", "").split()) == domain.dkim_public_key):
            return True
    return False


def _spf(found: list[str], record: DNSRecord, domain) -> bool:
    spf = [f for f in found if f.lower().split(" ", 1)[0] == "v=spf1"]
    wanted = f"include:{config.current().spf_include}".lower().rstrip(".")
    return len(spf) == 1 and any(term.lstrip("+").lower().rstrip(".") == wanted for term in spf[0].split()[1:])


def _dmarc(found: list[str], record: DNSRecord, domain) -> bool:
    return any(f.replace(" ", "").lower().startswith("v=dmarc1;") and _tags(f).get("p", "").lower() in DMARC_POLICIES
               for f in found)


def _host_match(found: list[str], record: DNSRecord, domain) -> bool:
    """MX (preference ignored) and CNAME targets: case-insensitive, trailing dot or not."""
    expected = record.value.split()[-1].lower().rstrip(".")
    return any(f.split()[-1].lower().rstrip(".") == expected for f in found)


_COMPARE = {"ownership": _ownership, "dkim": _dkim, "spf": _spf, "dmarc": _dmarc,
            "return-path": _host_match, "tracking": _host_match}


def _published(record: DNSRecord, deadline: float) -> list[str]:
    answers = dns.lookup(record.host, record.type, lifetime=deadline - time.monotonic())
    if record.type == "TXT":
        return [dns.txt_strings(a) for a in answers]
    return [a.to_text() for a in answers]


def _timed_out(record: DNSRecord) -> RecordCheck:
    return RecordCheck(record, False, "DNS timeout: no answer, try again later", timed_out=True)


def check(record: DNSRecord, domain, deadline: float) -> RecordCheck:
    """One record against live DNS; `deadline` is a time.monotonic() value."""
    try:
        found = _published(record, deadline)
    except dns.DNSTimeout:
        return _timed_out(record)
    except dns.NoSuchName:
        return RecordCheck(record, False, f"NXDOMAIN: {record.host} does not exist")
    if _COMPARE[record.purpose](found, record, domain):
        return RecordCheck(record, True)
    if not found:
        return RecordCheck(record, False, f"no {record.type} record at {record.host}")
    return RecordCheck(record, False, "found: " + " | ".join(found))


def check_all(records: list[DNSRecord], domain) -> list[RecordCheck]:
    """Every record, each in its own thread, all under one deadline; a lookup still running at
    the deadline (its lifetime ends there too) is reported as timed out."""
    deadline = time.monotonic() + config.current().dns_timeout
    pool = ThreadPoolExecutor(max_workers=max(len(records), 1), thread_name_prefix="dns-verify")
    try:
        futures = [pool.submit(check, record, domain, deadline) for record in records]
        wait(futures, timeout=max(deadline - time.monotonic(), 0) + GRACE)
        return [f.result() if f.done() else _timed_out(r) for f, r in zip(futures, records)]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def verify(domain: SenderDomain, *, periodic: bool = False) -> list[RecordCheck]:
    """Check every record and apply the status rules; returns the per-record results."""
    checks = check_all(dns_records.records(domain), domain)
    if any(c.timed_out for c in checks):
        return checks  # no verdict
    passed = all(c.verified for c in checks)
    failures = 0 if passed else domain.verification_failures + 1
    status, reason = domain.status, domain.status_reason
    if domain.status in (DomainStatus.PENDING, DomainStatus.ENABLED):
        if passed and domain.status == DomainStatus.PENDING:
            if domain.user.group.manual_domain_approval:
                status, reason = DomainStatus.BLOCKED, "DNS verified; awaiting operator approval"
            else:
                status, reason = DomainStatus.ENABLED, ""
        elif not passed and (not periodic or failures >= FAILURES_BEFORE_DEMOTION):
            status = DomainStatus.PENDING
            reason = "DNS verification failed: " + "; ".join(
                f"{c.record.purpose} ({c.reason})" for c in checks if not c.verified)
    (SenderDomain.update(status=status, status_reason=reason, verification=json.dumps([c.as_dict() for c in checks]),
                         verification_failures=failures, verified_at=clock.now() if passed else domain.verified_at)
     .where(SenderDomain.id == domain.id, SenderDomain.status == domain.status).execute())
    if status != domain.status:
        remembered_keys.forget()
    domain.status, domain.status_reason, domain.verification_failures = status, reason, failures
    return checks


def reverify_enabled() -> dict[str, int]:
    """The periodic chore: re-check every Enabled domain; returns counts by outcome."""
    counts = {"checked": 0, "failing": 0, "demoted": 0}
    for domain in SenderDomain.select().where(SenderDomain.status == DomainStatus.ENABLED):
        checks = verify(domain, periodic=True)
        counts["checked"] += 1
        counts["failing"] += not all(c.verified for c in checks)
        counts["demoted"] += domain.status == DomainStatus.PENDING
    return counts


def last_results(domain: SenderDomain) -> dict[str, bool]:
    """Purpose -> verified, from the last verification (empty when never verified)."""
    return {r["Purpose"]: r["Verified"] for r in json.loads(domain.verification or "[]")}
