"""Authenticated SMTP submission with the credentials EmailGateway.AddSMTP hands out.

AUTH PLAIN/LOGIN (only after STARTTLS unless GATEPOST_SMTP_ALLOW_PLAIN_AUTH), failed attempts
limited per client address and per username (454 4.7.0 once over either, whatever the password);
MAIL FROM, and the message's one From (and Sender), must be on the credential's domain (553); RCPT checks
each address; DATA goes through the same core as the HTTP API and is answered 250 with the
MessageID only after the commit. End of DATA is CRLF.CRLF only (aiosmtpd >= 1.4.5), so no
SMTP smuggling. Database work runs in the executor so one slow query stalls no other session.
"""
from __future__ import annotations

import logging

from aiosmtpd.smtp import AuthResult, LoginPassword

import config
from services import accounts, addresses, sending, smtp_credentials, suppressions
from services.errors import AuthenticationFailed, ForeignSender, GatewayError, RecipientSuppressed
from smtp import in_database, off_loop
from edge.smtp_replies import TRANSIENT, reply_for

log = logging.getLogger(__name__)
def _check_sender(credential_id: int, address: str) -> None:
    domain = smtp_credentials.current(credential_id).domain
    if addresses.normalize_address(address).rpartition("@")[2].lower() != domain.name:
        raise ForeignSender(f"Sender address must be on {domain.name}")
    sending.check_sender(domain)


def _check_recipient(credential_id: int, address: str) -> None:
    if suppressions.suppressed(smtp_credentials.current(credential_id).domain.user, [address]):
        raise RecipientSuppressed("Recipient is on the suppression list")


def _accept(credential_id: int, mail_from: str, recipients: list[str], data: bytes) -> str:
    credential = smtp_credentials.current(credential_id)
    return sending.accept_raw(credential.domain, mail_from, recipients, data, defaults=credential)


class Submission:
    """The aiosmtpd handler (hooks) and authenticator of the submission listeners."""

    def __init__(self, settings: config.Settings):
        self.settings = settings
        self.failures = accounts.FailedLogins(settings.ratelimit_storage, settings.login_failures_per_user,
                                              settings.smtp_auth_failures, "smtp-auth")

    def authenticator(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        client = session.peer[0] if session.peer else "?"
        username = auth_data.login.decode("utf-8", "replace") if isinstance(auth_data, LoginPassword) else None
        if not self.failures.allowed(username, client):
            return AuthResult(success=False, handled=False,
                              message="454 4.7.0 Too many failed authentication attempts, try again later")
        if username is None:
            return AuthResult(success=False, handled=False)
        try:
            credential = in_database(smtp_credentials.authenticate, username,
                                     auth_data.password.decode("utf-8", "replace"))
        except AuthenticationFailed:
            self.failures.failed(username, client)
            log.info("smtp auth failed for %s from %s", username[:100], client)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=credential.id)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not session.authenticated:  # here, not aiosmtpd's auth_required: that warns on implicit-TLS ports
            return "530 5.7.0 Authentication required"
        try:
            await off_loop(_check_sender, session.auth_data, address)
        except GatewayError as exc:
            return reply_for(exc)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= self.settings.max_recipients:
            return f"452 4.5.3 Too many recipients (at most {self.settings.max_recipients})"
        try:
            address = addresses.normalize_address(address)
            await off_loop(_check_recipient, session.auth_data, address)
        except GatewayError as exc:
            return reply_for(exc)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            ident = await off_loop(_accept, session.auth_data, envelope.mail_from, envelope.rcpt_tos,
                                    envelope.original_content)
        except GatewayError as exc:
            return reply_for(exc)
        except Exception:
            log.exception("submission from %s failed", session.peer)
            return TRANSIENT
        return f"250 2.0.0 Ok: queued as {ident}"
