"""SMTP replies for the core's errors, shared by the listener and EmailGateway.SMTPRelay."""
from services.errors import (AccountDisabled, AuthenticationFailed, DomainNotActive, ForeignSender, GatewayError,
                             HeaderRejected, InvalidAddress, MessageTooLarge, RecipientSuppressed, SendLimitReached,
                             SendRateExceeded, TooManyRecipients)

REPLIES = ((AuthenticationFailed, "535 5.7.8"), (RecipientSuppressed, "550 5.1.1"), (TooManyRecipients, "452 4.5.3"),
           (MessageTooLarge, "552 5.3.4"), (ForeignSender, "553 5.7.1"), (DomainNotActive, "550 5.7.1"),
           (AccountDisabled, "550 5.7.1"), (SendLimitReached, "452 4.7.1"),
           (SendRateExceeded, "451 4.7.1"), (InvalidAddress, "553 5.1.3"),
           (HeaderRejected, "554 5.6.0"))
TRANSIENT = "451 4.3.0 Temporary failure, please try again"


def reply_for(exc: GatewayError) -> str:
    code = next((code for kind, code in REPLIES if isinstance(exc, kind)), None)
    return f"{code} {exc}" if code else TRANSIENT
