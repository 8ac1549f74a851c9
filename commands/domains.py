"""Sender-domain commands: AddDomain, GetDomain, GetDomains, UpdateDomain, DeleteDomain,
RegenerateSigningKey, VerifyDomain.

One domain shape answers everywhere, a superset of the seed (v5.5: DomainName, Verified,
Active, IsActive, VerificationStatus/DKIMStatus/SPFStatus, flat LinkTracking... keys) and
the newer docs (SenderDomain, Status, CreatedAt, VerificationMeta, PolicyMeta, Options).
Two places cannot hold both, and follow the seed. DomainID has the type the seed shows for
each answer, because strictly typed clients decode exactly that: a number in AddDomain
(NewSenderDomainID and Domain.DomainID) and GetDomain, a string ("123") in GetDomains,
UpdateDomain and VerifyDomain; either form is accepted on input. DNSRecords and
VerifyDomain's DNSVerificationResults are lists of {Host, Type, Value, Verified} (plus
Purpose and Reason), because the newer {host: [type, value, verified]} map cannot hold both
the MX and the SPF TXT record of the return-path host.
A DomainID that is given but is no ID answers the command's "not found" code, not "missing".
"""
from marshmallow import fields

from edge.params import ID, Flag, Params, Text
from commands.registry import Err, command
from models.accounts import ADD_DOMAIN, MANAGE_DOMAIN
from models.vocabulary import DomainStatus
from services import dns_records, domains, stats, verification
from services.errors import (DomainLimitReached, DomainLocked, DomainNotFound, InvalidDomainName, InvalidDomainOption,
                             SigningKeyNotRotated)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _on(flag: bool) -> int:
    return 1 if flag else 0


def _state(result: bool | None) -> str:
    return "Pending" if result is None else "Verified" if result else "Failed"


def domain_view(domain, id_type: type = int) -> dict:
    """`id_type` is the type the seed shows for DomainID in the answer at hand."""
    status = domain.status
    enabled = status == DomainStatus.ENABLED
    results = verification.last_results(domain)
    verified = bool(results) and all(results.values())
    return {
        "DomainID": id_type(domain.id),
        "DomainName": domain.name,
        "SenderDomain": domain.name,
        "Status": status,
        "Verified": verified,
        "Active": enabled,
        "IsActive": enabled,
        "VerificationStatus": _state(verified if results else None),
        "DKIMStatus": _state(results.get("dkim")),
        "SPFStatus": _state(results.get("spf")),
        "CreatedAt": domain.created_at.strftime(TIME_FORMAT),
        "ReturnPathHost": dns_records.return_path_host(domain),
        "TrackingHost": dns_records.tracking_host(domain),
        "DKIMSelector": domain.dkim_selector,
        "VerificationMeta": {"DNSRecords": [
            {"Host": r.host, "Type": r.type, "Value": r.value, "Purpose": r.purpose,
             "Verified": results.get(r.purpose, False)}
            for r in dns_records.records(domain)]},
        "PolicyMeta": [],
        "Options": {
            "LinkTracking": _on(domain.link_tracking),
            "OpenTracking": _on(domain.open_tracking),
            "UnsubscribeLink": _on(domain.unsubscribe_link),
            "HostingProvider": domain.hosting_provider,
            "CustomSubdomain": domain.subdomain,
            "CustomTrackPrefix": domain.track_prefix,
            "TrackMerge": domain.track_merge,
            "TrackPrefixDisabled": domain.track_prefix_disabled,
        },
        "LinkTracking": str(_on(domain.link_tracking)),
        "OpenTracking": str(_on(domain.open_tracking)),
        "UnsubscribeLink": str(_on(domain.unsubscribe_link)),
        "HostingProvider": domain.hosting_provider,
        "Subdomain": domain.subdomain,
    }


class AddDomainParams(Params):
    DomainName = Text(required=True)
    Subdomain = Text()
    TrackPrefix = Text()
    TrackMerge = Text()
    TrackPrefixDisabled = Flag()


@command("EmailGateway.AddDomain", schema=AddDomainParams, permission=ADD_DOMAIN, errors=(
    Err(1, "Missing required parameter: DomainName", "DomainName", "missing"),
    Err(2, "Invalid domain name provided", "DomainName", "invalid"),
    Err(2, "Invalid domain name provided", InvalidDomainName),
    Err(3, "User has reached the maximum number of sender domains allowed", DomainLimitReached),
    Err(4, "Invalid subdomain or track prefix", "Subdomain"),
    Err(4, "Invalid subdomain or track prefix", "TrackPrefix"),
    Err(4, "Invalid subdomain or track prefix", "TrackMerge"),
    Err(4, "Invalid subdomain or track prefix", InvalidDomainOption),
))
def add_domain(user, p):
    domain = domains.add(user, p["DomainName"], subdomain=p.get("Subdomain", ""), track_prefix=p.get("TrackPrefix", ""),
                         track_merge=p.get("TrackMerge", "-"), track_prefix_disabled=bool(p.get("TrackPrefixDisabled")))
    return {"NewSenderDomainID": domain.id, "Domain": domain_view(domain)}


