"""A real SMTP server on loopback (aiosmtpd) for the delivery worker to talk to.

What it answers is scripted by the recipient's local part (case-insensitive, any domain):
  defer421  first RCPT for the address: "421 4.7.0 Try again later" and the connection is closed;
            afterwards accepted
  greylist  first RCPT for the address: "451 4.7.1 Greylisted, try again in 5 seconds"; afterwards accepted
  tempfail  always "451 4.3.0 Temporary failure"
  bounce, bounce550  always "550 5.1.1 User unknown"
  mailboxfull  always "552 5.2.2 Mailbox full" (permanent, but the address lives)
  blocklisted  always "554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org"
  drop      the TCP connection is closed at RCPT without an answer
  slow      accepted, but DATA is answered only after `slow_seconds`
  refusedata  accepted, but the DATA command is then refused: "451 4.3.0 Not now" (the transaction
            stays open until RSET, as a real server's does)
  anything else  accepted
It offers PIPELINING (RFC 2920) as real receivers do, unless `pipelining` is False.
`reply_delay` (seconds, 0 by default) holds back every answer to MAIL, RCPT and the end of DATA,
as a receiver across the internet answers a round trip later (sessions still run side by side);
a RCPT pipelined behind MAIL (more commands already waiting) is answered in MAIL's round trip;
`pipelined_rcpts` counts those.
`max_sessions` (0: any number) greets a connection beyond that many open sessions with "421 Too
many connections" and closes it, as receivers that limit a client's connections do (after
`refusal_delay` seconds: some make the client wait); `refused` counts them, `most_in_data` the
most sessions that were in DATA at once.
Answers are given at RCPT so one transaction can mix outcomes; DATA records the message with the
accepted recipients only. Every RCPT/DATA outcome lands in `attempts`, in order."""
from __future__ import annotations

import asyncio
import ssl
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from smtp.certificates import self_signed

ACCEPT_RCPT = "250 2.1.5 OK"
ACCEPT_DATA = "250 2.0.0 OK: queued"
DROPPED = "(dropped)"  # the `attempts` entry for `drop`: there is no reply to record
_FIXED = {"tempfail": "451 4.3.0 Temporary failure",
          "bounce": "550 5.1.1 User unknown", "bounce550": "550 5.1.1 User unknown",
          "mailboxfull": "552 5.2.2 Mailbox full",
          "blocklisted": "554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org"}
_FIRST_TIME = {"defer421": "421 4.7.0 Try again later",
               "greylist": "451 4.7.1 Greylisted, try again in 5 seconds"}


@dataclass
class Received:
    mail_from: str       # "<>" for the null sender (that is how aiosmtpd reports it)
    rcpt_tos: list[str]
    data: bytes          # as on the wire: CRLF line endings, dot-stuffing removed
    peer: tuple
    tls: bool            # whether the session had done STARTTLS


def _local_part(address: str) -> str:
    return address.rpartition("@")[0].lower()


class _Handler:
    """aiosmtpd hooks; kept off SMTPSink because aiosmtpd treats a handler's `auth_*` members as
    AUTH mechanisms and its `handle_*` members as hooks."""

    def __init__(self, sink: "SMTPSink"):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # a 5-argument EHLO hook must set this itself
        if self.sink.require_auth is None:  # aiosmtpd would still offer AUTH after STARTTLS
            responses = [line for line in responses if not line[4:].upper().startswith("AUTH")]
        if self.sink.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # Enforced here rather than with aiosmtpd's auth_required=True, which warns on every
        # connection when TLS is not required too.
        if self.sink.require_auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        await self.sink.far()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sink, local = self.sink, _local_part(address)
        if server._reader._buffer:  # (asyncio's StreamReader) more commands came in the same write
            with sink._lock:
                sink.pipelined_rcpts += 1
        else:
            await sink.far()
        if local == "drop":
            sink._attempt(envelope.mail_from, address, DROPPED)
            server.transport.abort()
            raise asyncio.CancelledError  # ends aiosmtpd's session task (as QUIT does), so no reply follows
        reply = _FIXED.get(local) or (local in _FIRST_TIME and sink._first_time(address)
                                      and _FIRST_TIME[local]) or ACCEPT_RCPT
        sink._attempt(envelope.mail_from, address, reply)
        if reply.startswith("421"):  # 421 means the server closes the connection after answering
            await server.push(reply)
            server.transport.close()
            raise asyncio.CancelledError
        if reply == ACCEPT_RCPT:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply

    async def handle_DATA(self, server, session, envelope):
        with self.sink._lock:
            self.sink._in_data += 1
            self.sink.most_in_data = max(self.sink.most_in_data, self.sink._in_data)
        try:
            await self.sink.far()
            if any(_local_part(rcpt) == "slow" for rcpt in envelope.rcpt_tos):
                await asyncio.sleep(self.sink.slow_seconds)
        finally:
            with self.sink._lock:
                self.sink._in_data -= 1
        # Recorded only once the answer is due: a client that hangs up while waiting got nothing.
        message = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content),
                           tuple(session.peer), session.ssl is not None)
        with self.sink._lock:
            self.sink.received.append(message)
            self.sink.attempts.extend((envelope.mail_from, rcpt, ACCEPT_DATA) for rcpt in envelope.rcpt_tos)
        return ACCEPT_DATA


