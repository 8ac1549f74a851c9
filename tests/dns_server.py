"""A real DNS server on loopback (dnslib), answering from a zone the test writes.

It behaves like the recursive resolver Gatepost talks to: a query for a name that has a CNAME
gets the CNAME and the target's records. `Blackhole` is a server that never answers."""
from __future__ import annotations

import socket
import threading

from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

def _txt(value: str | list[str]) -> TXT:
    """A list is published as those character-strings; a long string is split into 255-byte
    strings, as DNS hosting panels do with 2048-bit DKIM keys."""
    return TXT(value if isinstance(value, list) else [value[i:i + 255] for i in range(0, len(value), 255)])


_RDATA = {"A": A, "AAAA": AAAA, "CNAME": CNAME, "TXT": _txt, "MX": lambda v: MX(v[1], v[0])}


class Zone(BaseResolver):
    def __init__(self):
        self.records: dict[tuple[str, str], list] = {}

    def add(self, name: str, rtype: str, *values) -> "Zone":
        """add("a.example", "TXT", "text" | ["split", "strings"]); MX values are (preference, host)."""
        self.records.setdefault((name.lower().rstrip("."), rtype), []).extend(_RDATA[rtype](v) for v in values)
        return self

    def remove(self, name: str, rtype: str | None = None) -> None:
        for key in [k for k in self.records if k[0] == name.lower().rstrip(".") and rtype in (None, k[1])]:
            del self.records[key]

    def clear(self) -> None:
        self.records.clear()

    def resolve(self, request, handler):
        reply = request.reply()
        name, qtype = str(request.q.qname).rstrip(".").lower(), QTYPE[request.q.qtype]
        for _ in range(8):
            cname = self.records.get((name, "CNAME"))
            if not cname or qtype == "CNAME":
                break
            reply.add_answer(RR(name, QTYPE.CNAME, rdata=cname[0], ttl=60))
            name = str(cname[0].label).rstrip(".").lower()
        for rdata in self.records.get((name, qtype), []):
            reply.add_answer(RR(name, getattr(QTYPE, qtype), rdata=rdata, ttl=60))
        if not reply.rr and not any(key[0] == name for key in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class LoopbackDNS:
    def __init__(self):
        self.zone = Zone()
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=DNSLogger("-request,-reply,-truncated"))
        self.server.start_thread()
        self.address = f"127.0.0.1:{self.server.server.server_address[1]}"

    def stop(self) -> None:
        self.server.stop()


class Blackhole:
    """A UDP port that swallows queries: lookups through it time out. `asked` holds the
    (name, type) of every query it received, so a test can tell which lookups were made."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.asked: set[tuple[str, str]] = set()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._swallow, daemon=True)
        self.thread.start()

    def _swallow(self) -> None:
        while not self.stopped.is_set():
            try:
                packet, _ = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            question = DNSRecord.parse(packet).q
            self.asked.add((str(question.qname).rstrip(".").lower(), QTYPE[question.qtype]))

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()
