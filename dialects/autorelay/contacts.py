"""/api/v1/contacts over the contacts service. The seed has no list endpoint: a list's id here
is its name; a `listId` that names no list of the user yet creates it, and a contact without
`listId` joins the user's list named "default"."""
from __future__ import annotations

from flask import request
from marshmallow import EXCLUDE, Schema, fields, validate

from dialects.autorelay import resource
from dialects.autorelay.resource import blueprint
from dialects.autorelay.vocabulary import iso
from edge.errors import Declared, declares
from services import contacts
from services.errors import ContactExists, InvalidAddress

DEFAULT_LIST = "default"


class ContactSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    listId = fields.String(load_default=DEFAULT_LIST, validate=validate.Length(min=1, max=255))


def view(contact, list_name: str) -> dict:
    return {"id": str(contact.id), "email": contact.email, "name": contact.name, "status": contact.status,
            "listId": list_name, "createdAt": iso(contact.created_at)}


@blueprint.post("/contacts")
@declares(Declared(ContactExists, "conflict", 409, "This email is already a contact on the list"),
          Declared(InvalidAddress, "validation_error", 422, "Invalid request: email is not a valid email address"))
def create_contact():
    p = resource.load(ContactSchema, resource.body())
    on = contacts.list_named(resource.user(), p["listId"])
    return view(contacts.add(on, p["email"], p["name"]), on.name), 201


@blueprint.get("/contacts")
def list_contacts():
    page, limit, offset = resource.paging(50)
    name = request.args.get("listId", "").strip()
    on = contacts.list_named(resource.user(), name, create=False) if name else None
    if name and on is None:
        return {"contacts": [], "total": 0, "page": page}
    total, rows = contacts.page_of(resource.user(), on, offset=offset, limit=limit)
    return {"contacts": [view(c, c.list.name) for c in rows], "total": total, "page": page}
