"""Contact lists per user and the contacts on them. An address's status follows what the
gateway learns (suppressions.add calls `mark`), on every list of its user; a CSV import streams
its file and writes in chunks, so 100k rows take one pass and little memory."""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator

import peewee

import clock
from models import Contact, ContactList, User
from models.db import database
from models.vocabulary import ContactStatus
from services.errors import (ContactExists, ContactListNotFound, ContactNotFound, InvalidAddress, InvalidContactStatus,
                             InvalidImport)
from services.addresses import normalize_address

IMPORT_CHUNK = 1000  # rows per INSERT: 7 columns each stays under SQLite's and PostgreSQL's bound-parameter limits
EMAIL_COLUMNS = ("email", "e-mail", "email address", "emailaddress")
NAME_COLUMNS = ("name", "full name", "fullname")


def create_list(user: User, name: str) -> ContactList:
    return ContactList.create(user=user, name=name.strip())


def get_list(list_id: int, user: User | None) -> ContactList:
    """`user` sees only their lists; None is the operator."""
    query = ContactList.select().where(ContactList.id == list_id)
    if user is not None:
        query = query.where(ContactList.user == user)
    found = query.first()
    if found is None:
        raise ContactListNotFound()
    return found


def lists_of(user: User) -> list[ContactList]:
    return list(ContactList.select().where(ContactList.user == user).order_by(ContactList.name, ContactList.id))


def counts(contact_list: ContactList) -> dict[str, int]:
    """Contacts on the list per status (every status present, zero when none)."""
    rows = (Contact.select(Contact.status, peewee.fn.COUNT(Contact.id).alias("n"))
            .where(Contact.list == contact_list).group_by(Contact.status).tuples())
    return {str(status): 0 for status in ContactStatus} | dict(rows)


def rename_list(contact_list: ContactList, name: str) -> ContactList:
    contact_list.name = name.strip()
    contact_list.save()
    return contact_list


def delete_list(contact_list: ContactList) -> None:
    contact_list.delete_instance()  # its contacts go with it (ON DELETE CASCADE)


def add(contact_list: ContactList, email: str, name: str = "", fields: dict | None = None,
        status: str = ContactStatus.SUBSCRIBED) -> Contact:
    address = _address(email)
    try:
        with database.atomic():
            return Contact.create(list=contact_list, email=address, name=name.strip(), fields=_fields(fields),
                                  status=_status(status))
    except peewee.IntegrityError:
        raise ContactExists() from None


def get(contact_list: ContactList, email: str) -> Contact:
    found = Contact.get_or_none(Contact.list == contact_list, Contact.email == _address(email))
    if found is None:
        raise ContactNotFound()
    return found


def contacts_on(contact_list: ContactList, status: str | None = None, after_id: int = 0,
                limit: int = 100) -> list[Contact]:
    """A page of the list's contacts in id order (keyset: pass the last id seen as `after_id`)."""
    query = Contact.select().where(Contact.list == contact_list, Contact.id > after_id)
    if status is not None:
        query = query.where(Contact.status == _status(status))
    return list(query.order_by(Contact.id).limit(limit))


def subscribed(contact_list: ContactList, first: int | None = None) -> Iterator[Contact]:
    """The list's subscribed contacts: the `first` few by address, or (None) all of them in id
    order, read a page at a time."""
    query = Contact.select().where(Contact.list == contact_list, Contact.status == ContactStatus.SUBSCRIBED)
    if first is not None:
        yield from query.order_by(Contact.email).limit(first)
        return
    after = 0
    while page := list(query.where(Contact.id > after).order_by(Contact.id).limit(IMPORT_CHUNK)):
        yield from page
        after = page[-1].id


def update(contact: Contact, name: str | None = None, fields: dict | None = None,
           status: str | None = None) -> Contact:
    """Change what is given; `fields` are merged into the contact's (a None value removes one)."""
    if name is not None:
        contact.name = name.strip()
    if fields is not None:
        merged = json.loads(contact.fields) | fields
        contact.fields = _fields({k: v for k, v in merged.items() if v is not None})
    if status is not None:
        contact.status = _status(status)
    contact.updated_at = clock.now()
    contact.save()
    return contact


def remove(contact_list: ContactList, email: str) -> None:
    if not Contact.delete().where(Contact.list == contact_list, Contact.email == _address(email)).execute():
        raise ContactNotFound()


def mark(user: User | int, email: str, status: str) -> int:
    """Set the status of `email` on every list of `user` (a bounce, complaint or unsubscribe
    concerns the address, not one list); returns how many contacts changed."""
    status = _status(status)
    lists = ContactList.select(ContactList.id).where(ContactList.user == user)
    return (Contact.update(status=status, updated_at=clock.now())
            .where(Contact.list.in_(lists), Contact.email == email.strip().lower(), Contact.status != status)
            .execute())


