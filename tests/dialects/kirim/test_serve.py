"""Against a real `gatepost serve`: every curl example of the Kirim.Email guide (seed 000), as
written there (the scrape's flattened `\\` line breaks restored; placeholders replaced by real
values; `from`/`to` added to the send examples, which lack them), the official Python SDK
(`kirimemail-smtp-sdk`) pointed at it, and the log stream read by a real streaming client."""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading

import pytest
import requests

import config
from dialects.kirim import webhook_payload
from models import Message, SenderDomain, SMTPCredential, Suppression, SuppressionAllow, Webhook
from models.vocabulary import EventType
from services import credentials, domains, sending, smtp_credentials, suppressions, templates, webhooks
from services.compose import Address
from tests.conftest import free_port
from tests.e2e.test_processes import GATEPOST, ROOT, environment, wait_for  # noqa: F401  (a fixture)
from tests.http_receiver import Receiver

BASE = "https://smtp-app.kirim.email"
GUIDE = r'''
curl -X GET "https://smtp-app.kirim.email/api/domains" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains" \ -u "username:your-api-key" \ -H "Content-Type: application/json" \ -d '{"domain": "example.org"}'
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/verify-mx" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/setup-auth" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/setup-tracking" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/credentials" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/credentials" \ -u "username:your-api-key" \ -H "Content-Type: application/json" \ -d '{"name": "My Application"}'
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/credentials/cred_xxxxx/reset-password" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/send" \ -u "smtp_xxxxx:smtp-password" \ -d "subject=Hello World" \ -d "body=This is the email content"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/send" \ -u "smtp_xxxxx:smtp-password" \ -F "subject=Hello with Attachment" \ -F "body=Please see the attached file" \ -F "attachment=@/path/to/file.pdf"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/send-template" \ -u "smtp_xxxxx:smtp-password" \ -d "template=welcome-email" \ -d "variables[name]=John Doe"
curl -X POST "https://smtp-app.kirim.email/api/validate/email" \ -u "username:your-api-key" \
curl -X POST "https://smtp-app.kirim.email/api/validate/email/strict" \ -u "username:your-api-key" \
curl -X POST "https://smtp-app.kirim.email/api/validate/email/batch" \ -u "username:your-api-key" \ -H "Content-Type: application/json" \
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/logs" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/logs/message_xxxxx" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/suppressions" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/suppressions/bounces" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/domains/example.com/suppressions/unsubscribes" \ -u "username:your-api-key"
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/suppressions/whitelist" \ -u "username:your-api-key" \
curl -X DELETE "https://smtp-app.kirim.email/api/domains/example.com/suppressions/unsubscribes" \ -u "username:your-api-key" \
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/webhooks" \ -u "username:your-api-key" \ -H "Content-Type: application/json" \ -d '{ "url": "https://your-app.com/webhooks/kirimemail", "events": ["delivered", "bounced", "complained"] }'
curl -X POST "https://smtp-app.kirim.email/api/domains/example.com/webhooks/webhook_xxxxx/test" \ -u "username:your-api-key"
curl -X GET "https://smtp-app.kirim.email/api/quota" \ -u "username:your-api-key"
'''.strip().splitlines()
SEND_ADDITIONS = ' \\ -d "from=alice@example.com" \\ -d "to=rob@example.net"'
FORM_ADDITIONS = ' \\ -F "from=alice@example.com" \\ -F "to=rob@example.net"'


