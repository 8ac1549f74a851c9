"""Lists and contacts: their rules, statuses that follow real bounces and unsubscribes, CSV import."""
import email
import json
import re
from email import policy
from urllib.parse import urlsplit

import pytest

from models import Contact
from services import contacts, engagement, suppressions
from services.errors import (ContactExists, ContactListNotFound, ContactNotFound, InvalidAddress, InvalidContactStatus,
                             InvalidImport)


def test_contacts_are_validated_and_unique_per_list(alice, bob):
    news = contacts.create_list(alice.user, " News ")
    added = contacts.add(news, " Ann@Example.NET ", name="Ann", fields={"plan": "pro"})
    assert (added.email, added.name, json.loads(added.fields), added.status) == (
        "ann@example.net", "Ann", {"plan": "pro"}, "subscribed")
    with pytest.raises(ContactExists):
        contacts.add(news, "ann@example.net")
    with pytest.raises(InvalidAddress):
        contacts.add(news, "not an address")
    with pytest.raises(InvalidContactStatus):
        contacts.add(news, "bo@example.net", status="maybe")
    assert contacts.add(contacts.create_list(alice.user, "Other"), "ann@example.net").email == "ann@example.net"
    with pytest.raises(ContactListNotFound):
        contacts.get_list(news.id, bob.user)
    assert [lst.name for lst in contacts.lists_of(alice.user)] == ["News", "Other"] and contacts.lists_of(bob.user) == []


def test_update_merges_fields_and_remove(alice):
    news = contacts.create_list(alice.user, "News")
    contact = contacts.add(news, "ann@example.net", fields={"plan": "pro", "city": "Oslo"})
    contacts.update(contact, name="Ann B", fields={"city": None, "lang": "nb"}, status="unsubscribed")
    again = contacts.get(news, "ANN@example.net")
    assert (again.name, json.loads(again.fields), again.status) == ("Ann B", {"plan": "pro", "lang": "nb"},
                                                                    "unsubscribed")
    assert contacts.counts(news) == {"subscribed": 0, "unsubscribed": 1, "bounced": 0, "complained": 0}
    contacts.remove(news, "ann@example.net")
    with pytest.raises(ContactNotFound):
        contacts.remove(news, "ann@example.net")
    contacts.delete_list(news)
    assert Contact.select().count() == 0


def test_a_suppression_marks_the_address_on_every_list_of_that_user_only(alice, bob):
    lists = [contacts.create_list(alice.user, name) for name in ("A", "B")]
    for contact_list in lists:
        contacts.add(contact_list, "rob@example.net")
    theirs = contacts.add(contacts.create_list(bob.user, "C"), "rob@example.net")
    suppressions.add(alice.user, "Rob@example.net", "complaint")
    assert {c.status for c in Contact.select().where(Contact.list.in_(lists))} == {"complained"}
    assert Contact.get_by_id(theirs.id).status == "subscribed"
    suppressions.add(bob.user, "rob@example.net", "manual")  # an operator's entry says nothing about the contact
    assert Contact.get_by_id(theirs.id).status == "subscribed"


def test_a_hard_bounce_during_delivery_marks_the_contact(send, deliver, sink, sender):
    news = contacts.create_list(sender.account.user, "News")
    contacts.add(news, "bounce@example.net")
    contacts.add(news, "ok@example.net")
    send(To=[{"email": "bounce@example.net"}, {"email": "ok@example.net"}], TrackOpens=False, TrackLinks=False)
    deliver()
    assert {c.email: c.status for c in contacts.contacts_on(news)} == {"bounce@example.net": "bounced",
                                                                        "ok@example.net": "subscribed"}


def test_a_one_click_unsubscribe_marks_the_contact(api, send, deliver, sink, sender):
    api(sender.account, "EmailGateway.UpdateDomain", DomainID=sender.domain.id, UnsubscribeLink=1)
    news = contacts.create_list(sender.account.user, "News")
    contacts.add(news, "rob@example.net")
    assert send().status_code == 200
    deliver()
    message = email.message_from_bytes(sink.received[-1].data, policy=policy.default)
    https, _ = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    engagement.unsubscribed(urlsplit(https).path.rsplit("/", 1)[1], how="one-click")
    assert contacts.get(news, "rob@example.net").status == "unsubscribed"


def _csv(tmp_path, text: str):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_adds_updates_and_reports_invalid_lines(alice, tmp_path):
    news = contacts.create_list(alice.user, "News")
    contacts.add(news, "old@example.net", name="Old", fields={"plan": "free"}, status="unsubscribed")
    path = _csv(tmp_path, '\ufeffEmail,Name,plan,city\n'
                          'ann@example.net,Ann,pro,Oslo\n'
                          'not-an-address,Bad,x,y\n'
                          '\n'
                          'OLD@example.net,"Old, Renamed",gold,\n'
                          '"multi\nline@example.net",Broken,,\n'
                          ',No address,,\n'
                          'ann@example.net,Ann Again,pro,Bergen\n')
    seen = []
    summary = contacts.import_csv(alice.user, news.id, path, progress=lambda done, total: seen.append((done, total)))
    assert summary["added"] == 1 and summary["updated"] == 2
    assert [line for line, _ in summary["invalid"]] == [3, 7, 8]
    assert "not-an-address" in summary["invalid"][0][1] and "empty address" in summary["invalid"][2][1]
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    old = contacts.get(news, "old@example.net")
    assert (old.name, json.loads(old.fields), old.status) == ("Old, Renamed", {"plan": "gold"}, "unsubscribed")
    ann = contacts.get(news, "ann@example.net")
    assert (ann.name, json.loads(ann.fields), ann.status) == ("Ann Again", {"plan": "pro", "city": "Bergen"},
                                                              "subscribed")


def test_csv_import_in_several_chunks(alice, tmp_path, monkeypatch):
    monkeypatch.setattr(contacts, "IMPORT_CHUNK", 7)
    news = contacts.create_list(alice.user, "News")
    lines = "".join(f"user{i}@example.net,User {i}\n" for i in range(50))
    first = contacts.import_csv(alice.user, news.id, _csv(tmp_path, "email,name\n" + lines))
    assert (first["added"], first["updated"], first["invalid"]) == (50, 0, [])
    second = contacts.import_csv(alice.user, news.id, _csv(tmp_path, "email,name\n" + lines + "user0@example.net,Z\n"))
    assert (second["added"], second["updated"]) == (0, 51)
    assert Contact.select().count() == 50 and contacts.get(news, "user0@example.net").name == "Z"


def test_csv_import_refuses_files_it_cannot_read(alice, bob, tmp_path):
    news = contacts.create_list(alice.user, "News")
    with pytest.raises(InvalidImport, match="header"):
        contacts.import_csv(alice.user, news.id, _csv(tmp_path, "name,city\nAnn,Oslo\n"))
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,name\nann@example.net,Ann\nbo@example.net,Bj\xf8rn\n".encode("latin-1"))
    with pytest.raises(InvalidImport, match="UTF-8"):
        contacts.import_csv(alice.user, news.id, path)
    with pytest.raises(ContactListNotFound):
        contacts.import_csv(bob.user, news.id, _csv(tmp_path, "email\nann@example.net\n"))
