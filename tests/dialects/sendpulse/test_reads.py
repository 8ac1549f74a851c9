"""Reading sent mail: GET /smtp/emails (also with pysendpulse's raw JSON query string and the
Node SDK's JSON body), /total, /{id} with the document's string types, POST /smtp/emails/info,
and the day's bounces, each row built from real deliveries to the loopback sink and real
tracking events."""
import datetime
import json
import urllib.parse

import clock
from services import engagement, tracking
from models import Delivery


def send(sp, to, subject="Hello", sender="alice@example.com"):
    answer = sp("POST", "/smtp/emails", json={"email": {
        "html": "PHA+SGk8L3A+", "subject": subject, "from": {"email": sender}, "to": [{"email": a} for a in to]}})
    assert answer.status_code == 200, answer.json
    return answer.json["id"]


def test_rows_carry_the_smtp_answer_and_tracking(sp, sender, deliver, settings):
    ident = send(sp, ["ok@example.net", "bounce@example.net"])
    deliver()
    ok = Delivery.get(Delivery.recipient == "ok@example.net")
    engagement.opened(tracking.token("o", ok.id), host=settings.tracking_host, user_agent="Thunderbird", ip="192.0.2.1")
    engagement.clicked(tracking.token("c", ok.id, "https://example.org/x"), host=settings.tracking_host,
                       user_agent="Firefox", ip="192.0.2.2")
    rows = sp("GET", "/smtp/emails").json
    assert [r["recipient"] for r in rows] == ["bounce@example.net", "ok@example.net"]
    good = rows[1]
    assert good["id"] == ident and good["sender"] == "alice@example.com" and good["subject"] == "Hello"
    assert good["smtp_answer_code"] == 250 and good["total_size"] > 0
    assert good["send_date"] == Delivery.get().message.created_at.strftime("%Y-%m-%d %H:%M:%S")
    assert good["tracking"]["open"] == 1 and good["tracking"]["click"] == 1
    assert good["tracking"]["link"][0]["url"] == "https://example.org/x" and good["tracking"]["link"][0]["ip"] == "192.0.2.2"
    assert good["tracking"]["client_info"][0]["browser"] == "Thunderbird"
    bad = rows[0]
    assert bad["smtp_answer_code"] == 550 and bad["smtp_answer_subcode"].startswith("5.") and bad["smtp_answer_data"]
    by_id = sp("GET", f"/smtp/emails/{ident}").json
    assert by_id["total_size"] == str(good["total_size"]) and by_id["smtp_answer_code"] == "250"  # strings, as documented


def test_filters_paging_and_the_sdks_query_forms(sp, sender):
    clock.shift(-datetime.timedelta(days=2))  # the token is an hour old at most, so the past
    send(sp, ["a@example.net"], subject="first")
    clock.shift(None)
    send(sp, ["b@example.net"], subject="second")
    send(sp, ["c@example.net"], subject="third")
    assert sp("GET", "/smtp/emails/total").json == {"total": 3}
    assert [r["subject"] for r in sp("GET", "/smtp/emails?limit=1&offset=1").json] == ["second"]
    assert [r["recipient"] for r in sp("GET", "/smtp/emails?recipient=B@example.net").json] == ["b@example.net"]
    assert len(sp("GET", "/smtp/emails?sender=alice@example.com").json) == 3
    today = clock.now().strftime("%Y-%m-%d")
    assert [r["subject"] for r in sp("GET", f"/smtp/emails?from={today}&to={today}").json] == ["third", "second"]
    assert sp("GET", f"/smtp/emails/total?to={today}&from={today}").json == {"total": 2}
    # pysendpulse: the whole query string is one url-encoded JSON object (limit 0 means the default)
    raw = urllib.parse.quote(json.dumps({"limit": 0, "offset": 0, "from": None, "to": None, "sender": None,
                                         "recipient": "a@example.net"}))
    assert [r["subject"] for r in sp("GET", f"/smtp/emails?{raw}").json] == ["first"]
    # the Node SDK: a GET with a JSON body
    assert len(sp("GET", "/smtp/emails", json={"limit": 2}).json) == 2
    assert sp("GET", "/smtp/emails?from=yesterday").json["error_code"] == 400
    assert sp("GET", "/smtp/emails?limit=-1").status_code == 400


def test_info_for_many_ids_and_unknown_ones(sp, sender, make_user):
    first, second = send(sp, ["a@example.net"]), send(sp, ["b@example.net"])
    rows = sp("POST", "/smtp/emails/info", json={"emails": [second, "nope", first]}).json
    assert [r["id"] for r in rows] == [second, first]
    as_string = sp("POST", "/smtp/emails/info", data={"emails": json.dumps([first])}).json
    assert [r["id"] for r in as_string] == [first]
    assert sp("POST", "/smtp/emails/info", json={"emails": ["x"] * 501}).status_code == 400
    assert sp("POST", "/smtp/emails/info", json={}).json["error_code"] == 8
    assert sp("GET", "/smtp/emails/x%00y").json["error_code"] == 400  # PostgreSQL cannot compare a NUL
    missing = sp("GET", "/smtp/emails/not-an-id")
    assert missing.status_code == 404 and missing.json["error_code"] == 404


def test_the_days_bounces(sp, sender, deliver):
    send(sp, ["ok@example.net", "bounce@example.net", "bounce550@example.net"])
    deliver()
    rows = sp("GET", "/smtp/bounces/day").json
    assert sorted(r["recipient"] for r in rows) == ["bounce550@example.net", "bounce@example.net"]
    assert sp("GET", "/smtp/bounces/day/total").json == {"total": 2}
    assert len(sp("GET", "/smtp/bounces/day?limit=1&offset=1").json) == 1
    assert sp("GET", "/smtp/bounces/day?limit=10&offset=20").json == []  # the document's URL example
    today = clock.now().strftime("%Y-%m-%d")
    assert sp("GET", f"/smtp/bounces/day/total?date={today}").json == {"total": 2}
    assert sp("GET", "/smtp/bounces/day/total?date=2016-04-28").json == {"total": 0}
    assert sp("GET", "/smtp/bounces/day?date=28.04.2016").json["error_code"] == 400
