"""Worker memory: the resident size of one `gatepost worker` process after its first 1,000
deliveries (the baseline) and after all of them; the ratio shows whether it grows with work.

Usage: .venv/bin/python bench/bench_memory.py [deliveries]  (default 20000; the issue's 100000 takes
about ten minutes here)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from harness import environment, install, save, start

from models import Delivery  # noqa: E402
from models.db import database  # noqa: E402
from services import sending  # noqa: E402
from services.compose import Address  # noqa: E402
from tests.dns_server import LoopbackDNS  # noqa: E402
from tests.smtp_sink import SMTPSink  # noqa: E402

WARM = 1000


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def delivered() -> int:
    with database.connection_context():
        return Delivery.select().where(Delivery.status == "delivered").count()


def main(count: int) -> None:
    dns, sink = LoopbackDNS(), SMTPSink().start()
    dns.zone.add("example.net", "MX", (10, "mx.example.net")).add("mx.example.net", "A", "127.0.0.1")
    env = environment(GATEPOST_DNS_SERVERS=dns.address, GATEPOST_MX_PORT=str(sink.port))
    domain, _ = install(env)
    with database.connection_context():
        for i in range(count):
            sending.accept(domain, sending.Outgoing(Address("shop@example.com"), to=(Address(f"r{i}@example.net"),),
                                                    subject=f"Order {i}", html=f"<p>Order <a href='https://shop.example/{i}'>{i}</a></p>"))
    worker = start([sys.executable, "-c", "import cli; cli.main()", "worker"], env)
    try:
        while delivered() < min(WARM, count):
            time.sleep(0.2)
            sink.received.clear()  # the sink keeps nothing: only the worker is measured
        warm = rss_kib(worker.pid)
        while delivered() < count:
            time.sleep(0.5)
            sink.received.clear()
        final = rss_kib(worker.pid)
    finally:
        worker.terminate()
        worker.wait(10)
        sink.stop()
        dns.stop()
    save("memory", {"database": env["GATEPOST_DATABASE_URL"].split(":")[0], "deliveries": count,
                    "worker_rss_kib_after_1000": warm, f"worker_rss_kib_after_{count}": final,
                    "ratio_final_to_warm": round(final / warm, 3)})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
