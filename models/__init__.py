"""peewee models, one module per aggregate; MODELS lists them in dependency order."""
from models.accounts import Session, User, UserGroup
from models.domains import DomainAPIKey, SenderDomain, SMTPCredential, Webhook

MODELS = [UserGroup, User, Session, SenderDomain, DomainAPIKey, SMTPCredential, Webhook]

__all__ = ["MODELS", "DomainAPIKey", "SMTPCredential", "SenderDomain", "Session", "User", "UserGroup", "Webhook"]
