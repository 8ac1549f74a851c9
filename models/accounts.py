"""Users, the groups that give them permissions and limits, and their login sessions."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from clock import now
from models.db import BaseModel
from models.vocabulary import Switch

ADD_DOMAIN = "EmailGateway.AddDomain"
MANAGE_DOMAIN = "EmailGateway.ManageDomain"


class UserGroup(BaseModel):
    name = CharField(max_length=100, unique=True)
    permissions = TextField(default=f"{ADD_DOMAIN},{MANAGE_DOMAIN}")  # comma-separated, "*" = all
    max_sender_domains = IntegerField(default=0)  # 0 = unlimited
    send_limit_per_day = IntegerField(default=0)
    send_limit_per_month = IntegerField(default=0)
    send_rate_per_second = IntegerField(default=0)  # messages a second per sender domain, 0 = unlimited
    send_rate_burst = IntegerField(default=0)  # messages at once (0: the rate itself)
    manual_domain_approval = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    def allows(self, permission: str) -> bool:
        granted = {p.strip() for p in self.permissions.split(",")}
        return "*" in granted or permission in granted


class User(BaseModel):
    email = CharField(max_length=254, unique=True)
    password_hash = CharField(max_length=255)
    api_key_hash = CharField(max_length=64, unique=True)
    api_key_encrypted = TextField()
    group = ForeignKeyField(UserGroup, backref="users", on_delete="RESTRICT")
    max_sender_domains = IntegerField(null=True)  # overrides the group's limit when set
    status = CharField(max_length=20, default=Switch.ENABLED)  # Enabled | Disabled
    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100, default="")
    created_at = DateTimeField(default=now)

    @property
    def is_enabled(self) -> bool:
        return self.status == Switch.ENABLED

    @property
    def domain_limit(self) -> int:
        return self.group.max_sender_domains if self.max_sender_domains is None else self.max_sender_domains


class Session(BaseModel):
    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField(index=True)