def import_csv(user: User | None, list_id: int, path: str | os.PathLike,
               progress: Callable[[int, int], None] | None = None) -> dict:
    """Add or update the contacts of a CSV file (a header row naming an `email` column, and
    optionally `name`; every other column becomes a custom field). Streams the file and writes
    IMPORT_CHUNK rows per statement; an existing contact gets the file's name and fields but
    keeps its status (an import never resubscribes anyone). `progress(bytes_read, total_bytes)`
    is called after each chunk. Returns {"added", "updated", "invalid": [(line, reason)]}."""
    contact_list = get_list(list_id, user)
    total = os.path.getsize(path)
    summary = {"added": 0, "updated": 0, "invalid": []}
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            for chunk, repeated in _chunks(_rows(reader, summary["invalid"], _header(reader))):
                added, updated = _write(contact_list, chunk)
                summary["added"] += added
                summary["updated"] += updated + repeated
                if progress:
                    progress(raw.tell(), total)
        except UnicodeDecodeError:
            raise InvalidImport(f"line {reader.line_num + 1}: the file is not UTF-8 text "
                                f"({summary['added']} added, {summary['updated']} updated before it)") from None
        except csv.Error as exc:
            raise InvalidImport(f"line {reader.line_num}: {exc}") from None
    if progress:
        progress(total, total)
    return summary


def _header(reader) -> tuple[int, int | None, list[tuple[int, str]]]:
    """(email column, name column or None, [(column, field name)]) from the header row."""
    header = [h.strip() for h in next(reader, [])]
    lowered = [h.lower() for h in header]
    email = next((i for i, h in enumerate(lowered) if h in EMAIL_COLUMNS), None)
    if email is None:
        raise InvalidImport("the first line must be a header with an email column")
    name = next((i for i, h in enumerate(lowered) if h in NAME_COLUMNS), None)
    fields = [(i, h) for i, h in enumerate(header) if i not in (email, name) and h]
    return email, name, fields


def _rows(reader, invalid: list, header) -> Iterator[dict]:
    email_at, name_at, field_at = header
    width = max([email_at, name_at or 0] + [i for i, _ in field_at]) + 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines are no one
        if len(row) < email_at + 1:
            invalid.append((line, "no email column on this line"))
            continue
        try:
            address = _address(row[email_at])
        except InvalidAddress as exc:
            invalid.append((line, f"{row[email_at].strip() or 'empty address'}: {exc}"))
            continue
        row += [""] * (width - len(row))
        yield {"email": address, "name": row[name_at].strip()[:255] if name_at is not None else "",
               "fields": json.dumps({field: row[i] for i, field in field_at if row[i] != ""})}


def _chunks(rows: Iterator[dict]) -> Iterator[tuple[dict[str, dict], int]]:
    """(IMPORT_CHUNK rows keyed by address, how many lines repeated an address of the chunk): a
    later line for the same address wins, and counts as an update (one statement cannot touch a
    row twice on PostgreSQL)."""
    chunk: dict[str, dict] = {}
    repeated = 0
    for row in rows:
        repeated += chunk.pop(row["email"], None) is not None
        chunk[row["email"]] = row
        if len(chunk) >= IMPORT_CHUNK:
            yield chunk, repeated
            chunk, repeated = {}, 0
    if chunk:
        yield chunk, repeated


def _write(contact_list: ContactList, chunk: dict[str, dict]) -> tuple[int, int]:
    """One transaction per chunk: which addresses exist decides added/updated; the upsert
    itself settles a race with a concurrent writer."""
    now = clock.now()
    with database.atomic():
        existing = {email for (email,) in Contact.select(Contact.email)
                    .where(Contact.list == contact_list, Contact.email.in_(list(chunk))).tuples()}
        rows = [dict(row, list=contact_list.id, status=ContactStatus.SUBSCRIBED.value, created_at=now,
                     updated_at=now) for row in chunk.values()]
        upsert = Contact.insert_many(rows)
        preserve = [Contact.name, Contact.fields, Contact.updated_at]
        if isinstance(database.obj, peewee.MySQLDatabase):  # ON DUPLICATE KEY UPDATE names no target
            upsert = upsert.on_conflict(preserve=preserve)
        else:
            upsert = upsert.on_conflict(conflict_target=[Contact.list, Contact.email], preserve=preserve)
        upsert.execute()
    return len(chunk) - len(existing), len(existing)


def _address(email: str) -> str:
    return normalize_address(email).lower()


def _status(status: str) -> str:
    try:
        return ContactStatus(status).value
    except ValueError:
        raise InvalidContactStatus(f"invalid contact status {status!r}; one of "
                                   f"{', '.join(ContactStatus)}") from None


def _fields(fields: dict | None) -> str:
    if fields is not None and not isinstance(fields, dict):
        raise TypeError("custom fields are a JSON object")
    return json.dumps(fields or {})
