"""DKIM signatures (RFC 6376): rsa-sha256, relaxed/relaxed, with the sender domain's key and selector.

Measured by bench/bench_dkim.py (RSA-2048, a 5 KB message, on a shared 2-core box): dkimpy's own
`dkim.sign` takes about 12x a bare OpenSSL signature, nearly all of it in its pure-Python RSA.
So dkimpy's tested pieces parse, canonicalize, hash and fold, and `cryptography` (OpenSSL) does
the RSA step; only the header block is parsed, only the signed headers are canonicalized, and
the body skips dkimpy's two whole-body regex passes when they would change nothing: about 1.3x
the bare signature (1.8x before those three). dkimpy has no hook for the RSA step short of
copying `DomainSigner.gen_header`, so the tag list is built here; the tests check the
signatures with dkimpy's verifier.
"""
from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import re

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from dkim.canonicalization import Relaxed, correct_empty_body, strip_trailing_lines

import clock

SIGNED_HEADERS = (b"from", b"to", b"cc", b"reply-to", b"subject", b"date", b"message-id", b"mime-version",
                  b"content-type", b"content-transfer-encoding", b"list-unsubscribe", b"list-unsubscribe-post")


def sign(message: bytes, *, domain: str, selector: str, private_key_pem: str) -> bytes:
    """Return the message with a DKIM-Signature header prepended."""
    head, blank, body = message.partition(b"\r\n\r\n")
    if blank:  # dkimpy parses only the header block; the body is canonicalized below
        headers, _ = dkim.rfc822_parse(head + blank)
    else:  # bare LF line ends: dkimpy's parse turns them into CRLF
        headers, body = dkim.rfc822_parse(message)
    present = {name.lower() for name, _ in headers}
    signed = [name for name in SIGNED_HEADERS if name in present]
    if b"from" not in signed:
        raise ValueError("a DKIM signature must cover the From header")
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest())
    timestamp = int(clock.now().replace(tzinfo=datetime.UTC).timestamp())
    tags = b"v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; t=%d; h=%s; bh=%s;" % (
        domain.encode("ascii"), selector.encode("ascii"), timestamp, b" : ".join(signed), body_hash)
    # b= gets a line of its own, so the signature can be appended without refolding what was hashed.
    value = b" " + dkim.fold(tags, namelen=len(b"DKIM-Signature: ")) + b"\r\n b="
    digest = hashlib.sha256()
    wanted = set(signed)
    covered = [(name, v) for name, v in headers if name.lower() in wanted]  # only these are canonicalized
    dkim.hash_headers(digest, Relaxed, Relaxed.canonicalize_headers(covered), signed, (b"DKIM-Signature", value), {})
    signature = _private_key(private_key_pem).sign(digest.digest(), padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    value = dkim.fold(value + base64.b64encode(signature))
    return b"DKIM-Signature:" + value + b"\r\n" + message


def _relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalization, without its two whole-body regex passes when they
    would change nothing (no tab, no run of spaces, no space before a line end: our own MIME)."""
    if body.count(b"\n") != body.count(b"\r\n"):
        body = b"\r\n".join(re.split(b"\r?\n", body))
    if b"\t" in body or b"  " in body or b" \r\n" in body:
        return Relaxed.canonicalize_body(body)
    return correct_empty_body(strip_trailing_lines(body))


@functools.lru_cache(maxsize=256)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """Loading checks the key: about 37 ms here, sixty times a signature, so each key is loaded once."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("a DKIM key for rsa-sha256 must be an RSA key")
    return key
