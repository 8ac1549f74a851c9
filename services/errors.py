"""Typed failures of the core. Each dialect maps them to its own codes at its edge."""


class GatewayError(Exception):
    """A failure the caller can act on. The message is safe to show to the client."""

    def __init__(self, message: str = ""):
        super().__init__(message or self.__doc__.strip().splitlines()[0])


class AuthenticationFailed(GatewayError):
    """Authentication failure or session expired"""


class PermissionDenied(GatewayError):
    """User does not have the required permission"""


class InvalidLogin(GatewayError):
    """Invalid login information"""


class InvalidSenderAPIKey(GatewayError):
    """Invalid SenderAPIKey"""


class AccountDisabled(GatewayError):
    """Invalid or deactivated user account"""


class NotFound(GatewayError):
    """Not found or access denied"""


class DomainNotFound(NotFound):
    """Domain not found or access denied"""


class APIKeyNotFound(NotFound):
    """API key not found or access denied"""


class SMTPCredentialNotFound(NotFound):
    """SMTP configuration not found or access denied"""


class InvalidSMTPDefaults(GatewayError):
    """Invalid FromEmail, FromName, ReplyToEmail or ReplyToName"""


class WebhookNotFound(NotFound):
    """Webhook not found or access denied"""


class WebhookDomainMismatch(WebhookNotFound):
    """The webhook does not belong to this domain"""


class InvalidDomainName(GatewayError):
    """Invalid domain name provided"""


class DomainLimitReached(GatewayError):
    """User has reached the maximum number of sender domains allowed"""


class InvalidDomainOption(GatewayError):
    """Invalid subdomain or track prefix"""


class DomainLocked(GatewayError):
    """Suspended or Blocked sender domains cannot be deleted"""


class InvalidWebhookEvent(GatewayError):
    """Invalid event type specified"""


class InvalidWebhookURL(GatewayError):
    """Webhook URL must be a valid HTTP or HTTPS URL."""


class ForbiddenWebhookHost(GatewayError):
    """Webhook URL must point at a public internet address."""


class KeyRotationFailed(GatewayError):
    """Unable to rotate the API key; it is safe to retry"""


class SigningKeyNotRotated(GatewayError):
    """The signing key was not changed; it is safe to retry"""


class DomainNotActive(GatewayError):
    """Domain is not activated"""


class InvalidAddress(GatewayError):
    """Invalid email address"""


class ForeignSender(GatewayError):
    """The From address must be on the sender domain of the API key"""


class RecipientSuppressed(GatewayError):
    """Email address is in the suppression list. Email delivery is blocked."""


class SendLimitReached(GatewayError):
    """Email sending limit reached"""


class TooManyRecipients(GatewayError):
    """The number of recipients exceeds the allowed count"""


class MessageTooLarge(GatewayError):
    """The message exceeds the allowed size"""


class HeaderRejected(GatewayError):
    """A header is not allowed"""


class BadQuery(GatewayError):
    """Invalid date, event or query"""