@pytest.fixture
def server(environment, settings, sender, sink, dns_server):
    dns_server.zone.add("your-app.com", "A", "93.184.215.14")  # a public address: the guide's webhook URL is allowed
    environment = dict(environment, GATEPOST_SPF_INCLUDE=settings.spf_include,
                       GATEPOST_TRACKING_HOST=settings.tracking_host)  # the records `sender` published
    process = subprocess.Popen(GATEPOST + ["serve", "--port", str(free_port())], env=environment, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        said, found = [], None
        for line in process.stdout:
            said.append(line)
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/api\.php", line)
            if found:
                break
        assert found, "serve did not say where it listens: " + "".join(said[-20:])
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe drained
        yield found[1]
    finally:
        process.terminate()
        process.wait(10)


def curl(command: str, base: str, replace: dict[str, str]) -> tuple[int, dict]:
    """Run a guide example with the scrape's ` \\ ` line breaks restored, through bash."""
    command = command.replace(BASE, base).rstrip(" \\")
    for placeholder, value in replace.items():
        command = command.replace(placeholder, value)
    command = command.replace(" \\ ", " \\\n  ") + ' -s -w "\\n%{http_code}"'
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_every_curl_example_of_the_guide(server, sender, sink, tmp_path):
    user = sender.account.user
    _, shown = credentials.issue(user, "kirim")
    smtp, password = smtp_credentials.add(user, sender.domain.id)
    other, _ = smtp_credentials.add(user, sender.domain.id)  # the one whose password the guide resets
    templates.create(user, "welcome-email", subject="Welcome {{ name }}", text="Hi {{ name }}")
    (tmp_path / "file.pdf").write_bytes(b"%PDF-1.4 a guide's file")
    replace = {"username:your-api-key": f"{shown['username']}:{shown['api_key']}",
               "smtp_xxxxx:smtp-password": f"{smtp.username}:{password}",
               "/path/to/file.pdf": str(tmp_path / "file.pdf"), "cred_xxxxx": f"cred_{other.id}"}
    answers = {}
    for command in GUIDE:
        if "/send" in command:
            command += FORM_ADDITIONS if " -F " in command else SEND_ADDITIONS
        if "message_xxxxx" in command:
            replace["message_xxxxx"] = Message.select().order_by(Message.id).first().uuid
        if "webhook_xxxxx" in command:
            replace["webhook_xxxxx"] = f"webhook_{Webhook.select().first().id}"
        status, body = curl(command, server, replace)
        path = re.search(r'/api/([^"]+)"', command)[1]
        for placeholder, value in replace.items():
            path = path.replace(placeholder, value)
        answers[re.search(r"-X (\w+)", command)[1] + " " + path] = (status, body)
        assert 200 <= status < 300 or status == 422, (command, status, body)
        assert body["success"] is (status < 300), (command, body)

    assert answers["GET domains"][1]["data"][0]["domain"] == "example.com"
    assert SenderDomain.select().where(SenderDomain.name == "example.org").exists()
    assert answers["POST domains/example.com/verify-mx"][1]["data"]["verified"] is True
    created = answers["POST domains/example.com/credentials"][1]["data"]
    assert created["name"] == "My Application" and created["password"]
    assert answers[f"POST domains/example.com/credentials/cred_{other.id}/reset-password"][1]["data"]["password"]
    # the three sends: plain, with an attachment, from a template; each arrives
    messages = sink.wait_for(3, timeout=30)
    assert sorted(m.rcpt_tos[0] for m in messages) == ["rob@example.net"] * 3
    assert any(b"Welcome John Doe" in m.data for m in messages) and any(b"file.pdf" in m.data for m in messages)
    # the examples without a body are answered with the field they lack
    assert answers["POST validate/email"] == (422, answers["POST validate/email"][1])
    assert "email" in answers["POST validate/email"][1]["errors"]
    assert "emails" in answers["POST validate/email/batch"][1]["errors"]
    assert "recipient" in answers["POST domains/example.com/suppressions/whitelist"][1]["errors"]
    assert "ids" in answers["DELETE domains/example.com/suppressions/unsubscribes"][1]["errors"]
    assert answers[f"GET domains/example.com/logs/{replace['message_xxxxx']}"][1]["data"][0]["event_type"] == "queued"
    webhook = Webhook.get()
    assert webhook.format == "kirim" and webhook.url == "https://your-app.com/webhooks/kirimemail"
    assert answers["GET quota"][1]["data"]["used"] == 3


def _stream_until(url: str, auth, ready: threading.Event, wanted: int) -> list[dict]:
    """Read the SSE stream with a real streaming client until `wanted` events came."""
    found = []
    with requests.get(url, auth=auth, stream=True, timeout=(5, 30)) as answer:
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        for line in answer.iter_lines(decode_unicode=True):
            if line == ": connected":
                ready.set()
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
                if len(found) >= wanted:
                    return found
    return found


@pytest.mark.parametrize("path", ["logs/stream", "log/stream"])
def test_the_log_stream_follows_new_events_live(server, sender, sink, path):
    _, shown = credentials.issue(sender.account.user, "kirim")
    auth = (shown["username"], shown["api_key"])
    ready, result = threading.Event(), {}
    reader = threading.Thread(target=lambda: result.update(events=_stream_until(
        f"{server}/api/domains/example.com/{path}?recipient=rob", auth, ready, 2)))
    reader.start()
    assert ready.wait(10)
    for rcpt in ("ann@example.net", "rob@example.net"):  # ann's events are filtered out
        answer = requests.post(f"{server}/api/domains/example.com/message", auth=auth, timeout=10, json={
            "from": "alice@example.com", "to": rcpt, "subject": "Live", "text": "x"})
        assert answer.status_code == 200
    reader.join(30)
    events = result["events"]
    assert [(e["event_type"], e["recipient"]) for e in events] == [("queued", "rob@example.net"),
                                                                   ("delivered", "rob@example.net")]
    assert events[0]["message_guid"] == events[1]["message_guid"]


def sdk_client(*args, **kwargs):
    """kirimemail-smtp-sdk 1.5.0 as published cannot make a call: its get/post hand
    `headers=None` to a method that calls `headers.update`, and it awaits httpx's synchronous
    `Response.json()` (so every answer would read as {}). Both are fixed here, in a subclass,
    and nothing else: the requests it builds and the errors it raises are the SDK's own."""
    from kirimemail_smtp import SmtpClient

    class Fixed(SmtpClient):
        async def _make_request(self, method, endpoint, **options):
            options["headers"] = options.get("headers") or {}
            return await super()._make_request(method, endpoint, **options)

        async def _handle_response(self, response):
            response.json = _awaitable(response.json)
            return await super()._handle_response(response)

    return Fixed(*args, **kwargs)


def _awaitable(read):
    async def json():
        return read()
    return json


def test_the_official_python_sdk(server, sender, sink, dns_server):
    from kirimemail_smtp import (AuthenticationException, CredentialsApi, DomainsApi, EmailValidationApi, MessagesApi,
                                 NotFoundException, SuppressionsApi, UserApi, ValidationException, WebhooksApi)

    user = sender.account.user
    _, shown = credentials.issue(user, "kirim")
    template = templates.create(user, "sdk", subject="Hello {{ name }}", text="Hi {{ name }}")
    suppressions.add(user, "gone@example.net", "unsubscribe")
    dns_server.zone.add("hooks.example", "A", "93.184.215.14")

    async def scenario():
        async with sdk_client(shown["username"], shown["api_key"], base_url=server, retries=0) as client:
            domains, messages = DomainsApi(client), MessagesApi(client)
            listed = await domains.list_domains(limit=10, page=1)
            assert listed["pagination"]["total"] == 1 and listed["data"][0]["domain"] == "example.com"
            created = await domains.create_domain("sdk.example.org", dkim_key_length=1024)
            assert created["data"]["dkim_key_length"] == 1024
            await domains.update_domain("example.com", {"open_track": False})
            verified = await domains.verify_mandatory_records("example.com")
            assert verified["data"]["status"] == "verified", verified
            credential = await CredentialsApi(client).create_credential("example.com", "sdkuser")
            assert credential["data"]["credential"]["username"] == "sdkuser@example.com"
            await messages.send_message("example.com", {"from": "alice@example.com", "to": ["rob@example.net"],
                                                        "subject": "SDK", "text": "From the SDK"})
            await messages.send_message_with_attachments(
                "example.com", {"from": "alice@example.com", "to": "ann@example.net", "subject": "SDK file",
                                "text": "attached"},
                [{"field": "attachments", "filename": "a.txt", "content": "hello", "content_type": "text/plain"}])
            await messages.send_template_message("example.com", {"template_guid": str(template.uuid),
                                                                 "to": ["carl@example.net"], "variables": {"name": "Carl"}})
            await SuppressionsApi(client).create_whitelist_suppression("example.com", "gone@example.net", "email")
            listed = await SuppressionsApi(client).get_suppressions("example.com", limit=5, page=1, type="unsubscribe")
            assert [s["recipient"] for s in listed["data"]] == ["gone@example.net"]
            await WebhooksApi(client).create_webhook("example.com", "delivered", "https://hooks.example/kirim")
            bulk = await EmailValidationApi(client).validate_bulk(["rob@example.net", "x@mailinator.com"])
            assert bulk["data"]["summary"]["invalid"] == 1
            assert (await UserApi(client).get_quota())["data"]["used"] == 3
            with pytest.raises(NotFoundException):
                await domains.get_domain("nowhere.example")
            with pytest.raises(ValidationException):
                await messages.send_message("example.com", {"from": "alice@elsewhere.org", "to": "rob@example.net",
                                                            "subject": "x", "text": "y"})
        async with sdk_client(shown["username"], "wrong", base_url=server, retries=0) as client:
            with pytest.raises(AuthenticationException):
                await UserApi(client).get_quota()

    asyncio.run(scenario())
    assert SenderDomain.get(SenderDomain.name == "sdk.example.org").status == "Approval Pending"
    assert SenderDomain.get(SenderDomain.name == "example.com").open_tracking is False
    assert SMTPCredential.get(SMTPCredential.username == "sdkuser@example.com")
    assert SuppressionAllow.get().recipient == "gone@example.net" and Suppression.select().count() == 1
    assert Webhook.get().url == "https://hooks.example/kirim"
    received = sink.wait_for(3, timeout=30)
    assert sorted(m.rcpt_tos[0] for m in received) == ["ann@example.net", "carl@example.net", "rob@example.net"]
    assert any(b"Hello Carl" in m.data for m in received) and any(b"a.txt" in m.data for m in received)

    async def tracking():  # a new tracking host: the domain is pending until its CNAME is published
        async with sdk_client(shown["username"], shown["api_key"], base_url=server, retries=0) as client:
            answer = await DomainsApi(client).setup_tracklink("example.com", "links")
            assert answer["data"]["records"][0]["host"] == "links-gp.example.com"

    asyncio.run(tracking())
    assert SenderDomain.get(SenderDomain.name == "example.com").track_prefix == "links"


def test_a_worker_process_posts_kirim_payloads(environment, sender, sink):
    """`gatepost worker` loads the Kirim payload format without the web app."""
    receiver = Receiver()
    worker = None
    try:
        config.use(config.current().replace(webhook_allow_private=True))
        webhooks.add(sender.account.user, sender.domain.id, [EventType.DELIVERED], receiver.url + "/kirim", format="kirim")
        guid = sending.accept(sender.domain, sending.Outgoing(Address("alice@example.com"), to=(Address("rob@example.net"),),
                                                              subject="Hi", text="x"))
        worker = subprocess.Popen(GATEPOST + ["worker"], env=dict(environment, GATEPOST_WEBHOOK_ALLOW_PRIVATE="1"),
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: receiver.received, timeout=30)
        payload = receiver.received[0].json
        assert (payload["event_type"], payload["message_guid"], payload["recipient"]) == ("delivered", guid,
                                                                                         "rob@example.net")
        assert payload["signature"] == webhook_payload.sign(domains.signing_key(sender.domain), guid)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)
        receiver.stop()
