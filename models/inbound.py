"""Mail that came back to a return-path host."""
from peewee import CharField, DateTimeField, TextField

from clock import now
from models.db import BaseModel, ContentField


class InboundReport(BaseModel):
    """Mail that came back to a return-path host and could not be matched to a delivery:
    kept whole for the operator (`gatepost bounces unmatched`), never dropped."""
    received_at = DateTimeField(default=now, index=True)
    mail_from = CharField(max_length=320, default="")
    rcpt_to = CharField(max_length=320)
    kind = CharField(max_length=20)  # bounce | complaint | unknown
    reason = TextField(default="")
    content = ContentField()
