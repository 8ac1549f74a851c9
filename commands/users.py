"""User.Login and User.Logout: sessions for the SessionID form of authentication.


User.Login answers its errors in the list form the reference documents
({"ErrorCode": [3], "ErrorText": ["Invalid login information"]}): public clients read
ErrorCode[0]. Failed logins are limited per username and per client address
(GATEPOST_LOGIN_FAILURES_PER_USER, GATEPOST_AUTH_FAILURES_PER_ADDRESS); over a limit, User.Login
answers code 3 as for any failed login, with the wait in ErrorMessage, without checking the
password."""
from flask import current_app, request
from marshmallow import ValidationError, validates_schema

import config
from edge.params import Params, Text
from commands.registry import Err, Rejected, command
from services import accounts
from services.errors import InvalidLogin


def user_info(user) -> dict:
    group = user.group
    return {"UserID": user.id, "Username": user.email, "EmailAddress": user.email,
            "FirstName": user.first_name, "LastName": user.last_name, "AccountStatus": user.status,
            "GroupInformation": {"UserGroupID": group.id, "GroupName": group.name,
                                 "Permissions": group.permissions}}


class LoginParams(Params):
    Username = Text()
    Password = Text()
    APIKey = Text()

    @validates_schema
    def credentials(self, data, **kwargs):
        if data.get("APIKey") and not data.get("Username"):
            return
        if not data.get("Username"):
            raise ValidationError("Username is missing", "Username")
        if not data.get("Password"):
            raise ValidationError("Password is missing", "Password")


@command("User.Login", schema=LoginParams, permission=None, authenticate=False, error_list=True, errors=(
    Err(1, "Missing Username", "Username"),
    Err(2, "Missing Password", "Password"),
    Err(3, "Invalid login information", "APIKey"),
    Err(3, "Invalid login information", InvalidLogin),
))
def login(_, p):
    username, address, failures = p.get("Username"), request.remote_addr or "?", _failed_logins()
    if not failures.allowed(username, address):
        raise Rejected(3, "Invalid login information", "Too many failed login attempts; try again in "
                       f"{failures.retry_after(username, address)} seconds")
    try:
        if username:
            session_id, user = accounts.login(username, p.get("Password", ""))
        else:
            session_id, user = accounts.login_with_api_key(p["APIKey"])
    except InvalidLogin:
        failures.failed(username, address)
        raise
    return {"SessionID": session_id, "UserInfo": user_info(user)}


def _failed_logins() -> accounts.FailedLogins:
    """The app's counters (in GATEPOST_RATELIMIT_STORAGE: shared by processes when that is redis)."""
    if "gatepost.failed_logins" not in current_app.extensions:
        settings = config.current()
        current_app.extensions["gatepost.failed_logins"] = accounts.FailedLogins(
            settings.ratelimit_storage, settings.login_failures_per_user, settings.auth_failures_per_address, "login")
    return current_app.extensions["gatepost.failed_logins"]


class LogoutParams(Params):
    SessionID = Text()


@command("User.Logout", schema=LogoutParams, permission=None, errors=(
    Err(1, "Invalid SessionID", "SessionID"),
))
def logout(_, p):
    if p.get("SessionID"):
        accounts.logout(p["SessionID"])
    return {}
