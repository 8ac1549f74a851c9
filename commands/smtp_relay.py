"""EmailGateway.SMTPRelay: for operators who keep their own SMTP front end, which checks a
client's SMTP credentials (no RawEmail) or hands over a message it received (RawEmail), with the
installation's admin key (GATEPOST_ADMIN_API_KEY). Failures carry the SMTPResponse the front end
should give its client, as Octeth's do. Code 7 (untrusted) does not occur: Gatepost has no trust
levels. Codes 42 and 43 are Gatepost's own, as in EmailGateway.SendEmail (Octeth documents none
for a refused message)."""
import hmac

import config
from commands.registry import Rejected
from edge.params import AllParams
from commands.registry import command
from services import sending, smtp_credentials
from services.errors import (AccountDisabled, AuthenticationFailed, DomainNotActive, ForeignSender, GatewayError,
                             HeaderRejected, InvalidAddress, MessageTooLarge, RecipientSuppressed, SendLimitReached,
                             SendRateExceeded, TooManyRecipients)
from edge.smtp_replies import reply_for

CODES = ((AuthenticationFailed, 3, "Invalid SMTP credentials"), (ForeignSender, 4, "Invalid sender domain"),
         (InvalidAddress, 4, "Invalid sender or recipient address"), (DomainNotActive, 5, "Sender domain is not active"),
         (AccountDisabled, 6, "Invalid user account"), (RecipientSuppressed, 8, "Recipient is suppressed"),
         (TooManyRecipients, 9, "Too many recipients"), (SendRateExceeded, 12, "Send rate limit exceeded"),
         (SendLimitReached, 13, "Email sending limit reached"), (MessageTooLarge, 42, "Message too large"),
         (HeaderRejected, 43, "Header not allowed"))


def _refuse(code: int, text: str, smtp_response: str):
    raise Rejected(code, text, SMTPResponse=smtp_response)


@command("EmailGateway.SMTPRelay", schema=AllParams, permission=None, authenticate=False)
def smtp_relay(_, params):
    p = {key: str(value) for key, value in params.items() if isinstance(value, (str, int))}
    admin_key = config.current().admin_api_key
    if not admin_key or not hmac.compare_digest(p.get("adminapikey", "").encode(), admin_key.encode()):
        raise Rejected(99998, "Authentication failure or session expired")
    if not p.get("smtpusername"):
        _refuse(1, "Missing SMTPUsername", "535 5.7.8 AUTH ERROR")
    if not p.get("smtppassword"):
        _refuse(2, "Missing SMTPPassword", "535 5.7.8 AUTH ERROR")
    try:
        credential = smtp_credentials.authenticate(p["smtpusername"], p["smtppassword"])
        sending.check_sender(credential.domain)
        if not p.get("rawemail"):
            return {"SMTPUsername": credential.username, "SMTPPassword": p["smtppassword"]}
        recipients = [r.strip() for r in p.get("rcptto", "").split(",") if r.strip()]
        if not recipients:
            raise InvalidAddress("RcptTo names no recipient")
        ident = sending.accept_raw(credential.domain, p.get("mailfrom", ""), recipients,
                                   p["rawemail"].encode("utf-8", "surrogateescape"), defaults=credential,
                                   source="relay")
    except GatewayError as exc:
        code, text = next(((c, t) for kind, c, t in CODES if isinstance(exc, kind)), (None, None))
        if code is None:
            raise
        _refuse(code, text, "500 5.0.0 AUTH ERROR" if code == 3 else reply_for(exc))
    return {"SMTPResponse": f"250 2.0.0 Ok: queued as {ident}", "MessageID": ident}
