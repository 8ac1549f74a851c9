"""/smtp/unsubscribe (the document's examples) and /smtp/resubscribe over the suppression service."""
import json

from models import Message
from models.vocabulary import SuppressionReason
from services import domains, suppressions


def test_the_documents_unsubscribe_examples(sp, sender):
    added = sp("POST", "/smtp/unsubscribe", json={"emails": json.loads('''[
      {"email": "badUser1@mailserver.com", "comment": "comment1"},
      {"email": "badUser2@mailserver.com", "comment": "comment2"}]''')})
    assert added.status_code == 200 and added.json == {"result": True}
    user = sender.account.user
    assert suppressions.suppressed(user, ["baduser1@mailserver.com", "baduser2@mailserver.com"]) == [
        "baduser1@mailserver.com", "baduser2@mailserver.com"]
    assert sp("GET", "/smtp/unsubscribe?limit=10&offset=20").json == []  # the document's URL example
    rows = sp("GET", "/smtp/unsubscribe?limit=10&offset=0").json
    assert {r["email"] for r in rows} == {"baduser1@mailserver.com", "baduser2@mailserver.com"}
    assert rows[0]["unsubscribe_by_user"] == 1 and rows[0]["unsubscribe_by_link"] == 0 and rows[0]["spam_complaint"] == 0
    assert sp("GET", "/smtp/unsubscribe/search?email=badUser1@mailserver.com").json == {"result": True}
    removed = sp("DELETE", "/smtp/unsubscribe", json={"emails": ["badUser1@mailserver.com", "badUser2@mailserver.com"]})
    assert removed.json == {"result": True}
    assert sp("GET", "/smtp/unsubscribe/search?email=badUser1@mailserver.com").json == {"result": False}
    assert sp("GET", "/smtp/unsubscribe").json == []


def test_json_string_emails_dates_and_reasons(sp, sender):
    user = sender.account.user
    suppressions.add(user, "link@example.net", SuppressionReason.UNSUBSCRIBE)
    suppressions.add(user, "spam@example.net", SuppressionReason.COMPLAINT)
    suppressions.add(user, "dead@example.net", SuppressionReason.HARD_BOUNCE)  # not an unsubscribe
    as_string = sp("POST", "/smtp/unsubscribe", json={"emails": json.dumps([{"email": "me@example.net"}])})
    assert as_string.json == {"result": True}
    rows = {r["email"]: r for r in sp("GET", "/smtp/unsubscribe").json}
    assert set(rows) == {"link@example.net", "spam@example.net", "me@example.net"}
    assert rows["link@example.net"]["unsubscribe_by_link"] == 1 and rows["spam@example.net"]["spam_complaint"] == 1
    today = rows["me@example.net"]["date"][:10]
    assert len(sp("GET", f"/smtp/unsubscribe?date={today}").json) == 3
    assert sp("GET", "/smtp/unsubscribe?date=2016-03-05").json == []
    assert sp("GET", "/smtp/unsubscribe/search?email=dead@example.net").json == {"result": False}
    for bad in ({"emails": [{"email": "not an address"}]}, {"emails": "[oops"}, {}):
        answer = sp("POST", "/smtp/unsubscribe", json=bad)
        assert answer.status_code == 400 and answer.json["error_code"] in (8, 400)


def test_the_documents_resubscribe_example(sp, sender):
    user = sender.account.user
    domains.set_status(domains.add(user, "test.com"), "Enabled")
    suppressions.add(user, "test@test.com", SuppressionReason.UNSUBSCRIBE)
    answer = sp("POST", "/smtp/resubscribe", json=json.loads("""{
        "email":"test@test.com",
        "sender":"my_sender@test.com",
        "lang":"en"
    }"""))
    assert answer.status_code == 200 and answer.json["result"] is True
    assert suppressions.suppressed(user, ["test@test.com"]) == []
    message = Message.get(Message.uuid == answer.json["id"])
    assert message.mail_from == "my_sender@test.com" and message.subject == "You are subscribed again"
    assert [d.recipient for d in message.deliveries] == ["test@test.com"]


def test_resubscribe_refusals_and_its_daily_limit(sp, sender):
    suppressions.add(sender.account.user, "dead@example.net", SuppressionReason.HARD_BOUNCE)
    body = {"email": "x@example.net", "sender": "a@example.com"}
    assert sp("POST", "/smtp/resubscribe", json={**body, "lang": "fr"}).status_code == 400
    assert sp("POST", "/smtp/resubscribe", json={**body, "sender": "a@elsewhere.org"}).json["error_code"] == 10
    assert sp("POST", "/smtp/resubscribe", json={**body, "email": "dead@example.net"}).status_code == 422
    statuses = [sp("POST", "/smtp/resubscribe", json={**body, "email": f"r{i}@example.net"}).status_code
                for i in range(6)]
    assert statuses == [200] * 5 + [429]
