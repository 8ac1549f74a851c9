"""The /api.php dialect. Importing the command modules registers their commands."""
from commands import api_keys, domains, email, smtp, users, webhooks  # noqa: F401
