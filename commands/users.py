"""User.Login and User.Logout: sessions for the SessionID form of authentication.

User.Login answers its errors in the list form the reference documents
({"ErrorCode": [3], "ErrorText": ["Invalid login information"]}): public clients read
ErrorCode[0].
"""
from marshmallow import ValidationError, validates_schema

from edge.params import Params, Text
from commands.registry import Err, command
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
    if p.get("Username"):
        session_id, user = accounts.login(p["Username"], p.get("Password", ""))
    else:
        session_id, user = accounts.login_with_api_key(p["APIKey"])
    return {"SessionID": session_id, "UserInfo": user_info(user)}


class LogoutParams(Params):
    SessionID = Text()


@command("User.Logout", schema=LogoutParams, permission=None, errors=(
    Err(1, "Invalid SessionID", "SessionID"),
))
def logout(_, p):
    if p.get("SessionID"):
        accounts.logout(p["SessionID"])
    return {}
