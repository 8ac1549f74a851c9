"""End-to-end delivery throughput, side by side with Postfix; messages per second.

Headline, Gatepost: messages accepted through the HTTP API (POST /api/v1/email on gunicorn,
gunicorn.conf.py with 2 workers x 4 threads, as the API benchmark) and delivered by 1 and N
`gatepost worker` processes (MX lookup on a loopback DNS server, DKIM signing, outcomes recorded
as they come back, each worker with up to 10 connections per destination) to a loopback SMTP sink
(tests/smtp_sink.py), timed from the first request sent until the sink has received every message.
Headline, Postfix: the same messages (composed by Gatepost's own composer) submitted over SMTP on
loopback to a private Postfix instance (Debian package; its own config and queue in a temp dir,
see postfix_instance.py) that relays them to the same sink, timed the same way. The ratio
Gatepost / Postfix is the headline figure. Postfix does not DKIM-sign here (no milter), which
favours Postfix. Postfix is installed with apt-get when it is missing; when it cannot be, its
part is skipped and the results say "postfix": "unavailable".

The two sides take turns, ROUNDS times (--rounds, default 3), on the same Postfix instance, gunicorn
and sink: each figure is the median of the rounds and each ratio the median of the rounds' ratios,
as this box's speed wanders (Postfix alone ranged 168-426 msg/s within one hour); each submission's
latency (p50/p90/p99) is printed beside it. The sink offers PIPELINING, as real receivers do,
so both sides pipeline. `--reply-delay MS` makes the sink hold back each answer to MAIL, RCPT
(unless pipelined behind MAIL) and DATA (a receiver across the internet), for both sides alike.

Also measured, same run: plain smtplib straight into the sink over one connection (no queue, no
DKIM, no database), and the workers alone (messages queued through the core beforehand, timed
from the first delivery to the last, so neither the API nor process start-up is included).

Usage: .venv/bin/python bench/bench_delivery.py [messages=1000] [workers=2] [--clients C]
       [--postfix-concurrency L] [--no-postfix] [--rounds R] [--reply-delay MS]
(GATEPOST_BENCH_DATABASE_URL=postgresql://... to run on PostgreSQL). Results go to
bench/results/delivery.json (SQLite) or delivery_<database>.json."""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import smtplib
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from harness import environment, install, save, start

import config  # noqa: E402
import postfix_instance  # noqa: E402
from clock import now  # noqa: E402
from models import Delivery  # noqa: E402
from models.db import database  # noqa: E402
from services import delivery, sending  # noqa: E402
from services.compose import Address, Draft, compose  # noqa: E402
from tests.dns_server import LoopbackDNS  # noqa: E402
from tests.smtp_sink import SMTPSink  # noqa: E402

TEXT = "Your order has shipped. " * 40
SENDER = Address("shop@example.com", "Shop")
WARM_UP = 5


def rcpt(i: int) -> str:
    return f"rcpt{i}@example.net"


# -- feeding -------------------------------------------------------------------------------------

def api_bodies(first: int, count: int) -> list[bytes]:
    """JSON request bodies, encoded beforehand as the SMTP side's messages are composed beforehand."""
    return [json.dumps({"From": {"name": SENDER.name, "email": SENDER.email}, "To": [{"name": "", "email": rcpt(i)}],
                        "Subject": f"Order {i} shipped", "ContentType": "plain", "PlainContent": TEXT}).encode()
            for i in range(first, first + count)]


def smtp_messages(first: int, count: int) -> list[tuple[str, bytes]]:
    """What Gatepost's composer makes of the same request (before DKIM signing)."""
    return [(rcpt(i), compose(Draft(SENDER, (Address(rcpt(i)),), subject=f"Order {i} shipped", text=TEXT,
                                    message_id=f"<bench-{i}@example.com>"), now()))
            for i in range(first, first + count)]


