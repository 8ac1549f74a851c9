"""Whatever a client sends, the SendPulse dialect answers in its own shape, never with a 500:
hypothesis generates `email` documents (as objects, JSON strings and PHP-serialized strings),
query strings and bodies for every route."""
import json

import phpserialize
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

KEYS = ["html", "text", "subject", "from", "to", "cc", "bcc", "template", "attachments", "attachments_binary",
        "email", "name", "id", "variables", "auto_plain_text", "\u0441\u0441"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=20),
                    st.sampled_from(["alice@example.com", "r@example.net", "PGI+aGk8L2I+", "a:1:{", "{", "[]", "r\x00@example.net"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
                      max_leaves=20)
FAST = hypothesis_settings(max_examples=120, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _shape(answer):
    assert answer.status_code < 500, (answer.status_code, answer.data[:300])
    body = answer.get_json()
    assert body is not None
    if answer.status_code >= 400:
        assert set(body) == {"error_code", "message"}, body


@FAST
@given(document=values, encoding=st.sampled_from(["object", "json", "php"]))
def test_send_never_crashes(sp, sender, document, encoding):
    if encoding == "json":
        document = json.dumps(document)
    elif encoding == "php":
        try:
            document = phpserialize.dumps(document).decode("utf-8", "replace")
        except (ValueError, TypeError):
            document = "a:0:{}"
    _shape(sp("POST", "/smtp/emails", json={"email": document}))


@FAST
@given(route=st.sampled_from([("GET", "/smtp/emails"), ("GET", "/smtp/emails/total"), ("POST", "/smtp/emails/info"),
                              ("GET", "/smtp/bounces/day"), ("GET", "/smtp/unsubscribe"), ("POST", "/smtp/unsubscribe"),
                              ("DELETE", "/smtp/unsubscribe"), ("GET", "/smtp/unsubscribe/search"),
                              ("POST", "/smtp/resubscribe"), ("POST", "/senders"), ("DELETE", "/senders"),
                              ("POST", "/smtp/domains"), ("GET", "/smtp/emails/x%00y")]),
       body=st.dictionaries(st.sampled_from(["limit", "offset", "from", "to", "date", "emails", "email", "sender",
                                             "recipient", "name", "lang"]), values, max_size=4),
       raw_query=st.text(max_size=30))
def test_other_routes_never_crash(sp, sender, route, body, raw_query):
    method, path = route
    _shape(sp(method, path, json=body))
    _shape(sp(method, f"{path}?{raw_query}"))
