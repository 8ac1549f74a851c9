"""HTTP requests to URLs that users supply (webhooks): parsed once and strictly, sent only to an
address that was checked, within one total deadline.

Why each part:
- `parse` accepts only URLs that every parser reads alike (no backslash, user info, percent-encoded
  or numeric-trick hosts, whitespace or control characters) and cross-checks urllib3's reading,
  so the host that is checked is the host that is connected to.
- `public` says whether an address may be reached from the open internet, reading IPv4 addresses
  embedded in IPv6 ones (`::127.0.0.1`, `64:ff9b::7f00:1`, `::ffff:…`, 6to4, Teredo) as what
  they embed.
- `post` connects to exactly the address given (the caller resolved and checked it), while the
  Host header, TLS SNI and certificate check use the URL's name; a watchdog shuts the socket at
  the deadline, so a peer trickling bytes cannot hold a thread longer than that.
"""
from __future__ import annotations

import functools
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import requests.certs
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import parse_url
from urllib3.util.ssl_ import create_urllib3_context

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_ANSWER = 8192  # bytes of a response body read (and kept, truncated, by callers)
_AUTHORITY = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[1-9][0-9]{0,4}))?")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]+(?<!-)")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a host ending so is an IPv4 address to URL parsers
_DEFAULT_PORTS = {"http": 80, "https": 443}
_EMBEDDING = (ipaddress.ip_network("::/96"),  # IPv4-compatible (::127.0.0.1)
              ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
              ipaddress.ip_network("64:ff9b::/96"))  # NAT64, well-known prefix
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never global


class InvalidURL(ValueError):
    """The URL is not one Gatepost can read without ambiguity."""


class Failure(Exception):
    """No complete HTTP answer: the message says why (`Timeout: ...`, `ConnectionError: ...`)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # a lower-case name, or an IP address without brackets
    port: int
    path: str  # the request target: path and query
    ip: Address | None  # the host, when it is an address literal


@dataclass(frozen=True)
class Answer:
    status: int
    text: str  # the first MAX_ANSWER bytes of the body, decoded leniently


def parse(url: str) -> Target:
    """The URL's parts, or InvalidURL when any parser could read it differently."""
    if not url.isascii() or re.search(r"[\x00-\x20\x7f\\]", url):
        raise InvalidURL("URL must be ASCII without spaces, control characters or backslashes "
                         "(use punycode and percent-encoding).")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise InvalidURL("URL must start with http:// or https://.")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    found = _AUTHORITY.fullmatch(authority)
    if not found:
        raise InvalidURL("URL host must be a plain name or address and a port: no user info, "
                         "percent-encoding or empty port.")
    host, port = found["host"].lower(), int(found["port"] or _DEFAULT_PORTS[scheme])
    if port > 65535:
        raise InvalidURL("URL port must be between 1 and 65535.")
    ip = _host_address(host)
    try:  # what urllib3 itself reads must agree
        parsed = parse_url(url)
        seen = (parsed.host or "").strip("[]")
        agree = (parsed.scheme, parsed.auth, parsed.port or port) == (scheme, None, port) and \
            (ipaddress.ip_address(seen) if ip else seen) == (ip or host)
    except ValueError:
        agree = False
    if not agree:
        raise InvalidURL("URL is ambiguous.")
    return Target(scheme, str(ip) if ip else host, port, parsed.request_uri, ip)


def _host_address(host: str) -> Address | None:
    """An address literal's value, None for a name; InvalidURL for non-canonical spellings
    (`2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`) and names DNS cannot hold."""
    if host.startswith("["):
        try:
            return ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise InvalidURL("URL has an invalid IPv6 address.") from None
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            ip = ipaddress.IPv4Address(host)  # four decimal parts, no leading zeros
        except ValueError:
            raise InvalidURL("URL has an IPv4 address in a non-canonical form.") from None
        return ip
    if len(host) > 253:
        raise InvalidURL("URL host name is longer than 253 characters.")
    if any(len(label) > 63 for label in labels):
        raise InvalidURL("URL host has a label longer than 63 characters.")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidURL("URL host is not a valid name (empty label, trailing dot or stray hyphen).")
    return None


def embedded_ipv4(ip: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and that a translator would reach)."""
    if ip.version == 4:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    found += [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) for net in _EMBEDDING if ip in net]
    return [a for a in found if a is not None]


def public(ip: Address) -> bool:
    """A global address, and so is every IPv4 address it embeds."""
    return ip.is_global and ip not in _LOCAL_NAT64 and all(a.is_global for a in embedded_ipv4(ip))


def post(target: Target, addresses: list[str], body: bytes, headers: dict, seconds: float) -> Answer:
    """POST to the first of `addresses` that accepts a connection, within `seconds` in all
    (connect, TLS, send, the answer and up to MAX_ANSWER bytes of its body). No redirects."""
    deadline = _Deadline(seconds)
    conn = None
    try:
        conn = _connect(target, addresses, deadline)
        conn.request("POST", target.path, body=body, headers={**headers, "Connection": "close"},
                     preload_content=False, decode_content=False)  # read no more than MAX_ANSWER, as sent
        response = conn.getresponse()
        text = response.read(MAX_ANSWER).decode("utf-8", "replace")
        if deadline.expired:  # cut mid-answer, yet the read returned what had come
            raise socket.timeout()
        return Answer(response.status, text)
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        if deadline.expired or isinstance(exc, (socket.timeout, urllib3.exceptions.TimeoutError)):
            raise Failure(f"Timeout: no complete answer within {seconds:g} s") from None
        if isinstance(exc, (ssl.SSLError, ssl.CertificateError, urllib3.exceptions.SSLError)):
            raise Failure(f"SSLError: {exc}") from None
        raise Failure(f"{exc.__class__.__name__}: {exc}") from None
    finally:
        deadline.cancel()
        if conn is not None:
            conn.close()


def _connect(target: Target, addresses: list[str], deadline: _Deadline) -> HTTPConnection:
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    error: OSError | None = None
    for address in addresses:
        conn = cls(target.host, target.port, address=address, deadline=deadline)
        try:
            conn.connect()
            return conn
        except OSError as exc:
            conn.close()
            if deadline.expired or isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
                raise
            error = exc
    raise Failure(f"ConnectionError: cannot connect to {', '.join(addresses)} port {target.port}: "
                  f"{getattr(error, 'strerror', None) or error}")


class _Deadline:
    """A point in time; sockets it watches are shut down when it passes."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self.expired = False
        self._timers: list[threading.Timer] = []

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            self.expired = True
            raise socket.timeout()
        return left

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(self.remaining(), self._cut, (sock,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _cut(self, sock: socket.socket) -> None:
        self.expired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read or write at once
        except OSError:
            pass

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


class _Pinned:
    """An urllib3 connection whose socket goes to one given address; everything else (Host
    header, SNI, certificate name) still comes from the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, deadline: _Deadline, **kwargs):
        super().__init__(host, port, timeout=deadline.remaining(), **kwargs)
        self._address, self._deadline = address, deadline

    def _new_conn(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout=self._deadline.remaining())
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._deadline.watch(sock)
        return sock


class _PinnedHTTP(_Pinned, HTTPConnection):
    pass


class _PinnedHTTPS(_Pinned, HTTPSConnection):
    def __init__(self, host: str, port: int, **kwargs):
        super().__init__(host, port, ssl_context=_tls_context(), **kwargs)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificates verified against the CA bundle requests uses; built once (loading it is slow)."""
    context = create_urllib3_context()
    context.load_verify_locations(requests.certs.where())
    return context
