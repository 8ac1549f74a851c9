"""SMTP credential commands: AddSMTP, GetSMTPs, DeleteSMTP, ResetSMTPPassword.

A credential answers as a superset of the seed (SMTPHost, SMTPPorts, Username, Server, Port,
IsActive) and the newer docs (SMTPID, SMTPUsername, SMTPPassword). SMTPPorts are strings, as the
seed shows them, and are the ports Gatepost's listeners really use (GATEPOST_SMTP_PORTS, and
GATEPOST_SMTP_TLS_PORT when a certificate is configured).
The password appears only in the answers that create or reset it.
"""
import config
from commands.domains import DomainParams
from edge.params import ID, Params
from commands.registry import Err, command
from models.accounts import MANAGE_DOMAIN
from services import smtp_credentials
from services.errors import DomainNotFound, SMTPCredentialNotFound


def smtp_view(row, password: str | None = None) -> dict:
    settings = config.current()
    ports = [str(p) for p in settings.advertised_smtp_ports]
    view = {"SMTPID": row.id, "SMTPUsername": row.username, "Username": row.username,
            "SMTPHost": settings.smtp_host, "Server": settings.smtp_host, "SMTPPorts": ports,
            "Port": int(ports[0]) if ports else None, "DomainID": row.domain_id, "IsActive": row.status == "Enabled"}
    if password is not None:
        view.update(SMTPPassword=password, Password=password)
    return view


@command("EmailGateway.AddSMTP", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field 'DomainID' is missing.", "DomainID"),
    Err(2, "Unable to retrieve the sender domain.", DomainNotFound),
))
def add_smtp(user, p):
    row, password = smtp_credentials.add(user, p["DomainID"])
    return {"NewSMTPID": row.id, "SMTP": smtp_view(row, password)}


@command("EmailGateway.GetSMTPs", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter 'DomainID'.", "DomainID"),
    Err(2, "Unable to retrieve sender domain details.", DomainNotFound),
))
def get_smtps(user, p):
    return {"SMTPs": [smtp_view(row) for row in smtp_credentials.list_for(user, p["DomainID"])]}


class SMTPParams(Params):
    SMTPID = ID(required=True)


@command("EmailGateway.DeleteSMTP", schema=SMTPParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Required field is missing", "SMTPID"),
    Err(2, "SMTP configuration not found or user does not have permission", SMTPCredentialNotFound),
))
def delete_smtp(user, p):
    smtp_credentials.delete(user, p["SMTPID"])
    return {}


@command("EmailGateway.ResetSMTPPassword", schema=SMTPParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter 'smtpid'", "SMTPID"),
    Err(2, "SMTP configuration not found or access denied", SMTPCredentialNotFound),
))
def reset_smtp_password(user, p):
    row, password = smtp_credentials.reset_password(user, p["SMTPID"])
    return {"SMTP": smtp_view(row, password)}
