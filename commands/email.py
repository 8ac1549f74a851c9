"""Mail commands: EmailGateway.SendEmail (the /api.php twin of POST /api/v1/email, with
SenderAPIKey in the body; errors in the envelope, first code only) and ClearDomainQueue."""
from commands.registry import Rejected
from commands.domains import DomainParams
from edge.params import AllParams
from commands.registry import Err, command
from edge.errors import Refusal
from edge.octeth_send import ERRORS, send
from models.accounts import MANAGE_DOMAIN
from services import domains, queue
from services.errors import DomainNotFound


@command("EmailGateway.SendEmail", schema=AllParams, permission=None, authenticate=False)
def send_email(_, p):
    try:
        return {"MessageID": send(str(p.get("senderapikey") or ""), p)}
    except Refusal as exc:
        code, detail = exc.errors[0]
        raise Rejected(code, ERRORS[code][0], detail) from None


@command("EmailGateway.ClearDomainQueue", schema=DomainParams, permission=MANAGE_DOMAIN, errors=(
    Err(1, "Missing required parameter: DomainID", "DomainID", "missing"),
    Err(2, "Unable to retrieve sender domain", "DomainID", "invalid"),
    Err(2, "Unable to retrieve sender domain", DomainNotFound),
))
def clear_domain_queue(user, p):
    return {"ClearedDeliveries": queue.clear_domain(domains.get(user, p["DomainID"]))}
