"""End-to-end delivery throughput: messages queued through the core, then delivered by 1 and N
`gatepost worker` processes (MX lookup on a loopback DNS server, DKIM signing, one connection
per batch, a transaction per message) to a loopback SMTP sink; messages per second.
Baseline, same run: the same messages pushed by plain smtplib over one connection (no queue,
no DKIM, no database).

Usage: .venv/bin/python bench/bench_delivery.py [messages] [workers]
(GATEPOST_BENCH_DATABASE_URL=postgresql://... to run on PostgreSQL)."""
from __future__ import annotations

import smtplib
import sys
import time

from harness import environment, install, save, start

from models import Delivery  # noqa: E402
from models.db import database  # noqa: E402
from services import sending  # noqa: E402
from services.compose import Address  # noqa: E402
from tests.dns_server import LoopbackDNS  # noqa: E402
from tests.smtp_sink import SMTPSink  # noqa: E402

TEXT = "Your order has shipped. " * 40


def queue(domain, count: int, offset: int) -> None:
    with database.connection_context():
        for i in range(count):
            sending.accept(domain, sending.Outgoing(Address("shop@example.com", "Shop"),
                                                    to=(Address(f"rcpt{offset + i}@example.net"),),
                                                    subject=f"Order {i} shipped", text=TEXT))


def delivered() -> int:
    with database.connection_context():
        return Delivery.select().where(Delivery.status == "delivered").count()


def gatepost_rate(env, domain, sink, count: int, workers: int, offset: int) -> float:
    """Timed from the first delivery seen to the last, so process start-up is left out."""
    queue(domain, count, offset)
    before = delivered()
    target = before + count
    processes = [start([sys.executable, "-c", "import cli; cli.main()", "worker"], env) for _ in range(workers)]
    try:
        while (first := delivered()) == before:
            time.sleep(0.01)
        started = time.monotonic()
        while delivered() < target:
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        for p in processes:
            p.terminate()
            p.wait(10)
    return (target - first) / elapsed


def raw_rate(sink, count: int) -> float:
    message = (f"From: shop@example.com\r\nTo: raw@example.net\r\nSubject: raw\r\n\r\n{TEXT}\r\n").encode()
    started = time.monotonic()
    with smtplib.SMTP(sink.host, sink.port) as client:
        for i in range(count):
            client.sendmail("bounces@example.com", [f"raw{i}@example.net"], message)
    return count / (time.monotonic() - started)


def main(count: int, workers: int) -> None:
    dns, sink = LoopbackDNS(), SMTPSink().start()
    dns.zone.add("example.net", "MX", (10, "mx.example.net")).add("mx.example.net", "A", "127.0.0.1")
    env = environment(GATEPOST_DNS_SERVERS=dns.address, GATEPOST_MX_PORT=str(sink.port))
    domain, _ = install(env)
    try:
        raw = raw_rate(sink, count)
        one = gatepost_rate(env, domain, sink, count, 1, 0)
        many = gatepost_rate(env, domain, sink, count, workers, count)
    finally:
        sink.stop()
        dns.stop()
    save("delivery", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "messages": count,
                      "raw_smtplib_msgs_per_s": round(raw, 1), "gatepost_1_worker_msgs_per_s": round(one, 1),
                      f"gatepost_{workers}_workers_msgs_per_s": round(many, 1),
                      "ratio_1_worker_to_raw": round(one / raw, 3), f"ratio_{workers}_workers_to_raw": round(many / raw, 3)})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500, int(sys.argv[2]) if len(sys.argv) > 2 else 2)
