"""The real processes: `gatepost serve` (HTTP + worker in one process) and `gatepost worker`,
started as subprocesses against the test database, the loopback DNS server and the sink."""
import signal
import smtplib
import ssl
import subprocess
import time

import pytest
import requests

from models import Delivery
from services import sending
from services.compose import Address
from tests import processes
from tests.processes import GATEPOST, ROOT


@pytest.fixture
def environment(settings, sink, dns_server, tmp_path):
    return processes.environment(settings, sink, dns_server, tmp_path)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def queue_messages(sender, recipients):
    for rcpt in recipients:
        sending.accept(sender.domain, sending.Outgoing(Address("alice@example.com"), to=(Address(rcpt),),
                                                       subject="hi", text="hello"))


def test_serve_answers_the_api_and_delivers_in_the_same_process(environment, sender, sink):
    with processes.serve(environment) as base:
        answer = requests.post(f"{base}/api/v1/email", timeout=10,
                               headers={"Authorization": f"Bearer {sender.key}"},
                               json={"Subject": "Hi", "ContentType": "plain", "PlainContent": "Hello",
                                     "From": {"email": "alice@example.com"}, "To": [{"email": "rob@example.net"}]})
        assert answer.status_code == 200, answer.text
        assert sink.wait_for(1, timeout=20)[0].rcpt_tos == ["rob@example.net"]
        # the SMTP credentials it hands out work against its own listener
        smtp = requests.post(f"{base}/api.php", timeout=10, json={
            "Command": "EmailGateway.AddSMTP", "APIKey": sender.account.api_key, "DomainID": sender.domain.id}).json()
        assert smtp["SMTP"]["SMTPPorts"] == [environment["GATEPOST_SMTP_PORTS"], environment["GATEPOST_SMTP_TLS_PORT"]]
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE  # serve's self-signed pair
        with smtplib.SMTP("127.0.0.1", int(environment["GATEPOST_SMTP_PORTS"]), timeout=10) as client:
            client.starttls(context=unverified)
            client.login(smtp["SMTP"]["SMTPUsername"], smtp["SMTP"]["SMTPPassword"])
            client.sendmail("alice@example.com", ["ann@example.net"],
                            b"From: alice@example.com\r\nTo: ann@example.net\r\nSubject: via SMTP\r\n\r\nHi\r\n")
        assert sink.wait_for(2, timeout=20)[1].rcpt_tos == ["ann@example.net"]


def test_a_worker_killed_mid_batch_loses_nothing(environment, sender, sink):
    environment = dict(environment, GATEPOST_LEASE_SECONDS="2", GATEPOST_WORKER_BATCH="10")
    sink.slow_seconds = 1.0  # the first worker is mid-DATA for a second, holding the whole batch
    recipients = ["slow@example.net"] + [f"r{i}@example.net" for i in range(7)]
    queue_messages(sender, recipients)
    first = subprocess.Popen(GATEPOST + ["worker"], env=environment, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # kill it while it holds leases (mid-batch)
        assert wait_for(lambda: Delivery.select().where(Delivery.lease_owner.is_null(False)).exists())
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    second = subprocess.Popen(GATEPOST + ["worker"], env=environment, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: Delivery.select().where(Delivery.status != "delivered").count() == 0, timeout=30)
    finally:
        second.terminate()
        assert second.wait(10) == 0  # SIGTERM stops it cleanly
    delivered = {r for m in sink.received for r in m.rcpt_tos}
    assert delivered == set(recipients)  # none lost (a few may have arrived twice: at least once)
