"""Property-based fuzzing of the HTTP dialects with hypothesis: whatever a client sends,
/api.php answers 200 or 400 in its envelope (JSON, or XML when asked), /api/v1 answers in its
own shape, never a 500 and never a traceback.

Requests mix real command and parameter names (in any case) with random ones; values are every
JSON type, nested, huge, unicode (lone surrogates too: valid JSON escapes), numbers as strings,
the account's real ids and keys beside garbage; sent as JSON, as a form, as a query string or as
raw bytes. The account has Enabled domains, a sender key, an SMTP credential and a webhook, so
commands get past authentication and lookup into the deeper code."""
from __future__ import annotations

import email
import json
import re
import string
from email import policy
from collections import Counter
import xml.etree.ElementTree as ElementTree

import pytest

from hypothesis import HealthCheck, given, note, settings as hsettings, strategies as st

import config
from models.vocabulary import EventType
from commands import registry
from tests.faults.conftest import sized

pytestmark = pytest.mark.faults

EXAMPLES = sized(300, 5000)
# small (CI): the same examples every run; large: new ones each time (pytest --hypothesis-seed=N replays a run)
FUZZ = hsettings(max_examples=EXAMPLES, deadline=None, derandomize=sized(True, False), database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large, HealthCheck.filter_too_much])
ADMIN_KEY = "fuzz-admin-key"

# the product's commands only: other tests register some of their own (Test.Crash crashes on purpose)
PRODUCT = [c for c in registry._commands.values() if c.handler.__module__.startswith("commands.")]
COMMANDS = sorted(c.name for c in PRODUCT)
SEND_PARAMS = ["Subject", "ContentType", "HTMLContent", "HtmlContent", "PlainContent", "From", "To", "CC", "BCC",
               "ReplyTo", "Attachments", "Headers", "Tags", "TrackLinks", "TrackOpens", "SendAt", "TemplateID",
               "TargetListID", "ListID", "SubscriberID", "JourneyID", "ActionID", "SenderAPIKey"]
PARAMS = sorted({f for c in PRODUCT for f in c.schema().fields} | set(SEND_PARAMS) | {
    "APIKey", "SessionID", "ResponseFormat", "AdminAPIKey", "SMTPUsername", "SMTPPassword", "RawEmail",
    "MailFrom", "RcptTo", "Username", "Password", "WebhookURL", "Event"})


# -- strategies (built once: making strategies per draw is what makes hypothesis slow) -------

def _cased(word: str, mode: int, mask: int) -> str:
    """`word` as written, lower, upper, swapped, or with each letter's case from the bits of `mask`."""
    if mode == 0:
        return word
    if mode == 1:
        return word.lower()
    if mode == 2:
        return word.upper()
    if mode == 3:
        return word.swapcase()
    return "".join(c.upper() if mask >> (i % 64) & 1 else c.lower() for i, c in enumerate(word))


def any_case(words) -> st.SearchStrategy[str]:
    """One of `words` (a word or a list of them) in a random case."""
    words = [words] if isinstance(words, str) else list(words)
    return st.builds(_cased, st.sampled_from(words), st.integers(0, 5), st.integers(0, 2 ** 64 - 1))


unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)  # incl. lone surrogates
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
# what breaks a header line somewhere (the email package splits on VT, FF, FS-US, NEL, LS, PS)
CONTROLS = ["\r", "\n", "\r\n", "\r\nBcc: victim@example.org", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85",
            "\u2028", "\u2029", "\x00", "\x1b", "\x7f", "\x07", "\t"]
header_text = st.builds(lambda before, control, after: before + control + after, st.sampled_from(["", "Hello ", "ü"]),
                        st.sampled_from(CONTROLS), st.one_of(st.just(" there"), printable))
huge_text = st.builds(lambda piece, n: piece * n,
                      st.sampled_from(["a", "é", "\x00", "<![CDATA[", "]]>", "%s", "😀", "\r\n", "'\"", "{", "9"]),
                      st.integers(1_000, 200_000))
numbers_as_text = st.one_of(st.integers().map(str), st.floats().map(repr),
                            st.sampled_from(["1e309", "-1e309", "0x1F", " 7 ", "-0", "NaN", "Infinity", "1_000",
                                             "9" * 40, "-" + "9" * 40, "1.5", "", " ", "0", "00001", "+3"]))
