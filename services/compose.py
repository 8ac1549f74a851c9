"""Compose one RFC 5322 message from a draft, with the standard `email` package.

`policy.SMTP` gives CRLF line endings and RFC 2047 encoded words for non-ASCII subjects and
display names; the `EmailMessage` helpers choose the MIME tree and the transfer encodings, so
no encoding is written by hand here (only the boundaries are drawn here: random, as the
generator's are, without its per-message regex). Bcc has no field: those recipients exist only
in the envelope.

The common draft (no attachment, every header short plain ASCII that the package would write
unchanged) is written out directly, byte for byte what the package writes (tests compare the
two), with the package's own choice of transfer encoding: the package's header objects were
most of an accept's CPU.
"""
from __future__ import annotations

import datetime
import functools
import re
import secrets
from dataclasses import dataclass
from email import contentmanager, headerregistry, policy
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser

import idna


@dataclass(frozen=True)
class Address:
    email: str  # already validated; an IDN domain goes out as punycode
    name: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    type: str = "application/octet-stream"
    disposition: str = "attachment"  # or "inline"
    content_id: str | None = None  # an inline image the HTML shows as cid:<content_id>


@dataclass(frozen=True)
class Draft:
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    html: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # custom headers, vetted by the caller
    message_id: str = ""  # the full "<...@domain>" value


def compose(draft: Draft, date: datetime.datetime) -> bytes:
    """The message as it goes on the wire; `date` is naive UTC."""
    return _compose_plain(draft, date) or compose_mime(draft, date)


def compose_mime(draft: Draft, date: datetime.datetime) -> bytes:
    """Any draft, through the `email` package."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = _address(draft.sender)
    if draft.to:  # none when every recipient is Bcc
        message["To"] = [_address(a) for a in draft.to]
    if draft.cc:
        message["Cc"] = [_address(a) for a in draft.cc]
    if draft.reply_to:
        message["Reply-To"] = [_address(a) for a in draft.reply_to]
    message["Subject"] = draft.subject
    message["Date"] = format_datetime(date.replace(tzinfo=datetime.UTC))
    if draft.message_id:
        message["Message-ID"] = draft.message_id
    message["MIME-Version"] = "1.0"
    for name, value in draft.headers:
        message[name] = value

    related = [a for a in draft.attachments if a.content_id and draft.html is not None]
    if draft.html is None:
        message.set_content(draft.text or "")
    else:
        message.set_content(draft.text if draft.text is not None else html_to_text(draft.html))
        message.add_alternative(draft.html, subtype="html")
        html_part = message.get_payload()[1]
        for attachment in related:  # turns the html part into multipart/related
            html_part.add_related(attachment.content, *_mime_type(attachment.type),
                                  cid=f"<{attachment.content_id.strip('<>')}>", filename=attachment.filename,
                                  disposition="inline")
    for attachment in draft.attachments:
        if attachment not in related:  # turns the message into multipart/mixed
            message.add_attachment(attachment.content, *_mime_type(attachment.type), filename=attachment.filename,
                                   disposition=attachment.disposition)
    for i, part in enumerate(message.walk()):
        if i:  # the helpers give each part they make a MIME-Version
            del part["MIME-Version"]
        if part.is_multipart():  # 128 random bits cannot occur in the parts; the generator would compile a regex to check its own
            part.set_boundary(f"=_{secrets.token_hex(16)}")
    return message.as_bytes()


ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_NAME = re.compile(f"(?:{ATEXT}(?: {ATEXT})*)?")  # written as is: no quoting, nothing to encode
PLAIN_ADDRESS = re.compile(rf"{ATEXT}(?:\.{ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")  # an unstructured value written as is
STRUCTURED = frozenset(policy.SMTP.header_factory.registry)  # header names the package parses
LINE = policy.SMTP.max_line_length
NEWLINE = re.compile(r"\r\n|\r|\n")  # as the generator splits a body's lines (and ends each with CRLF)


def _compose_plain(draft: Draft, date: datetime.datetime) -> bytes | None:
    """The draft written directly when the package would write every header unchanged; None
    for anything else (attachments, non-ASCII or folded headers, quoted or encoded names)."""
    if draft.attachments:
        return None
    lines = [_plain_addresses("From", (draft.sender,)), _plain_addresses("To", draft.to),
             _plain_addresses("Cc", draft.cc), _plain_addresses("Reply-To", draft.reply_to),
             _plain_unstructured("Subject", draft.subject),
             f"Date: {_date(date.replace(microsecond=0))}",
             f"Message-ID: {draft.message_id}" if draft.message_id else "", "MIME-Version: 1.0",
             *(_plain_unstructured(name, value) if name.lower() not in STRUCTURED else None
               for name, value in draft.headers)]
    if None in lines or (draft.message_id and not re.fullmatch(r"<[!-;=?-~]+>", draft.message_id)):
        return None
    head = "".join(f"{line}\r\n" for line in lines if line)
    if draft.html is None:
        return (head + _plain_part("plain", draft.text or "")).encode("ascii", "surrogateescape")
    boundary = f"=_{secrets.token_hex(16)}"
    text = draft.text if draft.text is not None else html_to_text(draft.html)
    return (f'{head}Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\n{_plain_part('plain', text)}\r\n--{boundary}\r\n{_plain_part('html', draft.html)}"
            f"\r\n--{boundary}--\r\n").encode("ascii", "surrogateescape")


@functools.lru_cache(maxsize=4)
def _date(second: datetime.datetime) -> str:
    """The Date header's value for a naive UTC time (the same for each accept of a second)."""
    return format_datetime(second.replace(tzinfo=datetime.UTC))


