"""The fault suite: proof that nothing is lost under failures (killed workers, a flaky
receiving MTA, a webhook endpoint that is down, fuzzed API requests).

Sized by GATEPOST_FAULTS_SCALE: "small" (the default; part of `make test` and CI, well under
two minutes) or "large" (thousands of messages and examples). Each test adds its figures
(duplicates, attempts, kills...) to the summary printed at the end of the run."""
from __future__ import annotations

import os

import pytest

SCALE = os.environ.get("GATEPOST_FAULTS_SCALE", "small").strip().lower() or "small"
if SCALE not in ("small", "large"):
    raise pytest.UsageError(f"GATEPOST_FAULTS_SCALE must be small or large, not {SCALE!r}")

_figures: list[str] = []


def sized(small, large):
    """The figure for the current scale."""
    return large if SCALE == "large" else small


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: the fault suite (GATEPOST_FAULTS_SCALE=small|large)")


@pytest.fixture
def figures(request):
    """figures(**numbers): keep this test's figures for the end-of-run summary."""
    def add(**numbers):
        text = ", ".join(f"{k}={v}" for k, v in numbers.items())
        _figures.append(f"{request.node.name}: {text}")
    return add


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section(f"fault suite figures (GATEPOST_FAULTS_SCALE={SCALE})")
        for line in _figures:
            terminalreporter.write_line(line)


def start_sink(sink, handler_class):
    """Start `sink` (an SMTPSink) with `handler_class(sink)` answering instead of the stock handler."""
    from aiosmtpd.controller import Controller

    from tests.smtp_sink import _Controller

    class VariantController(_Controller):
        def __init__(self, owner, **kwargs):
            Controller.__init__(self, handler_class(owner), **kwargs)
            self.sink = owner

    sink._controller = VariantController(sink, hostname=sink.host, port=0, server_hostname="localhost")
    sink._controller.start()
    sink.port = sink._controller.port
    sink.reset()  # start() connected once to see the banner
    return sink


@pytest.fixture
def as_mx(settings, dns_server):
    """as_mx(sink): make a started sink the MX of example.net and example.org (as the `sink` fixture
    does for the shared one)."""
    import config

    def point(sink):
        for domain in ("example.net", "example.org"):
            dns_server.zone.add(domain, "MX", (10, f"mx.{domain}"))
            dns_server.zone.add(f"mx.{domain}", "A", "127.0.0.1")
        config.use(config.current().replace(mx_port=sink.port, smtp_timeout=5.0))
        return sink

    return point
