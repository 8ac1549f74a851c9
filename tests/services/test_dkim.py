"""DKIM signing, checked by dkimpy's verifier with the public key served through its DNS hook."""
import base64
import datetime

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services import dkim as signing
from services.compose import Address, Attachment, Draft, compose

DOMAIN, SELECTOR = "example.com", "gp202503"


@pytest.fixture(scope="module")
def key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def dns(key_pair):
    """The DNS answer a receiver would get for the selector's TXT record."""
    records = {f"{SELECTOR}._domainkey.{DOMAIN}.".encode(): b"v=DKIM1; k=rsa; p=" + key_pair[1]}
    return lambda name, timeout=5: records.get(name)


def message(**fields) -> bytes:
    draft = Draft(sender=Address("news@example.com", "Zoë News"), to=(Address("ann@example.org"),),
                  subject="Your receipt", text="Thanks!\n", html="<p>Thanks!</p>", message_id="<m1@example.com>",
                  **fields)
    return compose(draft, datetime.datetime(2025, 3, 4, 5, 6, 7))


def sign(raw: bytes, key_pair) -> bytes:
    return signing.sign(raw, domain=DOMAIN, selector=SELECTOR, private_key_pem=key_pair[0])


def tags(signed: bytes) -> dict[bytes, bytes]:
    headers, _ = dkim.rfc822_parse(signed)
    name, value = headers[0]
    assert name == b"DKIM-Signature"
    return dkim.util.parse_tag_value(value)


def test_a_signed_message_verifies_with_the_published_key(key_pair, dns):
    raw = message(attachments=(Attachment("a.pdf", b"%PDF" * 400, "application/pdf"),))
    signed = sign(raw, key_pair)
    assert signed.endswith(raw) and signed.startswith(b"DKIM-Signature: ")
    assert dkim.verify(signed, dnsfunc=dns)


def test_the_signature_tags(key_pair):
    fields = tags(sign(message(headers=(("List-Unsubscribe", "<https://example.com/u/1>"),
                                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))), key_pair))
    assert fields[b"v"] == b"1" and fields[b"a"] == b"rsa-sha256" and fields[b"c"] == b"relaxed/relaxed"
    assert fields[b"d"] == DOMAIN.encode() and fields[b"s"] == SELECTOR.encode()
    signed = [name.strip() for name in fields[b"h"].split(b":")]
    assert signed == [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
                      b"list-unsubscribe", b"list-unsubscribe-post"]


def test_only_headers_present_are_signed(key_pair, dns):
    signed = sign(message(cc=(Address("cat@example.org"),)), key_pair)
    names = [name.strip() for name in tags(signed)[b"h"].split(b":")]
    assert b"cc" in names and b"reply-to" not in names and b"list-unsubscribe" not in names
    assert dkim.verify(signed, dnsfunc=dns)


def test_tampering_with_the_body_or_a_signed_header_breaks_the_signature(key_pair, dns):
    signed = sign(message(), key_pair)
    assert b"Thanks!" in signed and b"Subject: Your receipt" in signed
    assert not dkim.verify(signed.replace(b"Thanks!", b"Thanks?", 1), dnsfunc=dns)
    assert not dkim.verify(signed.replace(b"Subject: Your receipt", b"Subject: Your refund"), dnsfunc=dns)


def test_relaxed_canonicalization_survives_whitespace_changes_in_transit(key_pair, dns):
    signed = sign(message(), key_pair)
    assert b"Subject: Your receipt\r\n" in signed and b"Thanks!\r\n" in signed
    rewrapped = (signed.replace(b"Subject: Your receipt", b"Subject:   Your\r\n \t receipt  ")
                 .replace(b"Thanks!\r\n", b"Thanks! \t \r\n") + b"\r\n\r\n")
    assert dkim.verify(rewrapped, dnsfunc=dns)


def test_a_message_without_from_is_refused(key_pair):
    with pytest.raises(ValueError):
        sign(b"To: ann@example.org\r\nSubject: x\r\n\r\nbody\r\n", key_pair)


@pytest.mark.parametrize("body", [
    b"plain lines\r\nno runs of blanks\r\n\r\n\r\n",  # the fast path: only trailing empty lines go
    b"a tab\there, two  spaces, a trailing blank \r\nand\t \tmore \t\r\n",  # dkimpy's passes
    b"",  # an empty body
    b"bare\nline feeds\r\nin the body\n",  # signed as the CRLF they go out as
], ids=["fast", "whitespace", "empty", "mixed"])
def test_every_body_shape_verifies(key_pair, dns, body):
    raw = b"From: news@example.com\r\nTo: ann@example.org\r\nSubject: x\r\n  folded\r\n\r\n" + body
    signed = sign(raw, key_pair)
    assert dkim.verify(signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), dnsfunc=dns)


def test_bare_line_feeds_are_signed_as_crlf(key_pair, dns):
    """A client's message with LF line ends: signed as it goes out, in CRLF."""
    raw = b"From: news@example.com\nSubject: lf\n\nline one\nline  two \n"
    assert dkim.verify(sign(raw, key_pair).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), dnsfunc=dns)
