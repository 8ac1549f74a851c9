"""The /api.php dialect. Importing the command modules registers their commands."""
from commands import api_keys, domains, email, events, smtp_credentials, smtp_relay, users, webhooks  # noqa: F401
