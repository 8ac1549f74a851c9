"""Sender-domain API key commands: AddAPI, GetAPIs, DeleteAPI, ReplaceAPI.

A key row answers as a superset of the seed (KeyID, Key, Permissions, UserID, CreationDate,
LastUsedDate) and the newer docs (APIKeyID, APIKey, Description, DomainID, Status, CreatedAt).
Every ID in these answers is a string ("92"), as both the seed and the newer docs show them;
IDs are accepted as numbers or numeric strings.
"""
from marshmallow import validate

from commands.domains import TIME_FORMAT, DomainParams
from edge.params import ID, Params, Text
from commands.registry import Err, command
from models.accounts import MANAGE_DOMAIN
from services import api_keys
from services.errors import APIKeyNotFound, DomainNotFound, KeyRotationFailed

PERMISSIONS = "EmailGateway.SendEmail,EmailGateway.Events,EmailGateway.Webhooks"


def api_key_view(row, key: str | None = None) -> dict:
    key = key or api_keys.key_of(row)
    created = row.created_at.strftime(TIME_FORMAT)
    last_used = row.last_used_at.strftime(TIME_FORMAT) if row.last_used_at else None
    return {"APIKeyID": str(row.id), "KeyID": str(row.id), "APIKey": key, "Key": key, "Description": row.description,
            "DomainID": str(row.domain_id), "UserID": str(row.domain.user_id), "Permissions": PERMISSIONS,
            "Status": row.status, "CreatedAt": created, "CreationDate": created, "LastUsedDate": last_used,
            "Options": []}


class AddAPIParams(Params):
    Description = Text(required=True, validate=validate.Length(1, 255))  # what the column holds
    DomainID = ID(required=True)


KEY_ERRORS = (
    Err(1, "Missing or invalid 'Description' parameter", "Description"),
    Err(2, "Missing or invalid 'DomainID' parameter", "DomainID", "missing"),
    Err(2, "Missing or invalid 'DomainID' parameter", "DomainID", "invalid"),
    Err(3, "Unable to retrieve sender domain with provided 'DomainID'", DomainNotFound),
)


@command("EmailGateway.AddAPI", schema=AddAPIParams, permission=MANAGE_DOMAIN, errors=KEY_ERRORS)
def add_api(user, p):
    row, key = api_keys.add(user, p["DomainID"], p["Description"])
    return {"NewAPIKeyID": str(row.id), "APIKey": api_key_view(row, key)}


@command("EmailGateway.ReplaceAPI", schema=AddAPIParams, permission=MANAGE_DOMAIN, errors=KEY_ERRORS + (
    Err(4, "Unable to rotate the API key; it is safe to retry", KeyRotationFailed),
))
def replace_api(user, p):
    row, key = api_keys.replace(user, p["DomainID"], p["Description"])
    return {"NewAPIKeyID": str(row.id), "APIKey": api_key_view(row, key)}


@command("EmailGateway.GetAPIs", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: DomainID", "DomainID", "missing"),
    Err(2, "Unable to retrieve sender domain", "DomainID", "invalid"),
    Err(2, "Unable to retrieve sender domain", DomainNotFound),
))
def get_apis(user, p):
    return {"APIKeys": [api_key_view(row) for row in api_keys.list_for(user, p["DomainID"])]}


class DeleteAPIParams(Params):
    APIKeyID = ID(required=True)


@command("EmailGateway.DeleteAPI", schema=DeleteAPIParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: ApiKeyId", "APIKeyID", "missing"),
    Err(2, "Invalid API key or API key not found", "APIKeyID", "invalid"),
    Err(2, "Invalid API key or API key not found", APIKeyNotFound),
))
def delete_api(user, p):
    api_keys.delete(user, p["APIKeyID"])
    return {}
