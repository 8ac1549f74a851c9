"""Users, groups and sessions: who is calling, and what they may do."""
from __future__ import annotations

import datetime
import functools
import time

import email_validator
import peewee
from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

import clock
import config
from models.vocabulary import Switch
from models import Session, User, UserGroup
from models.db import database
from services import remembered_keys, secrets
from services.errors import AuthenticationFailed, GatewayError, InvalidLogin, PermissionDenied

DEFAULT_GROUP = "Default"
OPERATOR = "Gatepost.Operator"  # the permission of the dashboard's operator pages ("*" grants it too)


class UserExists(GatewayError):
    """A user with this email address already exists"""


class InvalidEmail(GatewayError):
    """Invalid email address"""


def default_group() -> UserGroup:
    group, _ = UserGroup.get_or_create(name=DEFAULT_GROUP)
    return group


def create_group(name: str, **options) -> UserGroup:
    return UserGroup.create(name=name, **options)


def find_group(name: str) -> UserGroup | None:
    return UserGroup.get_or_none(UserGroup.name == name)


def list_groups() -> list[UserGroup]:
    return list(UserGroup.select().order_by(UserGroup.name))


def is_operator(user: User) -> bool:
    return user.group.allows(OPERATOR)


def list_users() -> list[User]:
    return list(User.select(User, UserGroup).join(UserGroup).order_by(User.id))


def create_user(email: str, password: str, *, group: UserGroup | None = None,
                max_sender_domains: int | None = None, first_name: str = "", last_name: str = "") -> tuple[User, str]:
    """Create a user; returns it with its API key (stored encrypted, shown by `user list --keys`)."""
    try:
        email = email_validator.validate_email(email, check_deliverability=False, test_environment=True).normalized
    except email_validator.EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    api_key = secrets.new_api_key()
    try:
        with database.atomic():
            user = User.create(
                email=email, password_hash=secrets.hash_password(password),
                api_key_hash=secrets.lookup_hash(api_key), api_key_encrypted=secrets.encrypt(api_key),
                group=group or default_group(), max_sender_domains=max_sender_domains,
                first_name=first_name, last_name=last_name)
    except peewee.IntegrityError:
        raise UserExists() from None
    return user, api_key


def api_key_of(user: User) -> str:
    return secrets.decrypt(user.api_key_encrypted)


def find_user(email: str) -> User | None:
    return User.get_or_none(peewee.fn.LOWER(User.email) == email.strip().lower())


def set_status(user: User, status: str) -> None:
    User.update(status=status).where(User.id == user.id).execute()
    remembered_keys.forget()
    if status != Switch.ENABLED:
        Session.delete().where(Session.user == user).execute()


def user_by_api_key(api_key: str) -> User:
    """The enabled user (with its group: commands check its permissions) of a user API key,
    remembered for a few seconds as sender keys are (services.remembered_keys)."""
    digest = secrets.lookup_hash(api_key or "")
    user = remembered_keys.recall("user:" + digest)
    if user is None:
        user = User.select(User, UserGroup).join(UserGroup).where(User.api_key_hash == digest).first()
        if user is None or not secrets.same(user.api_key_hash, digest):
            raise AuthenticationFailed()
        remembered_keys.remember("user:" + digest, user)
    if not user.is_enabled:
        raise AuthenticationFailed()
    return user


def user_by_session(session_id: str) -> User:
    session = (Session.select(Session, User).join(User)
               .where(Session.token_hash == secrets.lookup_hash(session_id or "")).first())
    if session is None or session.expires_at <= clock.now() or not session.user.is_enabled:
        raise AuthenticationFailed()
    return session.user


def require(user: User, permission: str) -> None:
    if not user.group.allows(permission):
        raise PermissionDenied(f"User does not have the required permission ({permission})")


def login(username: str, password: str) -> tuple[str, User]:
    """A session for a username and password."""
    user = check_password(username, password)
    return open_session(user), user


def check_password(username: str, password: str) -> User:
    """The enabled user with this username and password, or InvalidLogin. An unknown user costs
    the same argon2 verify as a known one, so the time taken does not tell which usernames exist."""
    user = find_user(username)
    valid = secrets.verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not valid or not user.is_enabled:
        raise InvalidLogin()
    return user


@functools.cache
def _dummy_hash() -> str:
    return secrets.hash_password("not a password anyone has")


class FailedLogins:
    """Failed logins counted in moving windows (`limits`) per username and per client address, so
    a guesser is stopped whichever of the two it varies. `scope` keeps kinds of credential apart.
    The username is kept only as its keyed hash, even in a shared (redis) store."""

    def __init__(self, storage_uri: str, per_user: str, per_address: str, scope: str):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._per_user, self.per_address, self._scope = parse_limit(per_user), parse_limit(per_address), scope

    def _buckets(self, username: str | None, address: str):
        yield self.per_address, (f"{self._scope}-address", address or "?")
        if username is not None:
            yield self._per_user, (f"{self._scope}-user", secrets.lookup_hash(username.strip().lower()))

    def allowed(self, username: str | None, address: str) -> bool:
        return all(self._limiter.test(limit, *key) for limit, key in self._buckets(username, address))

    def failed(self, username: str | None, address: str) -> None:
        for limit, key in self._buckets(username, address):
            self._limiter.hit(limit, *key)

    def retry_after(self, username: str | None, address: str) -> int:
        """Seconds until a refused caller may try again (at least 1)."""
        resets = [self._limiter.get_window_stats(limit, *key) for limit, key in self._buckets(username, address)]
        waits = [int(stats.reset_time - time.time()) + 1 for stats in resets if stats.remaining == 0]
        return max(waits or [1])


def login_with_api_key(api_key: str) -> tuple[str, User]:
    try:
        user = user_by_api_key(api_key)
    except AuthenticationFailed:
        raise InvalidLogin() from None
    return open_session(user), user


def open_session(user: User) -> str:
    """A new session id (never one the client sent); expired sessions of the user are dropped."""
    token = secrets.new_token()
    now = clock.now()
    Session.delete().where((Session.user == user) & (Session.expires_at <= now)).execute()
    Session.create(token_hash=secrets.lookup_hash(token), user=user, created_at=now,
                   expires_at=now + datetime.timedelta(seconds=config.current().session_ttl))
    return token


def logout(session_id: str) -> None:
    Session.delete().where(Session.token_hash == secrets.lookup_hash(session_id or "")).execute()