class _TooMany(asyncio.Protocol):
    def __init__(self, delay: float):
        self.delay = delay

    def connection_made(self, transport):
        asyncio.get_running_loop().call_later(self.delay, self._refuse, transport)

    @staticmethod
    def _refuse(transport):
        transport.write(b"421 4.7.0 Too many connections, try again later\r\n")
        transport.close()


class _Controller(Controller):
    def __init__(self, sink: "SMTPSink", **kwargs):
        super().__init__(_Handler(sink), **kwargs)
        self.sink = sink

    def factory(self):
        """Called once per accepted TCP connection (not again on STARTTLS), so it counts them."""
        sink = self.sink
        with sink._lock:
            sink.connections += 1
            if sink.max_sessions and sink.sessions >= sink.max_sessions:
                sink.refused += 1
                return _TooMany(sink.refusal_delay)
            sink.sessions += 1
        server = super().factory()
        lost = server.connection_lost
        data = server._smtp_methods["DATA"]  # (aiosmtpd's own command table: it has no hook before 354)

        async def refuse_data(arg):
            if any(_local_part(rcpt) == "refusedata" for rcpt in server.envelope.rcpt_tos):
                return await server.push("451 4.3.0 Not now")
            return await data(arg)
        server._smtp_methods["DATA"] = refuse_data

        def connection_lost(exc):
            with sink._lock:
                sink.sessions -= 1
            return lost(exc)
        server.connection_lost = connection_lost
        return server

    def _trigger_server(self):
        # aiosmtpd 1.4.6 binds port 0 fine but keeps self.port == 0 and then probes port 0 to
        # check the server answers: read the real port first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPSink:
    """The receiving MTA for tests; `start()` returns once it answers on 127.0.0.1:`port`."""

    def __init__(self, *, tls_cert: tuple[str, str] | None = None, require_auth: tuple[str, str] | None = None,
                 idle_timeout: float = 300):
        self.host = "127.0.0.1"
        self.idle_timeout = idle_timeout  # seconds a silent session is kept (aiosmtpd's timeout, 421 after)
        self.port = 0
        self.tls_cert = tls_cert
        self.require_auth = require_auth
        self.slow_seconds = 3.0
        self.pipelining = True
        self.pipelined_rcpts = 0
        self.reply_delay = 0.0
        self.max_sessions = 0
        self.refusal_delay = 0.0
        self.sessions = 0  # open now
        self.refused = 0
        self.most_in_data = 0
        self._in_data = 0
        self.received: list[Received] = []
        self.attempts: list[tuple[str, str, str]] = []
        self.connections = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()  # the hooks run on the controller's loop thread
        self._controller: _Controller | None = None

    def start(self) -> "SMTPSink":
        kwargs = {"timeout": self.idle_timeout}
        if self.tls_cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.tls_cert)
            kwargs.update(tls_context=context, require_starttls=False)
        if self.require_auth:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = _Controller(self, hostname=self.host, port=0, server_hostname="localhost", **kwargs)
        self._controller.start()
        self.port = self._controller.port
        self.reset()  # start() itself connected once to see the banner
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.attempts.clear()
            self.connections = 0
            self._seen.clear()
            self.reply_delay, self.max_sessions, self.refused, self.most_in_data = 0.0, 0, 0, 0
            self.pipelining, self.pipelined_rcpts = True, 0
            self.refusal_delay = 0.0

    def messages_for(self, rcpt: str) -> list[Received]:
        with self._lock:
            return [m for m in self.received if rcpt.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Poll: the worker delivers from its own thread or process."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
                got, attempts = len(self.received), list(self.attempts)
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} message(s) within {timeout}s, got {got}; attempts: {attempts}")
            time.sleep(0.02)

    async def far(self) -> None:
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)

    def _attempt(self, mail_from: str, rcpt: str, reply: str) -> None:
        with self._lock:
            self.attempts.append((mail_from, rcpt, reply))

    def _first_time(self, address: str) -> bool:
        with self._lock:
            first = address.lower() not in self._seen
            self._seen.add(address.lower())
            return first

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        user, password = self.require_auth
        ok = (auth_data.login, auth_data.password) == (user.encode(), password.encode())
        return AuthResult(success=ok, handled=False)


def make_test_certificate(directory) -> tuple[str, str]:
    """A self-signed certificate for localhost/127.0.0.1, so a client can verify STARTTLS against it."""
    return self_signed(directory, "localhost", prefix="smtp-sink")

