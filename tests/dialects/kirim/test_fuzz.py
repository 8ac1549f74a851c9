"""Hypothesis against every Kirim.Email route: real field names with values of every JSON type
(nested, huge, unicode with lone surrogates), as JSON, a form or a query string, over an
account with a domain, a credential, a webhook, a template and suppressions: the answer is
always the dialect's envelope, never a 500."""
from __future__ import annotations

import json

import config
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from services import smtp_credentials, suppressions, templates, webhooks
from models.vocabulary import EventType

ROUTES = [("GET", "/api/domains"), ("POST", "/api/domains"), ("GET", "/api/domains/{d}"), ("PUT", "/api/domains/{d}"),
          ("POST", "/api/domains/{d}/verify-mx"), ("POST", "/api/domains/{d}/setup-auth-domain"),
          ("POST", "/api/domains/{d}/setup-tracklink"), ("GET", "/api/domains/{d}/credentials"),
          ("POST", "/api/domains/{d}/credentials"), ("GET", "/api/domains/{d}/credentials/{c}"),
          ("PUT", "/api/domains/{d}/credentials/{c}/reset-password"), ("POST", "/api/domains/{d}/send"),
          ("POST", "/api/domains/{d}/message"), ("POST", "/api/domains/{d}/message/template"),
          ("POST", "/api/domains/{d}/send-template"), ("GET", "/api/domains/{d}/log"),
          ("GET", "/api/domains/{d}/logs/{m}"), ("GET", "/api/domains/{d}/suppressions"),
          ("GET", "/api/domains/{d}/suppressions/bounces"), ("POST", "/api/domains/{d}/suppressions/whitelist"),
          ("DELETE", "/api/domains/{d}/suppressions/unsubscribes"), ("POST", "/api/domains/{d}/webhooks"),
          ("GET", "/api/domains/{d}/webhooks"), ("PUT", "/api/domains/{d}/webhooks/{w}"),
          ("POST", "/api/domains/{d}/webhooks/test"), ("POST", "/api/validate/email"),
          ("POST", "/api/email/validate/bulk"), ("GET", "/api/quota")]
FIELDS = ["domain", "dkim_key_length", "limit", "page", "per_page", "search", "click_track", "open_track", "auth_domain",
          "tracking_domain", "name", "username", "from", "from_name", "to", "cc", "bcc", "reply_to", "subject", "text",
          "body", "html", "headers", "tags", "template", "template_guid", "variables", "start", "end", "sender",
          "recipient", "event_type", "type", "recipient_type", "description", "ids", "url", "events", "email", "emails"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
                    st.sampled_from(["alice@example.com", "rob@example.net", "example.com", "2024-01-15T10:30:00Z",
                                     "0001-01-01T00:00:00+05:00", "delivered", "1", "-1", "9" * 30, "a" * 5000]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(FIELDS + ["name", "x"]), inner,
                                                                       max_size=4)), max_leaves=8)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
FUZZ = hsettings(max_examples=200, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])


def _flat(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def test_no_route_answers_500(settings, kirim, sender):
    from app import create_app

    client = create_app(config.use(settings.replace(api_rate_limit="1000000 per minute"))).test_client()
    user = sender.account.user
    credential, _ = smtp_credentials.add(user, sender.domain.id)
    hook = webhooks.add(user, sender.domain.id, [EventType.DELIVERED], "http://93.184.215.14/hook", format="kirim")
    templates.create(user, "welcome-email", subject="Hi {{ name }}", text="{{ name }}")
    suppressions.add(user, "gone@example.net", "unsubscribe")
    ids = {"d": "example.com", "c": str(credential.id), "w": str(hook.id), "m": "00000000-0000-0000-0000-000000000000"}

    @FUZZ
    @given(st.sampled_from(ROUTES), bodies, st.sampled_from(["json", "form", "query"]))
    def check(route, body, how):
        method, path = route
        path = path.format(**ids)
        if how == "json":
            answer = client.open(path, method=method, headers=kirim.auth, data=json.dumps(body, allow_nan=False),
                                 content_type="application/json")
        elif how == "form":
            answer = client.open(path, method=method, headers=kirim.auth,
                                 data={k: _flat(v) for k, v in body.items() if _flat(v).isprintable()})
        else:
            answer = client.open(path, method=method, headers=kirim.auth,
                                 query_string={k: _flat(v) for k, v in body.items() if _flat(v).isprintable()})
        seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        assert answer.status_code not in (429, 500), (method, path, body, answer.data[:500])
        assert answer.json["success"] is (answer.status_code < 300), answer.json

    seen: dict[int, int] = {}
    check()
    assert seen.get(200) and seen.get(422)  # the requests reached both the work and the checks
