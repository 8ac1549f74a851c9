"""SMTP out: where mail for a domain goes (its MX hosts, or one smarthost) and one client
connection that carries several transactions.

MX delivery uses opportunistic STARTTLS without certificate checks, as MTAs do between
themselves; a smarthost's certificate is checked unless its URL says `?tls_verify=0`.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import smtplib
import socket
import ssl
import time
from urllib.parse import parse_qs, unquote, urlsplit

import config
from models.vocabulary import DeliveryStatus
from services import dns


@dataclasses.dataclass(frozen=True)
class Route:
    hosts: tuple[tuple[str, int], ...]  # tried in order
    resolve: bool = True  # MX hosts' addresses come from the one resolver; a smarthost's from the system
    implicit_tls: bool = False
    username: str = ""
    password: str = ""
    verify_tls: bool = False


class NoRoute(Exception):
    """The domain cannot receive mail (NXDOMAIN, null MX, no address): a permanent failure."""


@dataclasses.dataclass(frozen=True)
class Reply:
    code: int | None  # None: no answer (connection refused, dropped, timed out)
    text: str
    host: str = ""
    phase: str = ""  # the command answered: connect, mail, rcpt, data (bounce reasons read it)

    @property
    def outcome(self) -> str:
        if self.code is not None and 200 <= self.code < 300:
            return DeliveryStatus.DELIVERED
        return DeliveryStatus.BOUNCED if self.code is not None and self.code >= 500 else DeliveryStatus.DEFERRED

    def __str__(self) -> str:
        return f"{self.code} {self.text}" if self.code is not None else self.text


def route(recipient_domain: str) -> Route:
    """The smarthost when one is configured; otherwise the domain's MX hosts by preference,
    or the domain itself when it has no MX (RFC 5321 implicit MX). DNSTimeout passes up."""
    settings = config.current()
    if settings.relay_url:
        return relay_route(settings.relay_url)
    try:
        records = sorted(dns.lookup(recipient_domain, "MX"), key=lambda r: r.preference)
    except dns.NoSuchName:
        raise NoRoute(f"{recipient_domain} does not exist (NXDOMAIN)") from None
    hosts = [r.exchange.to_text().rstrip(".") for r in records] or [recipient_domain]
    if hosts == [""]:
        raise NoRoute(f"{recipient_domain} accepts no mail (null MX)")
    return Route(tuple((h, settings.mx_port) for h in hosts))


def relay_route(url: str) -> Route:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"GATEPOST_RELAY_URL must be smtp:// or smtps://, not {url!r}")
    implicit = parts.scheme == "smtps"
    verify = parse_qs(parts.query).get("tls_verify", ["1"])[0] not in ("0", "false", "no")
    return Route(((parts.hostname, parts.port or (465 if implicit else 587)),), False, implicit,
                 unquote(parts.username or ""), unquote(parts.password or ""), verify)


class Connection:
    """One SMTP session to the first host of a route that answers."""

    def __init__(self, route_: Route, helo: str):
        settings = config.current()
        self.host, self.client, errors = "", None, []
        for host, port in route_.hosts:
            try:
                self.client = self._open(route_, host, port, helo, settings.smtp_timeout)
                self.host = host
                break
            except smtplib.SMTPResponseException as exc:
                errors.append(Reply(exc.smtp_code, _text(exc.smtp_error), host, "connect"))
            except (OSError, smtplib.SMTPException, dns.DNSTimeout, UnicodeError) as exc:  # the next host may do
                errors.append(Reply(None, f"{host}: {exc.__class__.__name__}: {exc}", host))
        if self.client is None:
            self.failure = min(errors, key=lambda r: r.code or 999) if errors else Reply(None, "no host to try")

    @staticmethod
    def _open(route_: Route, host: str, port: int, helo: str, timeout: float) -> smtplib.SMTP:
        context = _tls_context(route_.verify_tls)
        kind = smtplib.SMTP_SSL if route_.implicit_tls else smtplib.SMTP
        options = dict(local_hostname=helo, timeout=timeout, **({"context": context} if route_.implicit_tls else {}))
        failure: OSError | None = None
        for address in _addresses(host) if route_.resolve else [host]:
            try:
                client = kind(address, port, **options)
                break
            except OSError as exc:
                failure = exc
        else:
            raise failure or OSError(f"{host}: no address")
        client.ehlo()
        if not route_.implicit_tls and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if route_.username:
            client.login(route_.username, route_.password)
        return client

    def send(self, mail_from: str, recipients: list[str], data: bytes) -> dict[str, Reply]:
        """One transaction; every recipient gets the reply that decided its fate. A receiver
        that offers PIPELINING gets MAIL, the RCPTs and DATA in one write (`_pipelined`)."""
        replies: dict[str, Reply] = {}
        try:
            if self.client.has_extn("pipelining"):
                return self._pipelined(mail_from, recipients, data, replies)
            code, text = self.client.mail(mail_from)
            if code >= 300:
                self.client.rset()
                return {r: Reply(code, _text(text), self.host, "mail") for r in recipients}
            for rcpt in recipients:
                code, text = self.client.rcpt(rcpt)
                replies[rcpt] = Reply(code, _text(text), self.host, "rcpt")
            accepted = [r for r in recipients if replies[r].code < 300]
            if not accepted:
                self.client.rset()
                return replies
            try:
                code, text = self.client.data(data)
            except smtplib.SMTPDataError as exc:  # DATA itself refused: the transaction is still open
                code, text = exc.smtp_code, exc.smtp_error
                self.client.rset()
            for rcpt in accepted:
                replies[rcpt] = Reply(code, _text(text), self.host, "data")
            return replies
        except (OSError, smtplib.SMTPException) as exc:
            self.client = None
            lost = Reply(None, f"{self.host}: connection lost: {exc.__class__.__name__}: {exc}".strip(), self.host)
            return {r: replies[r] if r in replies and replies[r].code >= 400 else lost for r in recipients}

    def _pipelined(self, mail_from: str, recipients: list[str], data: bytes,
                   replies: dict[str, Reply]) -> dict[str, Reply]:
        """RFC 2920: MAIL, every RCPT and DATA sent at once and their replies read in order, so
        a transaction takes two round trips instead of three or more (at a receiver across the
        internet the round trips are most of its time; Postfix pipelines too). `replies` fills
        as they are read, for the caller to tell who was answered when the connection is lost."""
        client = self.client
        client.send("".join(f"{command}\r\n" for command in (
            f"MAIL FROM:{smtplib.quoteaddr(mail_from)}", *(f"RCPT TO:{smtplib.quoteaddr(r)}" for r in recipients),
            "DATA")))
        mail_code, mail_text = client.getreply()
        for rcpt in recipients:
            code, text = client.getreply()
            replies[rcpt] = Reply(code, _text(text), self.host, "rcpt")
        if mail_code >= 300:
            replies.update((r, Reply(mail_code, _text(mail_text), self.host, "mail")) for r in recipients)
        accepted = [r for r in recipients if replies[r].code < 300]
        code, text = client.getreply()
        if code != 354:  # refused (no valid recipient, or the receiver's own reason): nothing was sent
            replies.update((r, Reply(code, _text(text), self.host, "data")) for r in accepted)
            client.rset()
            return replies
        if not accepted:  # DATA taken though nothing before it was: end an empty message (RFC 2920, 3.1)
            client.send(b".\r\n")
            client.getreply()
            return replies
        client.send(_data_block(data))
        code, text = client.getreply()
        replies.update((r, Reply(code, _text(text), self.host, "data")) for r in accepted)
        return replies

    @property
    def open(self) -> bool:
        return self.client is not None

    def alive(self, timeout: float = 5.0) -> bool:
        """Whether the session still answers a RSET (a receiver may have closed it while idle);
        a short wait, so a receiver gone silent costs little."""
        if self.client is None:
            return False
        try:
            self.client.sock.settimeout(timeout)
            alive = self.client.rset()[0] == 250
            self.client.sock.settimeout(config.current().smtp_timeout)
        except (OSError, smtplib.SMTPException):
            return False
        return alive

    def close(self, timeout: float | None = None) -> None:
        """QUIT, within `timeout` seconds when given (else the session's own timeout)."""
        if self.client is not None:
            try:
                if timeout is not None and self.client.sock is not None:
                    self.client.sock.settimeout(timeout)
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None


def _data_block(data: bytes) -> bytes:
    """What follows a 354, as smtplib.SMTP.data sends bytes: a dot opening a line doubled, a
    last line ended, the closing dot."""
    block = re.sub(rb"(?m)^\.", b"..", data)
    return block + (b"" if block.endswith(b"\r\n") else b"\r\n") + b".\r\n"


@functools.lru_cache(maxsize=2)
def _tls_context(verify: bool) -> ssl.SSLContext:
    """One client context per kind, shared by every connection: making one loads the system's CA
    store, which took longer than delivering a batch of messages."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def _addresses(host: str) -> list[str]:
    """A host name's addresses through the one resolver (literal IPs pass as they are)."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return [host]
    except OSError:
        pass
    found = dns.addresses(host)
    if not found:
        raise OSError(f"{host} has no address")
    return found


def _text(raw) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).replace("\n", " ").strip()


def elapsed_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