huge_ints = st.sampled_from([2 ** 31, 2 ** 31 - 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63 - 1, 10 ** 30, -1, 0,
                             10 ** 400])
small_ids = st.integers(-3, 40)
dates = st.sampled_from(["2024-01-01", "2024-01-01 00:00:00", "9999-12-31 23:59:59", "0000-00-00", "2024-02-30",
                         "2024-13-45 25:61:61", "1700000000", "-1", "yesterday", "0001-01-01 00:00:00",
                         "99999999999999", "2024-01-01T00:00:00Z", "1e10", "253402300800", "-62135596801",
                         "9999-12-31", "1970-01-01", "9000-12-31", "1970-01-01 00:00:00"])
emails = st.one_of(st.sampled_from(["alice@example.com", "rob@example.net", "bounce@example.net", "a@b", "@",
                                    "x" * 300 + "@example.com", "Alice <alice@example.com>",
                                    "alice@example.com\r\nBcc: x@y", "üser@exämple.com", "alice@[127.0.0.1]",
                                    "a" * 65 + "@example.com", "rob@example.net,ann@example.net"]),
                   st.emails().map(str))
urls = st.sampled_from(["http://127.0.0.1:1/hook", "https://example.com/hook", "ftp://example.com/", "http://",
                        "http://[::1]/", "http://10.0.0.1/x", "https://hook.invalid/x", "http://example.com:99999/",
                        "javascript:alert(1)", "http://user:pw@example.com/", "//example.com", "http://[zz]/",
                        "http://" + "a" * 300 + ".com/", "https://exämple.com/ü"])
queries = st.one_of(st.lists(st.sampled_from(["subject:welcome", 'subject:"two words"', 'subject:"open', "from:",
                                              "to:rob@example.net", "recipient:", "tag:receipt", "messageid:abc",
                                              "event:clicked", "event:nope", "free", ":", '"', "tag:" + "x" * 300]),
                             max_size=4).map(" ".join), unicode_text,
                    st.integers(40, 1_500).map(lambda n: " ".join(f"subject:w{i}" for i in range(n))))
events = st.sampled_from(["delivery", "delivered", "bounce", "bounced", "open", "opened", "click", "clicked",
                          "unsubscribe", "complaint", "complained", "deferred", "accepted", "failed", "nope", ""])
def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


scalars = st.one_of(st.none(), st.booleans(), st.integers(), huge_ints, st.floats(allow_nan=True, allow_infinity=True),
                    unicode_text, header_text, numbers_as_text, dates, emails, urls, st.integers(20, 600).map(_nested),
                    st.sampled_from(["XML", "xml", "JSON", "html", "plain", "delivery", "bounced", "1", "0"]))


def json_values(leaves) -> st.SearchStrategy:
    """Any JSON value built from `leaves`, nested a few levels."""
    return st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(any_case(PARAMS + ["email", "name", "filename", "content", "type"]), unicode_text),
                        children, max_size=4)), max_leaves=10)


anything = json_values(st.one_of(scalars, huge_text))


