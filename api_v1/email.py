"""POST /api/v1/email: send one message; {"MessageID": "<uuid>"} once it is committed. Octeth's
send codes are declared with the request reader (edge.octeth_send) that both Octeth dialects
share; every failing parameter is answered here."""
from api_v1.resource import blueprint, params, presented_key
from edge.octeth_send import send


@blueprint.post("/email")
def send_email():
    values = params()
    return {"MessageID": send(presented_key(values), values)}
