"""Whatever a client sends to the SMTP-provider paths, the answer is in one of the dialect's
shapes and never a 500: real field names (and random ones) with every JSON type, the account's
real ids beside garbage, as JSON, a form or a query string, with a valid token."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import config
from app import create_app
from tests.faults.conftest import sized

ROUTES = [(method, rule.rule) for rule in create_app(config.current()).url_map.iter_rules()
          if rule.endpoint.startswith("smtpprovider.") and "<" not in rule.rule
          for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
FIELDS = ["user_id", "domain_name", "from_email", "sender_name", "template_id", "name", "html_body", "text_body",
          "subject", "active", "mailing_list_id", "campaign_name", "begins_at", "segment", "all_request",
          "campaign_id", "shop_name", "html_content", "email", "password", "speed", "reply_email", "vmta_id"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.sampled_from([123, "123", 456, "example.com", "news@example.com", "2026-05-06 18:00:00", "",
                                     " ", "all", "{{ ''.__class__ }}", "{% if %}", "a\r\nBcc: x@example.net"]),
                    st.text(max_size=40))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) |
                      st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4), max_leaves=8)
BODIES = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), VALUES, max_size=8)
SHAPES = ({"success", "data"}, {"message"}, {"status", "message"}, {"status", "message", "token", "user"})


@hsettings(max_examples=sized(150, 3000), deadline=None, derandomize=sized(True, False), database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                  HealthCheck.data_too_large])
@given(route=st.sampled_from(ROUTES), body=BODIES, how=st.sampled_from(["json", "form", "query"]))
def test_no_500_and_always_the_dialects_shape(client, token, campaign_parts, route, body, how):
    config.use(config.current().replace(api_rate_limit="1000000 per minute"))
    method, path = route
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if how == "json":
        response = client.open(path, method=method, data=json.dumps(body), content_type="application/json",
                               headers=headers)
    elif how == "form":
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = client.open(path, method=method, data=form, headers=headers)
    else:
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = client.open(path, method=method, query_string=query, headers=headers)
    assert response.status_code < 500 or response.status_code == 503, response.data
    assert set(response.json) in SHAPES, response.json