def _plain_addresses(name: str, addresses: tuple[Address, ...]) -> str | None:
    """The header line as the package writes it (none when there is no address), or None."""
    written = []
    for a in addresses:
        if not PLAIN_ADDRESS.fullmatch(a.email) or not PLAIN_NAME.fullmatch(a.name) or "=?" in a.name:
            return None
        written.append(f"{a.name} <{a.email}>" if a.name else a.email)
    line = f"{name}: {', '.join(written)}"
    return None if len(line) > LINE else line if written else ""


def _plain_unstructured(name: str, value: str) -> str | None:
    if not value:
        return f"{name}:"
    line = f"{name}: {value}"
    return line if PLAIN_TEXT.fullmatch(value) and "=?" not in value and len(line) <= LINE else None


def _plain_part(subtype: str, text: str) -> str:
    """A text part's headers and body, encoded as `set_content` chooses (7bit, 8bit, QP or
    base64); 8bit bytes ride in the string as surrogate escapes, as in the package."""
    cte, body = contentmanager._encode_text(text, "utf-8", None, policy.SMTP)
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
            + NEWLINE.sub("\r\n", body))


def _address(address: Address) -> headerregistry.Address:
    local, _, domain = address.email.rpartition("@")
    if not domain.isascii():
        domain = idna.encode(domain, uts46=True).decode("ascii")
    return headerregistry.Address(display_name=address.name, username=local, domain=domain)


MIME_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")  # RFC 2045 token, lower-cased


def _mime_type(value: str) -> tuple[str, str]:
    """The attachment's type as given when it is a well-formed type/subtype, else octet-stream."""
    maintype, _, subtype = value.strip().lower().partition("/")
    if not MIME_TOKEN.fullmatch(maintype) or not MIME_TOKEN.fullmatch(subtype) or maintype == "multipart":
        return "application", "octet-stream"
    return maintype, subtype


def html_to_text(html: str) -> str:
    """The text/plain alternative of an HTML-only message: what a reader sees, with link targets.
    The last few (of bodies up to 64 KB) are remembered: a batch or a template often sends one
    body many times, and the parser is pure Python."""
    return _remembered_text(html) if len(html) <= 65536 else _text_of(html)


def _text_of(html: str) -> str:
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


_remembered_text = functools.lru_cache(maxsize=64)(_text_of)


class _TextOfHTML(HTMLParser):
    HIDDEN = {"script", "style", "title", "template"}
    BEFORE = {"br": "\n", "p": "\n\n", "div": "\n", "tr": "\n", "table": "\n", "li": "\n- ", "hr": "\n\n",
              "blockquote": "\n\n", "h1": "\n\n", "h2": "\n\n", "h3": "\n\n", "h4": "\n\n", "h5": "\n\n", "h6": "\n\n"}
    AFTER = {"p": "\n\n", "div": "\n", "tr": "\n", "table": "\n", "ul": "\n", "ol": "\n", "blockquote": "\n\n",
             "h1": "\n\n", "h2": "\n\n", "h3": "\n\n", "h4": "\n\n", "h5": "\n\n", "h6": "\n\n"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[tuple[str, int]] = []  # (href, index of the link's first part)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.parts)))
        elif tag == "img" and attrs.get("alt") and not self.hidden:
            self.parts.append(attrs["alt"])
        self.parts.append(self.BEFORE.get(tag, ""))

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.parts[start:]).split())
            if href and not href.startswith("#") and href not in (label, f"mailto:{label}"):
                self.parts.append(f" ({href})" if label else href)
        self.parts.append(self.AFTER.get(tag, ""))

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))