class DomainParams(Params):
    DomainID = ID(required=True)


@command("EmailGateway.GetDomain", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required parameter missing: DomainID", "DomainID", "missing"),
    Err(2, "Unable to retrieve domain information", "DomainID", "invalid"),
    Err(2, "Unable to retrieve domain information", DomainNotFound),
))
def get_domain(user, p):
    return {"Domain": domain_view(domains.get(user, p["DomainID"]))}


class GetDomainsParams(Params):
    WithCounts = Flag()


def _iso(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


@command("EmailGateway.GetDomains", schema=GetDomainsParams, permission=MANAGE_DOMAIN)
def get_domains(user, p):
    """With WithCounts: APIKeyCount, SMTPCount, WebhookCount (Enabled rows), Sent7d,
    BounceRate7d and LastActivityAt (ISO-8601 UTC or null), in a few grouped queries."""
    rows = domains.listing(user)
    views = [domain_view(d, str) for d in rows]
    if p.get("WithCounts") and rows:
        ids = [d.id for d in rows]
        counts, activity = domains.counts(ids), stats.activity(ids)
        for domain_id, view in zip(ids, views):
            c, a = counts[domain_id], activity[domain_id]
            view.update(APIKeyCount=c["api_keys"], SMTPCount=c["smtp_credentials"], WebhookCount=c["webhooks"],
                        Sent7d=a["sent"], BounceRate7d=a["bounce_rate"], LastActivityAt=_iso(a["last_activity_at"]))
    return {"Domains": views}


class UpdateDomainParams(Params):
    DomainID = ID(required=True)
    LinkTracking = Flag()
    OpenTracking = Flag()
    UnsubscribeLink = Flag()
    TrackPrefixDisabled = Flag()
    HostingProvider = fields.String(validate=lambda v: len(v) <= 100)
    Subdomain = fields.String()
    TrackPrefix = fields.String()
    TrackMerge = fields.String()


@command("EmailGateway.UpdateDomain", schema=UpdateDomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field 'DomainID' is missing.", "DomainID", "missing"),
    Err(5, "Unable to retrieve sender domain information.", "DomainID", "invalid"),
    Err(5, "Unable to retrieve sender domain information.", DomainNotFound),
    Err(6, "Invalid subdomain or track prefix", InvalidDomainOption),
    Err(6, "Invalid subdomain or track prefix", "Subdomain"),
    Err(6, "Invalid subdomain or track prefix", "TrackPrefix"),
    Err(6, "Invalid subdomain or track prefix", "TrackMerge"),
    Err(6, "Invalid hosting provider", "HostingProvider"),
))
def update_domain(user, p):
    domain, changed = domains.update(
        user, p["DomainID"], link_tracking=p.get("LinkTracking"), open_tracking=p.get("OpenTracking"),
        unsubscribe_link=p.get("UnsubscribeLink"), hosting_provider=p.get("HostingProvider"),
        subdomain=p.get("Subdomain"), track_prefix=p.get("TrackPrefix"), track_merge=p.get("TrackMerge"),
        track_prefix_disabled=p.get("TrackPrefixDisabled"))
    return {"Domain": domain_view(domain, str), "SubdomainChanged": changed}


@command("EmailGateway.DeleteDomain", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: DomainID", "DomainID", "missing"),
    Err(2, "Domain not found or user does not have permission to delete the domain", "DomainID", "invalid"),
    Err(2, "Domain not found or user does not have permission to delete the domain", DomainNotFound),
    Err(3, "Suspended or Blocked sender domains cannot be deleted", DomainLocked),
))
def delete_domain(user, p):
    domains.delete(user, p["DomainID"])
    return {}


@command("EmailGateway.RegenerateSigningKey", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: DomainID", "DomainID", "missing"),
    Err(2, "Domain not found or access denied", "DomainID", "invalid"),
    Err(2, "Domain not found or access denied", DomainNotFound),
    Err(3, "The signing key was not changed; it is safe to retry", SigningKeyNotRotated),
))
def regenerate_signing_key(user, p):
    return {"SigningKey": domains.regenerate_signing_key(user, p["DomainID"])}


@command("EmailGateway.VerifyDomain", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field 'DomainID' is missing.", "DomainID", "missing"),
    Err(2, "Unable to retrieve the sender domain information.", "DomainID", "invalid"),
    Err(2, "Unable to retrieve the sender domain information.", DomainNotFound),
))
def verify_domain(user, p):
    domain = domains.get(user, p["DomainID"])
    checks = verification.verify(domain)
    return {"Domain": {"DomainID": str(domain.id), "DomainName": domain.name, "SenderDomain": domain.name,
                       "Status": domain.status, "StatusReason": domain.status_reason},
            "DNSVerificationResults": [c.as_dict() for c in checks]}
