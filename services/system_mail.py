"""Mail the installation sends in its own name (a shop owner's welcome mail, a sender address's
verification link), from GATEPOST_SYSTEM_SENDER ("Name <no-reply@mail.example.com>").

That address's domain must be a sender domain here, Enabled like any other (its DNS published
and verified; the operator's own account is the natural owner): so this mail is DKIM-signed,
queued, retried and bounced like all other mail, counts against its owner's limits, and there is
no unsigned side door. Links in it are not tracked (a confirm link must reach us unchanged).

A user may have at most GATEPOST_SYSTEM_MAIL_RATE such mails sent (default 20 an hour): they go
to any address the user names, in the installation's name, so that is what bounds their abuse."""
from __future__ import annotations

import email.utils

import config
from models import SenderDomain, User
from models.vocabulary import DomainStatus
from services import rate_limits, sending, templates
from services.addresses import normalize_address
from services.compose import Address
from services.errors import GatewayError, InvalidAddress, TemplateNotFound

SOURCE = "system"


class SystemSenderMissing(GatewayError):
    """The installation's own sender (GATEPOST_SYSTEM_SENDER) is not set up"""


class SystemMailLimited(GatewayError):
    """Too many mails were sent in the installation's name for this account; try again later"""


def sender() -> tuple[SenderDomain, Address]:
    """The configured From address and its Enabled sender domain."""
    configured = config.current().system_sender
    name, address = email.utils.parseaddr(configured)
    try:
        address = normalize_address(address)
    except InvalidAddress:
        raise SystemSenderMissing(f"GATEPOST_SYSTEM_SENDER is not a valid address: {configured!r}") from None
    domain_name = address.rpartition("@")[2].lower()
    domain = (SenderDomain.select(SenderDomain, User).join(User)
              .where(SenderDomain.name == domain_name, SenderDomain.status == DomainStatus.ENABLED)
              .order_by(SenderDomain.id).first())
    if domain is None:
        raise SystemSenderMissing(f"The installation's sender domain {domain_name} is not an Enabled sender domain")
    return domain, Address(address, name)


def send(to: str, subject: str, html: str, text: str = "", tags: tuple[str, ...] = (), *,
         requested_by: User) -> str:
    """Queue one message to `to` from the installation's sender, for `requested_by`; its MessageID."""
    domain, from_ = sender()
    limit = rate_limits.parsed(config.current().system_mail_rate)
    if not rate_limits.hit(limit, "system-mail", str(requested_by.id)):
        raise SystemMailLimited()
    out = sending.Outgoing(from_, to=(Address(normalize_address(to)),), subject=subject, html=html or None,
                           text=text or None, tags=tags, track_opens=False, track_links=False)
    return sending.accept(domain, out, source=SOURCE)


def send_template(name: str, to: str, variables: dict, tags: tuple[str, ...] = (), *,
                  requested_by: User) -> str:
    """Queue a system template (`welcome`, ...) rendered with `variables` to `to`."""
    template = next((t for t in templates.list_system() if t.name == name), None)
    if template is None:
        raise TemplateNotFound(f"No system template {name!r} (gatepost migrate installs them)")
    rendered = templates.render(template, variables)
    return send(to, rendered.subject, rendered.html, rendered.text, tags, requested_by=requested_by)
