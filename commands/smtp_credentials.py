"""SMTP credential commands: AddSMTP, GetSMTPs, DeleteSMTP, ResetSMTPPassword.

A credential answers as a superset of the seed (SMTPHost, SMTPPorts, Username, Password,
FromEmail, FromName, ReplyToEmail, ReplyToName, Server, Port, IsActive) and the newer docs
(SMTPID, SMTPUsername, SMTPPassword). IDs are strings (NewSMTPID, SMTPID), as the seed shows
them, and are accepted as numbers or numeric strings. SMTPPorts are strings, as the seed shows
them, and are the ports Gatepost's listeners really use (GATEPOST_SMTP_PORTS, and
GATEPOST_SMTP_TLS_PORT when a certificate is configured).
The password appears only in the answers that create or reset it: GetSMTPs answers Password
"" because Gatepost keeps only its argon2 hash, never the password or a reversible form.
AddSMTP takes the optional FromEmail (on the domain), FromName, ReplyToEmail and ReplyToName:
defaults that SMTP submission fills into messages lacking a From display name or a Reply-To.
A value that cannot be used answers 3, Gatepost's own code (Octeth documents none).
"""
import config
from commands.domains import DomainParams
from edge.params import ID, Params, Text
from commands.registry import Err, command
from models.accounts import MANAGE_DOMAIN
from services import smtp_credentials
from services.errors import DomainNotFound, InvalidSMTPDefaults, SMTPCredentialNotFound


def smtp_view(row, password: str | None = None) -> dict:
    """`password`: the one just made (AddSMTP, ResetSMTPPassword); else Password is ""."""
    settings = config.current()
    ports = [str(p) for p in settings.advertised_smtp_ports]
    view = {"SMTPID": str(row.id), "SMTPUsername": row.username, "Username": row.username,
            "SMTPHost": settings.smtp_host, "Server": settings.smtp_host, "SMTPPorts": ports,
            "Port": int(ports[0]) if ports else None, "DomainID": str(row.domain_id),
            "FromEmail": row.from_email, "FromName": row.from_name, "ReplyToEmail": row.reply_to_email,
            "ReplyToName": row.reply_to_name, "IsActive": row.status == "Enabled", "Password": password or ""}
    if password is not None:
        view["SMTPPassword"] = password
    return view


class AddSMTPParams(DomainParams):
    FromEmail = Text()
    FromName = Text()
    ReplyToEmail = Text()
    ReplyToName = Text()


INVALID_DEFAULTS = "Invalid FromEmail, FromName, ReplyToEmail or ReplyToName"


@command("EmailGateway.AddSMTP", schema=AddSMTPParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field 'DomainID' is missing.", "DomainID", "missing"),
    Err(2, "Unable to retrieve the sender domain.", "DomainID", "invalid"),
    Err(2, "Unable to retrieve the sender domain.", DomainNotFound),
    Err(3, INVALID_DEFAULTS, "FromEmail"),
    Err(3, INVALID_DEFAULTS, "FromName"),
    Err(3, INVALID_DEFAULTS, "ReplyToEmail"),
    Err(3, INVALID_DEFAULTS, "ReplyToName"),
    Err(3, INVALID_DEFAULTS, InvalidSMTPDefaults),
))
def add_smtp(user, p):
    row, password = smtp_credentials.add(user, p["DomainID"], from_email=p.get("FromEmail", ""),
                                         from_name=p.get("FromName", ""), reply_to_email=p.get("ReplyToEmail", ""),
                                         reply_to_name=p.get("ReplyToName", ""))
    return {"NewSMTPID": str(row.id), "SMTP": smtp_view(row, password)}


@command("EmailGateway.GetSMTPs", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter 'DomainID'.", "DomainID", "missing"),
    Err(2, "Unable to retrieve sender domain details.", "DomainID", "invalid"),
    Err(2, "Unable to retrieve sender domain details.", DomainNotFound),
))
def get_smtps(user, p):
    return {"SMTPs": [smtp_view(row) for row in smtp_credentials.list_for(user, p["DomainID"])]}


class SMTPParams(Params):
    SMTPID = ID(required=True)


@command("EmailGateway.DeleteSMTP", schema=SMTPParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field is missing", "SMTPID", "missing"),
    Err(2, "SMTP configuration not found or user does not have permission", "SMTPID", "invalid"),
    Err(2, "SMTP configuration not found or user does not have permission", SMTPCredentialNotFound),
))
def delete_smtp(user, p):
    smtp_credentials.delete(user, p["SMTPID"])
    return {}


@command("EmailGateway.ResetSMTPPassword", schema=SMTPParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter 'smtpid'", "SMTPID", "missing"),
    Err(2, "SMTP configuration not found or access denied", "SMTPID", "invalid"),
    Err(2, "SMTP configuration not found or access denied", SMTPCredentialNotFound),
))
def reset_smtp_password(user, p):
    row, password = smtp_credentials.reset_password(user, p["SMTPID"])
    return {"SMTP": smtp_view(row, password)}
