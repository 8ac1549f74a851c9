"""Open, click and unsubscribe tracking: signed tokens and the per-delivery rewrite of a message.

A token carries everything its URL needs (delivery id, and for clicks the destination) under an
HMAC, so no database row decides where a click goes: a wiped or tampered database can never
turn a tracking link into an open redirect, and a forged or damaged token reads as None.

Token shape: base64url(payload) + base64url(16-byte HMAC), both unpadded, the MAC always the
last 22 characters. payload = one byte n + the delivery id in n big-endian bytes + the URL in
UTF-8; the MAC covers the kind too, so a click token is not an unsubscribe token.

`personalise` must run before DKIM signing: it changes the body and adds List-Unsubscribe
headers, which RFC 8058 wants signed. A part whose bytes cannot be read faithfully (an unknown
charset such as `x-bogus` or `unknown-8bit` over text that is not UTF-8, or bytes its charset
refuses) is left exactly as it was, untracked, rather than guessed at or failed.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import email
import hashlib
import hmac
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import webencodings

import config
from services.secrets import derive

KINDS = ("o", "c", "u")  # open, click, unsubscribe
MAC_CHARS = 22  # 16 bytes, base64url without padding
MAX_TOKEN = 3800  # the request line must fit gunicorn's default limit_request_line (4094)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
NOTRACK = ("data-gatepost-notrack", "gatepost-notrack")
_BROWSER_DROPS = re.compile("[\t\r\n]")  # what a browser removes from a URL (WHATWG URL standard)
_AS_RECEIVED = policy.SMTP.clone(refold_source="none")  # header lines we leave alone go out as they came
_HTML = re.compile(rb"text\s*/\s*html", re.IGNORECASE)  # anywhere: a false hit only costs the full parse
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(kind: str, payload: bytes) -> str:
    key = derive(config.current().secret_key, b"gatepost tracking")
    return _b64(hmac.new(key, kind.encode("ascii") + payload, hashlib.sha256).digest()[:16])


def token(kind: str, delivery_id: int, url: str = "") -> str:
    """A URL-safe token for one delivery (and destination); ValueError when it cannot be made."""
    if kind not in KINDS:
        raise ValueError(f"unknown tracking kind {kind!r}")
    if not isinstance(delivery_id, int) or not 0 <= delivery_id < 2 ** 64:
        raise ValueError(f"delivery id out of range: {delivery_id!r}")
    size = max(1, (delivery_id.bit_length() + 7) // 8)
    payload = bytes([size]) + delivery_id.to_bytes(size, "big") + url.encode("utf-8")
    result = _b64(payload) + _mac(kind, payload)
    if len(result) > MAX_TOKEN:
        raise ValueError("URL too long to track")
    return result


def read(kind: str, token: str) -> tuple[int, str] | None:
    """(delivery id, url) from a token made by `token(kind, ...)`; None for anything else, never raises."""
    if kind not in KINDS or not isinstance(token, str) or not MAC_CHARS < len(token) <= MAX_TOKEN \
            or not token.isascii() or not _TOKEN.fullmatch(token):
        return None
    body, mac = token[:-MAC_CHARS], token[-MAC_CHARS:]
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    if _b64(payload) != body:  # one spelling per payload: no malleable trailing bits
        return None
    if not hmac.compare_digest(mac, _mac(kind, payload)):
        return None
    size = payload[0] if payload else 0
    if not 1 <= size <= 8 or len(payload) < 1 + size:
        return None
    try:
        return int.from_bytes(payload[1:1 + size], "big"), payload[1 + size:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def safe_url(url: str) -> bool:
    """An http(s) URL a redirect may send a browser to: no control characters (a CR/LF would split
    the Location header)."""
    try:
        return not _CONTROL.search(url) and urlsplit(url).scheme.lower() in ("http", "https")
    except ValueError:
        return False


@dataclass(frozen=True)
class Tracking:
    base_url: str  # e.g. "https://track-gp.example.com" (no trailing slash)
    delivery_id: int
    opens: bool
    clicks: bool
    unsubscribe: bool  # add a footer link and List-Unsubscribe headers
    unsubscribe_text: str = "Unsubscribe"

    def url(self, kind: str, target: str = "") -> str:
        return f"{self.base_url}/t/{kind}/{token(kind, self.delivery_id, target)}"


def personal(message: bytes, tracking: Tracking | None) -> bool:
    """Whether `personalise` makes each delivery a copy of its own: an unsubscribe link, or opens
    or clicks tracked in an HTML part (a plain-text part gets only the unsubscribe footer)."""
    if tracking is None or not (tracking.unsubscribe or tracking.opens or tracking.clicks):
        return False
    return tracking.unsubscribe or bool(_HTML.search(message))


def personalise(message: bytes, tracking: Tracking, unsubscribe_mailto: str = "") -> bytes:
    """One delivery's copy of a composed message: tracked links, open pixel, unsubscribe footer and headers.

    Untouched, without being parsed, when nothing in it is `personal` (the same bytes object);
    untouched too when the email package cannot write the message back (malformed MIME, headers
    it cannot refold): such a message goes out as it came rather than not at all.
    """
    if not personal(message, tracking):
        return message
    parsed = email.message_from_bytes(message, policy=_AS_RECEIVED)
    try:
        changed = False
        for part in _bodies(parsed):
            text = _text_of(part)
            if text is None:
                continue
            new = (rewrite_html(text, tracking) if part.get_content_subtype() == "html"
                   else _text_footer(text, tracking))
            if new != text:
                _set_text(part, new)
                changed = True
        if not tracking.unsubscribe:
            return parsed.as_bytes() if changed else message
        del parsed["List-Unsubscribe"]
        del parsed["List-Unsubscribe-Post"]
        written = parsed.as_bytes()
    except (LookupError, ValueError):  # UnicodeError and the email package's header errors among them
        return message
    head, blank, rest = written.partition(b"\r\n\r\n")
    return head + _list_unsubscribe(tracking, unsubscribe_mailto) + blank + rest


def _list_unsubscribe(tracking: Tracking, mailto: str) -> bytes:
    """RFC 2369 + RFC 8058 header lines, folded by hand between the URIs: the email package would
    turn a URI longer than a line into RFC 2047 encoded words, which no client reads as a URI."""
    targets = [f"<{tracking.url('u')}>"]
    if mailto:
        targets.append(f"<mailto:{re.sub(r'(?i)^mailto:', '', mailto)}>")
    value = ",\r\n ".join(targets)
    if re.search(r"[\r\n]", "".join(targets)) or not value.isascii():
        raise ValueError("List-Unsubscribe URIs must be ASCII on one line")
    return f"\r\nList-Unsubscribe: {value}\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click".encode("ascii")


def _bodies(part):
    """The text/html and text/plain parts a reader sees: not attachments, files or enclosed messages."""
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _bodies(sub)
    elif part.get_content_type() in ("text/html", "text/plain"):
        yield part


def _text_of(part) -> str | None:
    """A text part's content, decoded by its charset (Python's name for it, else the WHATWG
    label mail clients also use: windows-874, iso-8859-8-i ...), else as UTF-8 (which covers
    plain ASCII under an `unknown-8bit` label); None when neither reads the bytes exactly."""
    raw = part.get_payload(decode=True) or b""
    for codec in (_codec(part.get_content_charset("us-ascii")), "utf-8"):
        if codec is None:
            continue
        try:
            return raw.decode(codec)
        except (LookupError, UnicodeError):  # a codec that is not a text encoding, or bytes it refuses
            continue
    return None


def _codec(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        found = webencodings.lookup(label)
        return found.codec_info.name if found else None


def _text_footer(text: str, tracking: Tracking) -> str:
    if not tracking.unsubscribe:
        return text
    return text + ("" if text.endswith("\n") or not text else "\n") + \
        f"\n{tracking.unsubscribe_text}: {tracking.url('u')}\n"


def _set_text(part: EmailMessage, text: str) -> None:
    """Swap a text part's content in place: its headers stay as and where they were, except the
    charset (now utf-8) and the transfer encoding, chosen afresh by the email package as compose does."""
    fresh = EmailMessage(policy=part.policy)
    fresh.set_content(text, subtype=part.get_content_subtype(), charset="utf-8")
    part.set_param("charset", "utf-8")
    if "Content-Transfer-Encoding" in part:
        part.replace_header("Content-Transfer-Encoding", fresh["Content-Transfer-Encoding"])
    else:
        part["Content-Transfer-Encoding"] = fresh["Content-Transfer-Encoding"]
    # get_payload() hands an 8bit body back decoded; as UTF-8 bytes it is stored as the wire form again
    part.set_payload(fresh.get_payload().encode("utf-8"))


def rewrite_html(html: str, tracking: Tracking) -> str:
    """The document with tracked hrefs and the footer and pixel added before </body>.

    Edits are spliced into the original text at the parser's positions, so everything else
    (entities, comments, doctype, script and style, odd markup) comes out byte for byte.
    """
    parser = _Links(tracking)
    parser.run(html)
    tail = ""
    if tracking.unsubscribe:
        tail += ('<p style="margin:24px 0 0;font-size:12px;color:#888888;text-align:center">'
                 f'<a href="{escape(tracking.url("u"))}" style="color:#888888">'
                 f'{escape(tracking.unsubscribe_text)}</a></p>')
    if tracking.opens:
        tail += (f'<img src="{escape(tracking.url("o"))}.gif" width="1" height="1" alt="" '
                 'style="display:none;border:0" />')
    if tail:
        at = parser.body_end if parser.body_end is not None else \
            parser.html_end if parser.html_end is not None else len(html)
        parser.edits.append((at, at, tail))
    out, done = [], 0
    for start, end, replacement in sorted(parser.edits, key=lambda e: e[0]):
        out += [html[done:start], replacement]
        done = end
    return "".join(out) + html[done:]


class _Links(HTMLParser):
    """Finds the tags to change and where they are; never re-emits the document itself."""

    def __init__(self, tracking: Tracking):
        super().__init__(convert_charrefs=False)
        self.tracking = tracking
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the source
        self.body_end: int | None = None  # offset of the last </body>
        self.html_end: int | None = None
        self._line_starts = [0]

    def run(self, html: str) -> None:
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()  # where the construct being handled starts
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if not self.tracking.clicks or tag not in ("a", "area") or any(n in NOTRACK for n, _ in attrs):
            return
        new = [(name, self._tracked(value) if name == "href" else value) for name, value in attrs]
        if new == attrs:
            return
        source = self.get_starttag_text()
        rebuilt = f"<{tag}" + "".join(f" {n}" if v is None else f' {n}="{escape(v, quote=True)}"'
                                      for n, v in new) + ("/>" if source.endswith("/>") else ">")
        start = self._offset()
        self.edits.append((start, start + len(source), rebuilt))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "body":
            self.body_end = self._offset()
        elif tag == "html":
            self.html_end = self._offset()

    def _tracked(self, href: str | None) -> str | None:
        """A click URL for an absolute http(s) link; anything else (mailto:, #, relative, too long,
        control characters) as it was. Tabs and line breaks go, as a browser drops them."""
        if href is None:
            return None
        url = _BROWSER_DROPS.sub("", href).strip()
        if not safe_url(url):
            return href
        try:
            return self.tracking.url("c", url)
        except ValueError:  # too long to track
            return href
