"""A campaign to a large list, run by one real `gatepost worker` into a loopback sink: time from
launch to the first delivery, the rate at which the runner queues contacts against the rate the
same worker delivers them (the baseline: the runner should keep ahead of it), the worker's RSS
early and late (flat: no growth with the campaign), and the time from pause to silence (no more
queued at once; the sink silent once the queue drains).

Usage: .venv/bin/python bench/bench_campaign.py [contacts] [seconds]  (defaults 100000 and 60:
the campaign runs that long, then is paused; the list is imported from a generated CSV file)."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from harness import environment, install, save, start

from models import Campaign, Delivery  # noqa: E402
from models.db import database  # noqa: E402
from services import campaigns, contacts  # noqa: E402
from tests.dns_server import LoopbackDNS  # noqa: E402
from tests.smtp_sink import SMTPSink  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def counts(campaign_id: int) -> tuple[int, int]:
    with database.connection_context():
        queued = Campaign.get_by_id(campaign_id).queued
        delivered = Delivery.select().where(Delivery.status == "delivered").count()
    return queued, delivered


def main(size: int, seconds: float) -> None:
    dns, sink = LoopbackDNS(), SMTPSink().start()
    dns.zone.add("example.net", "MX", (10, "mx.example.net")).add("mx.example.net", "A", "127.0.0.1")
    env = environment(GATEPOST_DNS_SERVERS=dns.address, GATEPOST_MX_PORT=str(sink.port))
    domain, _ = install(env)
    csv_file = Path(tempfile.mkdtemp()) / "list.csv"
    with csv_file.open("w") as out:
        out.write("email,name,plan\n")
        for i in range(size):
            out.write(f"c{i}@example.net,Contact {i},{'pro' if i % 3 else 'free'}\n")
    with database.connection_context():
        news = contacts.create_list(domain.user, "Bench")
        started = time.perf_counter()
        contacts.import_csv(domain.user, news.id, csv_file)
        import_seconds = time.perf_counter() - started
        campaign = campaigns.create(domain.user, name="Bench", list_id=news.id, from_email="news@example.com",
                                    subject="Hello {{ name }}", html="<p>Dear {{ name }}, your {{ plan }} plan.</p>"
                                    "<p><a href='https://shop.example/offer'>See the offer</a></p>")
    worker = start([sys.executable, "-c", "import cli; cli.main()", "worker"], env)
    try:
        time.sleep(3)  # the worker is up and idle: launch-to-first-delivery measures the runner, not the import
        with database.connection_context():
            campaigns.launch(campaign)
        launched = time.perf_counter()
        while not sink.received:
            time.sleep(0.01)
        first = time.perf_counter() - launched
        time.sleep(max(seconds / 10 - first, 0))
        early_rss, (early_queued, early_delivered), early_at = rss_kib(worker.pid), counts(campaign.id), time.perf_counter()
        while time.perf_counter() - launched < seconds:
            time.sleep(0.5)
            sink.received.clear()
        late_rss, (queued, delivered), late_at = rss_kib(worker.pid), counts(campaign.id), time.perf_counter()
        with database.connection_context():
            campaigns.pause(campaigns.get(campaign.id, None))
        paused = time.perf_counter()
        last, stopped = queued, paused
        while time.perf_counter() - paused < 10:  # queued stops growing within one batch of the pause
            now_queued, _ = counts(campaign.id)
            if now_queued != last:
                last, stopped = now_queued, time.perf_counter()
            time.sleep(0.05)
        sink.received.clear()
        silent = time.perf_counter()
        while time.perf_counter() - silent < 2:  # the sink is silent once what was queued is delivered
            if sink.received:
                sink.received.clear()
                silent = time.perf_counter()
            time.sleep(0.05)
        quiet = silent - paused
    finally:
        worker.terminate()
        worker.wait(10)
        sink.stop()
        dns.stop()
    span = late_at - launched
    save("campaign", {
        "database": env["GATEPOST_DATABASE_URL"].split(":")[0], "contacts": size,
        "import_seconds": round(import_seconds, 1), "launch_to_first_delivery_s": round(first, 2),
        "run_seconds": round(span, 1), "queued": queued, "delivered": delivered,
        "queue_rate_per_s": round(queued / span, 1), "delivery_rate_per_s": round(delivered / span, 1),
        "ratio_queue_to_delivery_rate": round(queued / max(delivered, 1), 2),
        "worker_rss_kib_early": early_rss, "worker_rss_kib_late": late_rss,
        "ratio_rss_late_to_early": round(late_rss / early_rss, 3),
        "queued_early": early_queued, "delivered_early": early_delivered, "early_at_s": round(early_at - launched, 1),
        "pause_to_last_queued_s": round(stopped - paused, 2), "pause_to_silent_sink_s": round(quiet, 2)})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, float(sys.argv[2]) if len(sys.argv) > 2 else 60)