def parameter_values(real) -> dict[str, st.SearchStrategy]:
    """Plausible values per parameter (lower-cased name), each mixed with anything at all."""
    ids = st.one_of(real["ids"], real["ids"].map(str), small_ids, huge_ints, huge_ints.map(str), numbers_as_text)
    plausible = {
        "id": ids, "startfrom": ids, "retrievecount": ids, "aggregatesize": ids,
        "domainids": st.lists(ids, max_size=4).map(lambda xs: ",".join(map(str, xs))),
        "startdate": dates, "enddate": dates, "sendat": st.one_of(dates, ids),
        "event": events, "query": queries, "aggregatedfield": st.sampled_from(
            ["eventType", "recipientDomain", "recipient", "tag", "day", "EVENTTYPE", "nope", ""]),
        "domainname": st.one_of(st.sampled_from(["example.com", "example.org", "new-domain.test", "exämple.com",
                                                 "a..b", "-a.com", "com", "localhost", "x" * 300 + ".com"]),
                                st.from_regex(r"[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True)),
        "webhookurl": urls, "username": st.one_of(real["usernames"], emails), "password": real["secrets"],
        "apikey": real["secrets"], "senderapikey": real["secrets"], "adminapikey": real["secrets"],
        "smtpusername": real["usernames"], "smtppassword": real["secrets"], "sessionid": real["secrets"],
        "mailfrom": emails, "rcptto": st.lists(emails, max_size=3).map(",".join),
        "rawemail": st.sampled_from(["From: alice@example.com\r\nTo: rob@example.net\r\nSubject: x\r\n\r\nHi\r\n",
                                     "garbage", "", "From: eve@evil.test\r\n\r\n", "\r\n.\r\n"]),
        "messageid": st.one_of(st.uuids().map(str), printable),
        "responseformat": st.sampled_from(["XML", "xml", "JSON", ""]),
        "description": st.one_of(unicode_text, huge_text), "hostingprovider": st.one_of(unicode_text, huge_text),
    }
    return {name: st.one_of(strategy, strategy, anything) for name, strategy in plausible.items()}


def likely(p: float) -> st.SearchStrategy[bool]:
    """True with about probability `p` (hypothesis draws small integers far more often than others,
    so `integers(0, n) != 0` would not do)."""
    return st.sampled_from([True] * round(20 * p) + [False] * (20 - round(20 * p)))


def value_for(name: str, table: dict) -> st.SearchStrategy:
    key = name.lower()
    if key in table:
        return table[key]
    if key.endswith("id"):
        return table["id"]
    return anything


# -- request building --------------------------------------------------------------------------

def _text(value) -> str:
    """A value as a form or query string field would carry it (lone surrogates cannot be sent there)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (dict, list)):
        text = json.dumps(value)
    elif value is None:
        text = ""
    else:
        text = json.dumps(value) if isinstance(value, bool) else str(value)
    return text.encode("utf-8", "replace").decode("utf-8")


def _flatten(params: dict, php_style: bool) -> list[tuple[str, str]]:
    """Form fields: nested values as PHP arrays (To[0][email]=...) or as JSON text."""
    fields: list[tuple[str, str]] = []

    def walk(prefix: str, value):
        if php_style and isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}[{_text(k)}]", v)
        elif php_style and isinstance(value, list) and value:
            for i, v in enumerate(value):
                walk(f"{prefix}[{i}]", v)
        else:
            fields.append((prefix, _text(value)))

    for key, value in params.items():
        walk(_text(key), value)
    return fields


def send_request(client, path: str, method: str, transport: str, params, headers: dict, php_style: bool = False):
    """Send `params` as `transport`: json, form, query (GET or the method's query string) or raw."""
    if transport == "json":
        body = json.dumps(params, allow_nan=True).encode()
        return client.open(path, method=method, data=body, headers={**headers, "Content-Type": "application/json"})
    if transport == "json-as-form":  # curl -d '{...}' sends JSON with the form Content-Type
        body = json.dumps(params, allow_nan=True).encode()
        return client.open(path, method=method, data=body,
                           headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
    if transport == "raw":
        return client.open(path, method=method, data=params, headers={**headers, "Content-Type": "application/json"})
    fields = _flatten(params, php_style) if isinstance(params, dict) else [("x", _text(params))]
    if transport == "form":
        from werkzeug.datastructures import MultiDict
        return client.open(path, method=method, data=MultiDict(fields), headers=headers)
    if transport == "multipart":
        from werkzeug.datastructures import MultiDict
        return client.open(path, method=method, data=MultiDict(fields), headers=headers,
                           content_type="multipart/form-data")
    from werkzeug.datastructures import MultiDict
    return client.open(path, method=method, query_string=MultiDict(fields), headers=headers)


def assert_no_traceback(response) -> str:
    text = response.get_data().decode("utf-8", "replace")
    assert "Traceback" not in text and 'File "' not in text, text[:2000]
    return text


def asked_for_xml(params) -> bool:
    if not isinstance(params, dict):
        return False
    return any(isinstance(k, str) and k.lower() == "responseformat" and _text(v) == "XML" for k, v in params.items())


MAX_FORM_FIELD = 500_000  # werkzeug's max_form_memory_size: a larger multipart field is refused with 413


def oversized_multipart(params, transport: str, php_style: bool) -> bool:
    return transport == "multipart" and isinstance(params, dict) and \
        any(len(value.encode()) > MAX_FORM_FIELD for _, value in _flatten(params, php_style))


def check_api_php(response, params, transport: str, oversized: bool = False):
    """The /api.php contract; returns the ErrorCode (0: success, "csv": a download)."""
    allowed = (200, 400, 413) if oversized else (200, 400)
    assert response.status_code in allowed, (response.status_code, response.get_data()[:2000])
    text = assert_no_traceback(response)
    if response.mimetype == "text/csv":  # ExportEvents' download
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        return "csv"
    if response.mimetype == "text/xml":
        assert transport != "raw" and asked_for_xml(params), text[:500]
        root = ElementTree.fromstring(response.get_data())
        assert root.tag == "response" and root.find("Success") is not None and root.find("ErrorCode") is not None
        return root.find("ErrorCode").text
    assert response.mimetype == "application/json", response.mimetype
    body = json.loads(text)
    assert isinstance(body, dict) and "Success" in body and "ErrorCode" in body, body
    if response.status_code == 400:  # 100001 (not GET or POST) would be an error handler hiding a crash
        assert body["Success"] is False and body["ErrorCode"] in (100000, 100003), body
    if response.status_code == 413:
        assert body["Success"] is False, body
    return json.dumps(body["ErrorCode"])


RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")


def assert_clean_headers(message_id) -> None:
    """What was accepted carries no raw control character (nor a bare CR or LF) in any header."""
    from models import Message

    content = bytes(Message.get(Message.uuid == message_id).content)
    for part in email.message_from_bytes(content, policy=policy.SMTP).walk():
        for name, value in part.raw_items():
            line = f"{name}: {value}".encode("utf-8", "surrogateescape")
            assert not RAW_CONTROL.search(line.replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")), line


def check_api_v1(response, body) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data()[:2000])
    text = assert_no_traceback(response)
    assert response.mimetype == "application/json", (response.status_code, response.mimetype, text[:500])
    answer = json.loads(text)
    assert isinstance(answer, dict)
    if response.status_code >= 400:
        errors = answer.get("Errors")
        assert isinstance(errors, list) and errors and all({"Code", "Message"} <= set(e) for e in errors), answer


# -- the account under fuzz ----------------------------------------------------------------------

class Target:
    """The fuzzed account, everything of it a request may name, and the strategies built on them."""

    def __init__(self, client, account, domains, sender_key, smtp_username, smtp_password, webhook_id, session_id):
        self.client, self.account = client, account
        self.sender_key, self.session_id, self.webhook_id = sender_key, session_id, webhook_id
        self.domain_ids = [d.id for d in domains]
        real_ids = self.domain_ids + [webhook_id]
        self.real = {
            "ids": st.sampled_from(real_ids),
            "usernames": st.sampled_from([smtp_username, account.user.email, "nobody@example.com", ""]),
            "secrets": st.one_of(st.sampled_from([sender_key, account.api_key, smtp_password, session_id, ADMIN_KEY,
                                                  account.password, account.api_key.lower(), ""]), printable),
        }
        self.values = parameter_values(self.real)
        self.api_php = api_php_requests(self)
        self.v1 = v1_requests(self)


@pytest.fixture
def target(settings, sender, dns_server):
    """An app (rate limits out of the way) and an account with two Enabled domains, a sender key,
    an SMTP credential, a webhook and a session."""
    from app import create_app
    from services import domains, smtp_credentials, webhooks
    from tests.conftest import publish

    app = create_app(config.use(config.current().replace(
        api_rate_limit="1000000 per minute", auth_failures_per_address="1000000 per minute",
        login_failures_per_user="1000000 per minute", admin_api_key=ADMIN_KEY, webhook_allow_private=True)))
    client = app.test_client()
    other = domains.add(sender.account.user, "example.org")
    domains.set_status(other, "Enabled")
    publish(dns_server.zone, other)
    credential, password = smtp_credentials.add(sender.account.user, sender.domain.id)
    hook = webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], "http://127.0.0.1:9/hook")
    login = client.post("/api.php", json={"Command": "User.Login", "Username": sender.account.user.email,
                                          "Password": sender.account.password}).json
    assert login["Success"], login
    return Target(client, sender.account, [sender.domain, other], sender.key, credential.username, password, hook.id,
                  login["SessionID"])


# -- /api.php ------------------------------------------------------------------------------------

COMMAND_FIELDS = {c.name: sorted(c.schema().fields) or SEND_PARAMS for c in PRODUCT}
junk_commands = st.one_of(st.sampled_from(COMMANDS).map(lambda c: f"  {c}\t"),
                          st.sampled_from(COMMANDS).map(lambda c: c.replace(".", "")),
                          st.text(st.sampled_from(string.ascii_letters + "._-"), max_size=30),
                          unicode_text, st.just(""), huge_text, anything)
raw_bodies = st.one_of(st.binary(max_size=200), st.sampled_from(
    [b"{", b"[1,2]", b'"text"', b"null", b'{"Command": ', b"\xff\xfe{}", b"{}" * 1000, b"   {  } ", b"NaN",
     b'{"Command": "EmailGateway.GetDomains", "APIKey": "\xff"}', b'{"Command": "\\ud800", "ResponseFormat": "JSON"}']),
    st.integers(20, 200_000).map(lambda n: b'{"x": ' + b"[" * n + b"1" + b"]" * n + b"}"))
any_key = st.one_of(any_case(PARAMS), unicode_text, st.sampled_from(["", " ", "0", "__proto__", "command[]"]))


def api_php_requests(target: Target):
    @st.composite
    def requests(draw):
        command = draw(st.sampled_from(COMMANDS))
        params = {}
        for name in COMMAND_FIELDS[command]:
            if draw(likely(0.75)):
                params[draw(any_case(name))] = draw(value_for(name, target.values))
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # keys of other commands, random keys
            name = draw(any_key)
            params[name] = draw(value_for(name, target.values))
        if draw(likely(0.95)):
            params[draw(any_case("Command"))] = draw(any_case(command) if draw(likely(0.8)) else junk_commands)
        credential = draw(st.sampled_from(["valid", "valid", "valid", "garbage", "session", "none"]))
        if credential != "none":
            params[draw(any_case("SessionID" if credential == "session" else "APIKey"))] = \
                {"valid": target.account.api_key, "session": target.session_id}.get(credential) or draw(anything)
        if command in ("EmailGateway.SendEmail", "EmailGateway.SMTPRelay") and draw(st.booleans()):
            params[draw(any_case(["SenderAPIKey", "AdminAPIKey"]))] = draw(target.real["secrets"])
        if draw(likely(0.2)):
            params[draw(any_case("ResponseFormat"))] = draw(st.sampled_from(["XML", "XML", "xml", "JSON", ""]))
        transport = draw(st.sampled_from(["json", "json", "json", "json-as-form", "form", "multipart", "query", "raw"]))
        method = "GET" if transport == "query" and draw(st.booleans()) else "POST"
        if transport == "raw":
            params = draw(raw_bodies)
        return method, transport, params, draw(st.booleans())

    return requests()


def test_api_php_never_crashes(target, figures):
    statuses, codes = Counter(), Counter()

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        method, transport, params, php_style = data.draw(target.api_php, label="request")
        note(f"request: {method} {transport} php_style={php_style} {params!r:.3000}")
        response = send_request(target.client, "/api.php", method, transport, params, {}, php_style)
        statuses[response.status_code] += 1
        code = check_api_php(response, params, transport, oversized_multipart(params, transport, php_style))
        codes[code] += 1
        if code == "0" and "MessageID" in (response.json or {}):
            assert_clean_headers(response.json["MessageID"])

    fuzz()
    figures(examples=sum(statuses.values()), statuses=dict(sorted(statuses.items())),
            successes=codes["0"], csv_downloads=codes["csv"], error_codes=dict(codes.most_common(12)))


# -- /api/v1 -------------------------------------------------------------------------------------

VALID_EMAIL = {"Subject": "Hello", "ContentType": "html", "HTMLContent": "<p>Hi <a href='https://example.com/'>x</a></p>",
               "From": {"name": "Alice", "email": "alice@example.com"}, "To": [{"email": "rob@example.net"}]}


def email_bodies(target: Target):
    """Mostly-plausible send requests with random damage, or anything at all."""
    recipient = st.fixed_dictionaries({"email": st.one_of(emails, header_text.map(lambda t: t + "@example.net"))},
                                      optional={"name": st.one_of(unicode_text, header_text)})
    plausible = {
        "Subject": st.one_of(st.just("Hello"), unicode_text, header_text, huge_text, anything),
        "ContentType": st.one_of(st.sampled_from(["html", "plain", "HTML", " plain ", "text", ""]), anything),
        "HTMLContent": st.one_of(st.just("<p>Hi <a href='https://example.com/x'>x</a></p>"), unicode_text, huge_text,
                                 anything),
        "PlainContent": st.one_of(st.just("Hi"), unicode_text, huge_text, anything),
        "From": st.one_of(st.just({"name": "Alice", "email": "alice@example.com"}),
                          st.fixed_dictionaries({"name": st.one_of(unicode_text, header_text), "email": emails}),
                          anything),
        "To": st.one_of(st.lists(recipient, max_size=3), st.lists(emails, max_size=3), recipient, anything),
        "CC": st.one_of(st.lists(recipient, max_size=2), anything),
        "BCC": st.one_of(st.lists(recipient, max_size=60), anything),
        "ReplyTo": st.one_of(st.lists(recipient, max_size=12), anything),
        "Attachments": st.one_of(st.lists(st.fixed_dictionaries(
            {"filename": st.one_of(unicode_text, header_text),
             "content": st.one_of(st.sampled_from(["aGVsbG8=", "!!!", ""]), unicode_text),
             "type": st.one_of(st.just("text/plain"), unicode_text, header_text),
             "disposition": st.sampled_from(["attachment", "inline", "weird", ""]),
             "contentid": st.one_of(unicode_text, header_text)}), max_size=2), anything),
        "Headers": st.one_of(st.dictionaries(st.one_of(st.sampled_from(["X-Tag", "From", "dkim-signature", "X:y",
                                                                        "X-A\r\nB", ""]), unicode_text),
                                             st.one_of(unicode_text, header_text, anything), max_size=3), anything),
        "Tags": st.one_of(st.lists(st.one_of(printable, header_text), max_size=3), anything),
        "TrackLinks": anything, "TrackOpens": anything,
        "SendAt": st.one_of(huge_ints, numbers_as_text, dates, anything),
        "TemplateID": value_for("TemplateID", target.values),
    }
    plausible = {name: st.tuples(any_case(name), strategy) for name, strategy in plausible.items()}

    @st.composite
    def bodies(draw):
        if draw(likely(0.1)):
            return draw(anything)
        body = dict(VALID_EMAIL) if draw(likely(0.5)) else {}
        for name, strategy in plausible.items():
            if draw(likely(0.1 if body else 0.6)):
                key, value = draw(strategy)
                body[key] = value
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            body[draw(any_key)] = draw(anything)
        return body

    return bodies()


def v1_requests(target: Target):
    email = email_bodies(target)
    webhook_fields = {name: st.tuples(any_case(name), strategy) for name, strategy in (
        ("Event", st.one_of(events, events, anything)), ("WebhookURL", st.one_of(urls, urls, unicode_text, anything)),
        ("WebhookID", value_for("WebhookID", target.values)))}
    auth_kinds = ["valid", "valid", "valid", "garbage", "none", "lowercase-scheme"]

    @st.composite
    def requests(draw):
        path = draw(st.sampled_from(["/api/v1/email", "/api/v1/webhooks"]))
        kind = draw(st.sampled_from(auth_kinds))
        headers = {"valid": {"Authorization": f"Bearer {target.sender_key}"},
                   "lowercase-scheme": {"Authorization": f"bearer   {target.sender_key}  "},
                   "garbage": {"Authorization": draw(printable)}, "none": {}}[kind]
        if path == "/api/v1/email":
            method, body = "POST", draw(email)
        else:
            method = draw(st.sampled_from(["POST", "GET", "DELETE"]))
            body = dict(draw(strategy) for strategy in webhook_fields.values() if draw(likely(0.75)))
            if draw(likely(0.15)):
                body = draw(anything)
        if isinstance(body, dict) and draw(likely(0.15)):
            body[draw(any_case("SenderAPIKey"))] = draw(target.real["secrets"])
        transport = draw(st.sampled_from(["json", "json", "json", "json", "form", "query", "raw"]))
        if method == "GET" and transport in ("form", "multipart"):
            transport = "query"
        if transport == "raw":
            body = draw(raw_bodies)
        return path, method, transport, body, headers, draw(st.booleans())

    return requests()


def test_api_v1_never_crashes(target, figures):
    statuses = Counter()

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        path, method, transport, body, headers, php_style = data.draw(target.v1, label="request")
        note(f"request: {method} {path} {transport} php_style={php_style} {headers} {body!r:.3000}")
        response = send_request(target.client, path, method, transport, body, headers, php_style)
        statuses[(path.rsplit("/", 1)[1], method, response.status_code)] += 1
        check_api_v1(response, body)
        if path == "/api/v1/email" and response.status_code == 200:
            assert_clean_headers(response.json["MessageID"])

    fuzz()
    figures(examples=sum(statuses.values()), statuses=dict(sorted(statuses.items())))


def header_bound_requests():
    """A valid send request with one header-bound text (or address) carrying a control character."""
    text = st.one_of(header_text, unicode_text)
    fields = {
        "Subject": text.map(lambda t: {"Subject": t}),
        "From name": text.map(lambda t: {"From": {"name": t, "email": "alice@example.com"}}),
        "To name": text.map(lambda t: {"To": [{"name": t, "email": "rob@example.net"}]}),
        "To": text.map(lambda t: {"To": [{"email": f"r{t}@example.net"}]}),
        "CC name": text.map(lambda t: {"CC": [{"name": t, "email": "cy@example.net"}]}),
        "ReplyTo": text.map(lambda t: {"ReplyTo": [{"name": t, "email": f"re{t[:1]}@example.net"}]}),
        "Tags": st.lists(text, min_size=1, max_size=3).map(lambda ts: {"Tags": ts}),
        "Headers": st.dictionaries(st.sampled_from(["X-A", "X-Campaign", "X-\n", "X-B\x00"]), text, min_size=1,
                                   max_size=2).map(lambda h: {"Headers": h}),
        "filename": text.map(lambda t: {"Attachments": [{"filename": t or "x", "content": "aGVsbG8="}]}),
        "type": text.map(lambda t: {"Attachments": [{"filename": "a.txt", "content": "aGVsbG8=", "type": t}]}),
        "Content-ID": text.map(lambda t: {"HTMLContent": "<img src='cid:x'>", "Attachments": [
            {"filename": "x.png", "content": "aGVsbG8=", "disposition": "inline", "contentid": t}]}),
    }
    return st.sampled_from(sorted(fields)).flatmap(
        lambda field: st.tuples(st.just(field), fields[field], st.sampled_from(["/api/v1/email", "/api.php"])))


def test_header_bound_text_never_crashes(target, figures):
    """Every text that ends up in a header, with CR, LF, NUL and the other controls: 200 with clean
    headers, or the send request's own error (43 for the text, an address code for an address);
    a text that is no Unicode (a lone surrogate, "\\ud800" in the JSON) is an invalid body (400)."""
    outcomes = Counter()
    requests = header_bound_requests()

    @FUZZ
    @given(request=requests)
    def fuzz(request):
        field, overrides, path = request
        body = {**VALID_EMAIL, **overrides}
        if path == "/api.php":
            body.update(Command="EmailGateway.SendEmail", SenderAPIKey=target.sender_key)
        response = target.client.post(path, json=body, headers={"Authorization": f"Bearer {target.sender_key}"})
        if not _unicode(overrides):
            answer = response.json
            code = answer["ErrorCode"] if path == "/api.php" else answer["Errors"][0]["Code"]
            assert (response.status_code, code) == (400, 100000), answer
            outcomes[(field, code)] += 1
            return
        assert response.status_code in (200, 422), (response.status_code, response.get_data()[:500])
        answer = response.json
        if path == "/api.php":
            code = answer["ErrorCode"]
        else:
            code = answer["Errors"][0]["Code"] if response.status_code == 422 else 0
        assert code in (0, 19, 22, 30, 41, 43), answer
        if code == 0:
            assert_clean_headers(answer["MessageID"])
        outcomes[(field, code)] += 1

    fuzz()
    figures(examples=sum(outcomes.values()), outcomes=dict(sorted(outcomes.items())))


# -- the product bugs the fuzzer found (all fixed), kept as plain reproductions ------------------

def test_a_null_switch_is_not_a_crash(target):
    response = target.client.post("/api.php", json={"Command": "EmailGateway.GetDomains",
                                                    "APIKey": target.account.api_key, "WithCounts": None})
    assert response.status_code == 200 and response.json["Success"], response.json


def _unicode(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("path", ["/api.php", "/api/v1/email"])
def test_a_lone_surrogate_is_not_a_crash(target, path):
    if path == "/api.php":
        body = {"Command": "EmailGateway.AddAPI", "APIKey": target.account.api_key,
                "DomainID": target.domain_ids[0], "Description": "key \ud800"}
    else:
        body = {**VALID_EMAIL, "Subject": "hello \ud800"}
    response = target.client.post(path, data=json.dumps(body), content_type="application/json",
                                  headers={"Authorization": f"Bearer {target.sender_key}"})
    assert response.status_code < 500, response.get_data()


def test_the_xml_envelope_is_well_formed_whatever_it_echoes(target):
    response = target.client.post("/api.php", json={"Command": "\x1f", "ResponseFormat": "XML"})
    assert response.status_code == 400 and response.mimetype == "text/xml"
    ElementTree.fromstring(response.get_data())


def test_an_unencodable_xml_answer_is_not_disguised_as_a_client_error(target):
    response = target.client.post("/api.php", data=b'{"Command": "\\ud800", "ResponseFormat": "XML"}',
                                  content_type="application/json")
    assert response.json is None or response.json.get("ErrorCode") != 100001, response.get_data()


@pytest.mark.parametrize("command, start, end", [
    ("EmailGateway.GetEvents", "2024-01-01", "9999-12-31"),
    ("EmailGateway.DomainStats", "0001-01-01", "2024-01-01"),
    ("EmailGateway.AccountStats", "0001-01-01 00:00:00", "2024-01-01"),
])
def test_dates_at_the_ends_of_the_calendar_are_not_a_crash(target, command, start, end):
    """They used to overflow (a day added to 9999-12-31, a period taken from 0001-01-01): 500."""
    response = target.client.post("/api.php", json={
        "Command": command, "APIKey": target.account.api_key, "DomainID": target.domain_ids[0],
        "StartDate": start, "EndDate": end, "StartFrom": 0, "RetrieveCount": 10})
    assert response.status_code == 200 and response.json["ErrorCode"] == 6, response.get_data()


@pytest.mark.parametrize("depth", [40, 460, 100_000])
@pytest.mark.parametrize("path", ["/api.php", "/api/v1/email", "/api/v1/webhooks"])
def test_deeply_nested_json_is_invalid_json(target, path, depth):
    """~460 levels crashed a reader further in (and 100,000 the JSON parser itself): 500."""
    body = '{"Command": "EmailGateway.GetDomains", "APIKey": "%s", "x": %s1%s}' % (
        target.account.api_key, "[" * depth, "]" * depth)
    response = target.client.post(path, data=body, content_type="application/json",
                                  headers={"Authorization": f"Bearer {target.sender_key}"})
    assert response.status_code == 400, response.get_data()[:300]
    answer = response.json
    code = answer["ErrorCode"] if path == "/api.php" else answer["Errors"][0]["Code"]
    assert code == 100000, answer


def test_json_nested_as_deep_as_allowed_is_read(target):
    from edge.params import MAX_DEPTH

    nested = 1
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    response = target.client.post("/api.php", json={"Command": "EmailGateway.GetDomains",
                                                    "APIKey": target.account.api_key, "x": nested})
    assert response.status_code == 200 and response.json["Success"], response.json
