"""The webhook outbox: a row per (event, webhook), written in the event's own transaction, so
no event's notification can be lost between the two; and every POST attempt."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from clock import now
from models.db import BaseModel
from models.domains import Webhook
from models.events import Event
from models.vocabulary import OutboxStatus


class WebhookDelivery(BaseModel):
    webhook = ForeignKeyField(Webhook, backref="deliveries", on_delete="CASCADE")
    event = ForeignKeyField(Event, backref="webhook_deliveries", on_delete="CASCADE")
    status = CharField(max_length=10, default=OutboxStatus.PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=now)
    lease_owner = CharField(max_length=64, null=True)
    lease_expires_at = DateTimeField(null=True)
    last_status = IntegerField(null=True)  # HTTP status of the last attempt (None: no answer)
    last_error = TextField(default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class WebhookAttempt(BaseModel):
    delivery = ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="CASCADE")
    started_at = DateTimeField(default=now)
    duration_ms = IntegerField(default=0)
    status_code = IntegerField(null=True)
    response = TextField(default="")  # truncated
    error = TextField(default="")
