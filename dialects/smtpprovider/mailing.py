"""Mailing lists: the user's contact lists, and adding one. Contacts come onto them through
the other ways in (`gatepost contacts import`, the other dialects); campaigns send to them."""
from __future__ import annotations

from dialects.smtpprovider.resource import AnyUser, ForUser, blueprint, ok, read, stamp
from dialects.smtpprovider.rules import Text
from services import contacts


class Add(ForUser):
    name = Text(required=True)


def mailing_view(contact_list) -> dict:
    return {"id": contact_list.id, "user_id": contact_list.user_id, "name": contact_list.name,
            "created_at": stamp(contact_list.created_at)}


@blueprint.get("/v1/smtp-mailing-list")
def list_mailing_lists():
    user, _ = read(AnyUser)
    return ok(mailing_list=[mailing_view(m) for m in contacts.lists_of(user)])


@blueprint.post("/v1/smtp-mailing-add")
def add_mailing_list():
    user, values = read(Add)
    return ok(mailing=mailing_view(contacts.create_list(user, values["name"])))
