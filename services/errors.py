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


class SendRateExceeded(GatewayError):
    """You have exceeded your send rate limits. Please wait before sending another email."""


class TooManyRecipients(GatewayError):
    """The number of recipients exceeds the allowed count"""


class MessageTooLarge(GatewayError):
    """The message exceeds the allowed size"""


class HeaderRejected(GatewayError):
    """A header is not allowed"""


class BadQuery(GatewayError):
    """Invalid date, event or query"""


class TemplateNotFound(NotFound):
    """Template not found or access denied"""


class TemplateInactive(GatewayError):
    """The template is not active"""


class InvalidTemplate(GatewayError):
    """The template cannot be compiled"""

    def __init__(self, part: str, line: int | None, reason: str):
        self.part, self.line, self.reason = part, line, reason
        super().__init__(f"{part}, line {line}: {reason}" if line else f"{part}: {reason}")


class TemplateRenderFailed(GatewayError):
    """The template could not be rendered with these variables"""


class ContactListNotFound(NotFound):
    """Contact list not found or access denied"""


class ContactNotFound(NotFound):
    """Contact not found or access denied"""


class ContactExists(GatewayError):
    """The address is already on this list"""


class InvalidContactStatus(GatewayError):
    """Invalid contact status"""


class InvalidImport(GatewayError):
    """The CSV file cannot be imported"""


class BatchTooLarge(GatewayError):
    """Too many messages in one batch"""


class CampaignNotFound(NotFound):
    """Campaign not found or access denied"""


class CampaignStateError(GatewayError):
    """The campaign's status does not allow this"""


class InvalidCampaign(GatewayError):
    """The campaign cannot be sent as it is"""
