"""The DNS records a sender domain must publish, derived from the installation's settings
and the domain's own Subdomain / TrackPrefix / TrackMerge / TrackPrefixDisabled options.

- ownership: TXT `_gatepost.<domain>` = a per-domain token (proves control);
- DKIM: TXT `<selector>._domainkey.<domain>` = the domain's public key (signs as d=<domain>,
  so DMARC aligns on the From domain);
- return path: `<subdomain>.<domain>` MX -> the mail host (bounces come back to us) and an SPF TXT
  that includes the installation's sender (SPF is checked on the MAIL FROM domain);
- DMARC: TXT `_dmarc.<domain>`; any valid v=DMARC1 policy passes;
- tracking: CNAME `<prefix><merge><subdomain>.<domain>` -> the tracking host, unless disabled.
"""
from __future__ import annotations

import dataclasses

import config


@dataclasses.dataclass(frozen=True)
class DNSRecord:
    host: str
    type: str
    value: str
    purpose: str


def return_path_host(domain) -> str:
    return f"{domain.subdomain or config.current().return_path_subdomain}.{domain.name}"


def tracking_host(domain) -> str | None:
    if domain.track_prefix_disabled:
        return None
    sub = domain.subdomain or config.current().return_path_subdomain
    return f"{domain.track_prefix or 'track'}{domain.track_merge}{sub}.{domain.name}"


def ownership_value(domain) -> str:
    return f"gatepost-verification={domain.ownership_token}"


def dkim_value(domain) -> str:
    return f"v=DKIM1; k=rsa; p={domain.dkim_public_key}"


def records(domain) -> list[DNSRecord]:
    settings = config.current()
    rp = return_path_host(domain)
    out = [
        DNSRecord(f"_gatepost.{domain.name}", "TXT", ownership_value(domain), "ownership"),
        DNSRecord(f"{domain.dkim_selector}._domainkey.{domain.name}", "TXT", dkim_value(domain), "dkim"),
        DNSRecord(rp, "MX", f"10 {settings.mail_host}", "return-path"),
        DNSRecord(rp, "TXT", f"v=spf1 include:{settings.spf_include} ~all", "spf"),
        DNSRecord(f"_dmarc.{domain.name}", "TXT", f"v=DMARC1; p=none; rua=mailto:postmaster@{domain.name}", "dmarc"),
    ]
    track = tracking_host(domain)
    if track:
        out.append(DNSRecord(track, "CNAME", settings.tracking_host, "tracking"))
    return out
