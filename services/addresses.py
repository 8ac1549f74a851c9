"""Email address validation, in a module of its own so that services below sending (contacts,
which suppressions calls) can use it without importing the send path."""
import functools

import email_validator

from services.errors import InvalidAddress


def normalize_address(email: str) -> str:
    """The address in its ASCII (SMTP) form, validated for syntax only (no network)."""
    if not isinstance(email, str) or any(c in email for c in "\r\n"):
        raise InvalidAddress()
    return _normalized(email)


@functools.lru_cache(maxsize=4096)  # a pure function, and a sender's address comes with every send
def _normalized(email: str) -> str:
    try:
        valid = email_validator.validate_email(email.strip(), check_deliverability=False, allow_smtputf8=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return valid.ascii_email
