"""POST /api/v1/email: send one message; {"MessageID": "<uuid>"} once it is committed."""
from api_v1 import ApiError, blueprint, params, presented_key
from edge.octeth_send import SendRefused, send


@blueprint.post("/email")
def send_email():
    values = params()
    try:
        return {"MessageID": send(presented_key(values), values)}
    except SendRefused as exc:
        raise ApiError(*exc.errors, status=exc.status) from None