def in_threads(items: list, clients: int, send_one, connect) -> tuple[float, list[float]]:
    """send_one(connection, item) for each item, in `clients` threads each with its connect()ion,
    items dealt round-robin; re-raises the first error. Returns the CPU seconds the threads spent
    (the feeding client's own cost, which shares this process with the sink) and each item's
    latency in seconds (until the server answered it)."""
    errors: list[BaseException] = []
    cpu: list[float] = []
    latencies: list[float] = []

    def run(share):
        start = time.thread_time()
        try:
            with contextlib.closing(connect()) as connection:
                for item in share:
                    sent = time.perf_counter()
                    send_one(connection, item)
                    latencies.append(time.perf_counter() - sent)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)
        cpu.append(time.thread_time() - start)

    threads = [threading.Thread(target=run, args=(items[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(cpu), latencies


def smtp_feed(host: str, port: int, messages: list[tuple[str, bytes]], clients: int) -> tuple[float, list[float]]:
    def send_one(client, message):
        client.sendmail("bounces@example.com", [message[0]], message[1])
    return in_threads(messages, clients, send_one, lambda: smtplib.SMTP(host, port))


def api_feed(url: str, key: str, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """HTTP/1.1 keep-alive POSTs from the standard library's client: a client as lean as smtplib on the
    SMTP side (requests spends about four times its CPU a call, in the process that also runs the sink)."""
    where = urlsplit(url)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def send_one(client, body):
        client.request("POST", where.path, body, headers)
        response = client.getresponse()
        text = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {url}: {response.status} {text[:300]!r}")
    return in_threads(bodies, clients, send_one, lambda: http.client.HTTPConnection(where.hostname, where.port, timeout=30))


# -- timing ----------------------------------------------------------------------------------------

def received(sink: SMTPSink) -> int:
    with sink._lock:
        return len(sink.received)


def end_to_end(sink: SMTPSink, count: int, feed) -> dict:
    """Run feed() in a thread; timed from its start until the sink holds `count` more messages."""
    before, target = received(sink), received(sink) + count
    fed: list[float] = []
    client: list[tuple[float, list[float]]] = []
    errors: list[BaseException] = []

    def run():
        try:
            client.append(feed())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        fed.append(time.monotonic())

    timeout = max(120.0, count * 0.25)
    thread = threading.Thread(target=run)
    started = time.monotonic()
    thread.start()
    first = None
    while True:
        got, moment = received(sink), time.monotonic()
        if first is None and got > before:
            first = moment
        if got >= target:
            break
        if errors:
            thread.join()
            raise errors[0]
        if moment - started > timeout:
            raise RuntimeError(f"only {got - before} of {count} messages reached the sink in {timeout:.0f} s")
        time.sleep(0.005)
    thread.join()
    if errors:
        raise errors[0]
    elapsed = moment - started
    cpu, latencies = client[0]
    latencies.sort()
    return {"msgs_per_s": count / elapsed, "seconds": elapsed, "first_delivery_s": first - started,
            "submit_msgs_per_s": count / (fed[0] - started), "client_cpu_ms_per_msg": 1000 * cpu / count,
            "submit_latency_ms": {"mean": 1000 * sum(latencies) / count,
                                  **{f"p{q}": 1000 * latencies[count * q // 100] for q in (50, 90, 99)}}}


def wait_for(sink: SMTPSink, target: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while received(sink) < target:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the sink has {received(sink)} messages, expected {target}")
        time.sleep(0.01)


def mean_size(messages) -> int:
    return round(sum(len(m.data) for m in messages) / max(1, len(messages)))


def raw_rate(sink: SMTPSink, count: int) -> float:
    message = (f"From: shop@example.com\r\nTo: raw@example.net\r\nSubject: raw\r\n\r\n{TEXT}\r\n").encode()
    started = time.monotonic()
    with smtplib.SMTP(sink.host, sink.port) as client:
        for i in range(count):
            client.sendmail("bounces@example.com", [f"raw{i}@example.net"], message)
    return count / (time.monotonic() - started)


# -- Postfix ---------------------------------------------------------------------------------------

def open_postfix(stack: contextlib.ExitStack, sink: SMTPSink, concurrency: int):
    """A private Postfix relaying to the sink, kept open on `stack` for every round; or why not (str)."""
    why = postfix_instance.ensure_installed()
    if why:
        return why
    try:
        postfix = stack.enter_context(postfix_instance.PrivatePostfix(sink.port, concurrency=concurrency))
    except (RuntimeError, OSError) as exc:
        return f"the private postfix instance failed: {exc}"
    print(f"bench: private postfix {postfix_instance.version()} on {postfix.host}:{postfix.port} "
          f"(config {postfix.config_dir}), relaying to the sink on port {sink.port}", flush=True)
    return postfix


def postfix_setup(postfix) -> dict:
    return {"version": postfix_instance.version(),
            "instance": "private: postfix -c <tmp>/etc start; own queue_directory and data_directory "
                        "in the temp dir; stopped and removed after the run",
            "smtpd": f"{postfix.host}:<free port> (master.cf), no chroot",
            **{k: postfix.settings[k] for k in ("mydestination", "local_transport", "mynetworks",
                                                "smtp_tls_security_level", "smtp_dns_support_level",
                                                "default_destination_concurrency_limit")},
            "relayhost": "[127.0.0.1]:<sink port>",
            "dkim": "not signed: no milter (favours Postfix)"}


def postfix_rate(postfix, sink: SMTPSink, count: int, clients: int, first: int) -> dict:
    warm = received(sink) + WARM_UP
    smtp_feed(postfix.host, postfix.port, smtp_messages(first, WARM_UP), 1)
    wait_for(sink, warm)
    messages = smtp_messages(first + WARM_UP, count)
    figures = end_to_end(sink, count, lambda: smtp_feed(postfix.host, postfix.port, messages, clients))
    delivered = sink.received[-count:]
    figures["mean_message_bytes_at_sink"] = mean_size(delivered)
    figures["dkim_signed"] = any(b"DKIM-Signature:" in m.data for m in delivered)
    return figures


# -- Gatepost --------------------------------------------------------------------------------------

def queue(domain, count: int, offset: int) -> None:
    with database.connection_context():
        for i in range(count):
            sending.accept(domain, sending.Outgoing(SENDER, to=(Address(rcpt(offset + i)),),
                                                    subject=f"Order {i} shipped", text=TEXT))


def delivered() -> int:
    with database.connection_context():
        return Delivery.select().where(Delivery.status == "delivered").count()


def worker_processes(env, count: int) -> list:
    return [start([sys.executable, "-c", "import cli; cli.main()", "worker"], env) for _ in range(count)]


def stop_all(processes) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(10)
        except Exception:  # noqa: BLE001 - a worker that does not stop is killed
            p.kill()
            p.wait(5)


def cpu_seconds(process) -> float:
    """User + system CPU a running process has used (Linux /proc): unlike a rate, hardly moved by
    other load on the machine."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_only_rate(env, domain, count: int, workers: int, offset: int) -> tuple[float, float]:
    """Queued through the core first; timed from the first delivery seen to the last, so process
    start-up and the API are left out. Returns (messages per second, the workers' CPU ms per
    message over the same span)."""
    queue(domain, count, offset)
    before = delivered()
    target = before + count
    processes = worker_processes(env, workers)
    try:
        while (first := delivered()) == before:
            time.sleep(0.01)
        started, cpu = time.monotonic(), -sum(cpu_seconds(p) for p in processes)
        while delivered() < target:
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        cpu += sum(cpu_seconds(p) for p in processes)
    finally:
        stop_all(processes)
    return (target - first) / elapsed, 1000 * cpu / (target - first)


def start_gunicorn(env, port: int):
    """gunicorn.conf.py, 2 workers x 4 threads, as the API benchmark; readiness polled here with a
    generous deadline (the first answer can be slow on a busy 2-core machine)."""
    server = start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "--threads", "4",
                    "-b", f"127.0.0.1:{port}", "wsgi:app"], env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop_all([server])
    raise RuntimeError("gunicorn did not start")


def api_rate(env, sink, url: str, key: str, count: int, workers: int, clients: int, first: int) -> dict:
    """Workers started and warmed up first (a few messages through the whole path), then timed from
    the first POST until the sink has every message. The workers are idle when the clock starts, so
    the first message waits for their next poll (`first_delivery_s`)."""
    processes = worker_processes(env, workers)
    try:
        warm = received(sink) + WARM_UP
        api_feed(url, key, api_bodies(first, WARM_UP), 1)
        wait_for(sink, warm)
        bodies = api_bodies(first + WARM_UP, count)
        figures = end_to_end(sink, count, lambda: api_feed(url, key, bodies, clients))
        figures["mean_message_bytes_at_sink"] = mean_size(sink.received[-count:])
        figures["dkim_signed"] = all(b"DKIM-Signature:" in m.data for m in sink.received[-count:])
        return figures
    finally:
        stop_all(processes)


# -- main ------------------------------------------------------------------------------------------

def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop the servers and the postfix instance


def main(count: int, workers: int, clients: int, concurrency: int, with_postfix: bool, rounds: int,
         reply_delay_ms: int = 0) -> None:
    signal.signal(signal.SIGTERM, _terminate)
    dns, sink = LoopbackDNS(), SMTPSink().start()
    sink.reply_delay = reply_delay_ms / 1000
    dns.zone.add("example.net", "MX", (10, "mx.example.net")).add("mx.example.net", "A", "127.0.0.1")
    env = environment(GATEPOST_DNS_SERVERS=dns.address, GATEPOST_MX_PORT=str(sink.port))
    domain, key = install(env)
    database_name = env["GATEPOST_DATABASE_URL"].split(":")[0]
    port = postfix_instance.free_port()
    done: list[dict] = []  # per round: "postfix", "api_1", "api_many" figures
    with contextlib.ExitStack() as stack:
        stack.callback(dns.stop)
        stack.callback(sink.stop)
        raw = raw_rate(sink, count)
        postfix = open_postfix(stack, sink, concurrency) if with_postfix else "skipped (--no-postfix)"
        if isinstance(postfix, str):
            print(f"bench: POSTFIX UNAVAILABLE, its part is skipped: {postfix}", flush=True)
        core_one, cpu_one = workers_only_rate(env, domain, count, 1, 0)
        core_many, cpu_many = workers_only_rate(env, domain, count, workers, count)
        stack.callback(stop_all, [start_gunicorn(env, port)])
        url = f"http://127.0.0.1:{port}/api/v1/email"
        for number in range(rounds):  # the sides take turns, so a change in the machine's load weighs on each alike
            first = (2 + 3 * number) * count
            one = {} if isinstance(postfix, str) else {"postfix": postfix_rate(postfix, sink, count, clients, first)}
            one["api_1"] = api_rate(env, sink, url, key, count, 1, clients, first + count)
            one["api_many"] = api_rate(env, sink, url, key, count, workers, clients, first + 2 * count)
            done.append(one)
            print(f"bench: round {number + 1} of {rounds}: " + ", ".join(
                f"{side} {figures['msgs_per_s']:.1f} msg/s" for side, figures in one.items()), flush=True)

    def r(x):
        return round(x, 1)

    def rates(side):
        return [one[side]["msgs_per_s"] for one in done]

    def ratios(side):
        return [one[side]["msgs_per_s"] / one["postfix"]["msgs_per_s"] for one in done]

    def rounded(figures):
        return {k: (round(v, 3) if isinstance(v, float) else {q: round(x, 2) for q, x in v.items()}
                    if isinstance(v, dict) else v) for k, v in figures.items()}

    with_pf = not isinstance(postfix, str)
    figures = {
        "database": database_name, "messages": count, "workers": workers, "rounds": rounds,
        "sink_reply_delay_ms": reply_delay_ms,
        "clients": f"{clients} connection(s) feeding each of Gatepost (HTTP) and Postfix (SMTP)",
        "headline": "end to end, accepted -> delivered at the loopback sink: Gatepost (HTTP API, gunicorn 2 workers "
                    "x 4 threads, DKIM) / Postfix (SMTP on loopback, no DKIM); each figure the median of the "
                    "rounds, each ratio the median of the rounds' ratios (Postfix and Gatepost taking turns)",
        "gatepost_api_1_worker_msgs_per_s": r(statistics.median(rates("api_1"))),
        f"gatepost_api_{workers}_workers_msgs_per_s": r(statistics.median(rates("api_many"))),
    }
    if with_pf:
        figures.update({
            "postfix_msgs_per_s": r(statistics.median(rates("postfix"))),
            "ratio_gatepost_1_worker_to_postfix": round(statistics.median(ratios("api_1")), 3),
            f"ratio_gatepost_{workers}_workers_to_postfix": round(statistics.median(ratios("api_many")), 3),
            "ratio_workers_alone_1_to_postfix": round(core_one / statistics.median(rates("postfix")), 3),
            f"ratio_workers_alone_{workers}_to_postfix": round(core_many / statistics.median(rates("postfix")), 3),
            "ratios_per_round": [[round(a, 3), round(b, 3)] for a, b in zip(ratios("api_1"), ratios("api_many"))],
        })
    else:
        figures.update({"postfix": "unavailable", "postfix_unavailable_reason": postfix})
    figures["rounds_details"] = [
        {{"postfix": "postfix", "api_1": "gatepost_api_1_worker", "api_many": f"gatepost_api_{workers}_workers"}[side]:
         rounded(side_figures) for side, side_figures in one.items()} for one in done]
    figures["meaning"] = ("msgs_per_s: messages / seconds from the first submission until the sink had them all; "
                          "submit_msgs_per_s: the submission alone (API requests answered, or SMTP 250s); "
                          "submit_latency_ms: one submission's wait for its answer; first_delivery_s: until the "
                          "first message reached the sink; client_cpu_ms_per_msg: the feeding client's CPU "
                          "(http.client or smtplib, in this process)")
    if with_pf:
        figures["postfix"] = postfix_setup(postfix)
    figures.update({
        "raw_smtplib_msgs_per_s": r(raw),
        "gatepost_1_worker_msgs_per_s": r(core_one),
        f"gatepost_{workers}_workers_msgs_per_s": r(core_many),
        "ratio_1_worker_to_raw": round(core_one / raw, 3),
        f"ratio_{workers}_workers_to_raw": round(core_many / raw, 3),
        "gatepost_1_worker_cpu_ms_per_msg": round(cpu_one, 2),
        f"gatepost_{workers}_workers_cpu_ms_per_msg": round(cpu_many, 2),
        "workers_only_note": "gatepost_*_msgs_per_s above without 'api': queued through the core beforehand, "
                             "timed from the first delivery to the last (no API, no start-up); raw: plain "
                             "smtplib into the sink over one connection",
        "notes": ["Gatepost DKIM-signs every message (rsa-sha256) and looks the MX up on a loopback DNS server; "
                  "Postfix relays to [127.0.0.1]:<sink> with no DNS and no signing (no milter), which favours "
                  "Postfix",
                  "the feeding clients, the sink and the DNS server run in this Python process, on the same "
                  "machine as the servers",
                  "the Gatepost workers poll the database (after 10 ms once the queue runs dry, doubling up to "
                  "1 s while it stays dry; while claims stay small, up to 40 ms per live worker, 160 ms at most), "
                  "so the first message waits for a poll",
                  f"concurrency: Postfix up to {concurrency} connections to the sink "
                  f"(default_destination_concurrency_limit); Gatepost up to GATEPOST_DESTINATION_CONNECTIONS "
                  f"per worker ({config.Settings.destination_connections}), another opened after each transaction "
                  f"that waited on the sink over {delivery.WIDEN_SECONDS * 1000:.0f} ms"],
    })
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]  # other work shares the 2 cores

    def latency(side):
        return "/".join(f"{statistics.median(one[side]['submit_latency_ms'][q] for one in done):.1f}"
                        for q in ("p50", "p90", "p99"))

    print(f"\nDELIVERY ({database_name}, {count} messages, {clients} client connection(s), median of {rounds} rounds):")
    print(f"  Gatepost API -> sink: {figures['gatepost_api_1_worker_msgs_per_s']} msg/s (1 worker), "
          f"{figures[f'gatepost_api_{workers}_workers_msgs_per_s']} msg/s ({workers} workers); submission "
          f"p50/p90/p99 {latency('api_1')} / {latency('api_many')} ms; client CPU "
          f"{statistics.median(one['api_many']['client_cpu_ms_per_msg'] for one in done):.2f} ms per message")
    if with_pf:
        print(f"  Postfix SMTP -> sink: {figures['postfix_msgs_per_s']} msg/s; submission p50/p90/p99 "
              f"{latency('postfix')} ms; client CPU "
              f"{statistics.median(one['postfix']['client_cpu_ms_per_msg'] for one in done):.2f} ms per message")
        print(f"  Gatepost / Postfix:   {figures['ratio_gatepost_1_worker_to_postfix']} (1 worker), "
              f"{figures[f'ratio_gatepost_{workers}_workers_to_postfix']} ({workers} workers); per round "
              f"{figures['ratios_per_round']}")
    else:
        print(f"  Postfix: unavailable ({postfix})")
    print(f"  workers alone: {r(core_one)} / {r(core_many)} msg/s, {cpu_one:.2f} / {cpu_many:.2f} worker CPU ms "
          f"per message; raw smtplib {r(raw)} msg/s", flush=True)
    if with_pf:
        print(f"  workers alone / Postfix: {figures['ratio_workers_alone_1_to_postfix']} (1 worker), "
              f"{figures[f'ratio_workers_alone_{workers}_to_postfix']} ({workers} workers)")
    print(f"  load average at the end: {figures['load_average_at_end']}\n", flush=True)
    # one file per database, so the SQLite and the PostgreSQL runs both stay on record
    save(("delivery" if database_name == "sqlite" else f"delivery_{database_name}")
         + (f"_reply_delay_{reply_delay_ms}ms" if reply_delay_ms else ""), figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="?", type=int, default=1000)
    parser.add_argument("workers", nargs="?", type=int, default=2)
    parser.add_argument("--clients", type=int, default=1,
                        help="connections feeding each side (HTTP to Gatepost, SMTP to Postfix); default 1")
    parser.add_argument("--postfix-concurrency", type=int, default=20,
                        help="Postfix's default_destination_concurrency_limit (its default: 20)")
    parser.add_argument("--no-postfix", action="store_true", help="skip the Postfix part")
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns each side takes end to end (the figures are their medians); default 3")
    parser.add_argument("--reply-delay", type=int, default=0, metavar="MS",
                        help="the sink holds back each answer to MAIL, RCPT and DATA this long, as a receiver "
                             "across the internet (both sides alike); default 0")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    main(args.messages, args.workers, args.clients, args.postfix_concurrency, not args.no_postfix, args.rounds,
         args.reply_delay)
