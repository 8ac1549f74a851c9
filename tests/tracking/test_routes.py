"""Opens, clicks and unsubscribes on mail actually delivered to the loopback sink."""
import email
import re
import smtplib
from email import policy
from urllib.parse import urlsplit

import dkim
import pytest

import config
from models import Event, Message
from services import domains, suppressions
from smtp import listeners
from tests.conftest import free_port
from tests.services.test_delivery import dns_txt

HTML = ('<html><body><p>Hi! <a href="https://shop.example.org/order?id=7&amp;x=1">your order</a>, '
        '<a href="mailto:help@example.com">help</a>, <a href="https://keep.example.org/" data-gatepost-notrack>'
        'raw</a></p></body></html>')


def delivered(send, deliver, sink, **overrides):
    assert send(HTMLContent=HTML, **overrides).status_code == 200
    deliver()
    received = sink.received[-1]
    return received, email.message_from_bytes(received.data, policy=policy.default)


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def path(url: str) -> str:
    return urlsplit(url).path


def test_opens_and_clicks_are_tracked_and_signed(send, deliver, sink, client, sender):
    received, message = delivered(send, deliver, sink)
    assert dkim.verify(received.data, dnsfunc=dns_txt)  # signed after the rewrite
    html = html_of(message)
    clicks = re.findall(r'href="([^"]*/t/c/[^"]+)"', html)
    assert len(clicks) == 1 and 'href="mailto:help@example.com"' in html and 'href="https://keep.example.org/"' in html
    assert clicks[0].startswith(f"https://{config.current().tracking_host}/t/c/")
    pixel = re.search(r'src="([^"]*/t/o/[^"]+\.gif)"', html)[1]

    opened = client.get(path(pixel), headers={"User-Agent": "MailClient/1"})
    assert opened.status_code == 200 and opened.mimetype == "image/gif" and opened.headers["Cache-Control"]
    clicked = client.get(path(clicks[0]), headers={"User-Agent": "Browser/2"})
    assert clicked.status_code == 302 and clicked.headers["Location"] == "https://shop.example.org/order?id=7&x=1"
    events = {e.event: e for e in Event.select()}
    assert '"user_agent": "MailClient/1"' in events["opened"].details
    assert '"url": "https://shop.example.org/order?id=7&x=1"' in events["clicked"].details
    assert events["clicked"].recipient == "rob@example.net"


def test_forged_tokens_and_disabled_domains_are_404(send, deliver, sink, client, sender):
    _, message = delivered(send, deliver, sink)
    click = path(re.search(r'href="([^"]*/t/c/[^"]+)"', html_of(message))[1])
    assert client.get(click[:-3] + ("AAA" if not click.endswith("AAA") else "BBB")).status_code == 404
    assert client.get("/t/c/not-a-token").status_code == 404
    assert client.get("/t/o/garbage.gif").status_code == 404
    domains.set_status(sender.domain, "Suspended")
    assert client.get(click).status_code == 404
    domains.set_status(sender.domain, "Enabled")
    assert client.get(click).status_code == 302


def test_tracking_follows_the_message_then_the_domain(api, send, deliver, sink, sender):
    _, message = delivered(send, deliver, sink, TrackLinks=False, TrackOpens=False)
    assert "/t/" not in html_of(message)
    api(sender.account, "EmailGateway.UpdateDomain", DomainID=sender.domain.id, LinkTracking=0, OpenTracking=0)
    _, message = delivered(send, deliver, sink)
    assert "/t/" not in html_of(message) and message["List-Unsubscribe"] is None
    _, message = delivered(send, deliver, sink, TrackOpens=True)
    assert "/t/o/" in html_of(message) and "/t/c/" not in html_of(message)


def test_the_verified_tracking_host_is_used_once_verified(api, send, deliver, sink, sender):
    api(sender.account, "EmailGateway.VerifyDomain", DomainID=sender.domain.id)  # all records published
    _, message = delivered(send, deliver, sink)
    assert "https://track-gp.example.com/t/c/" in html_of(message)


@pytest.fixture
def unsubscribing(api, sender):
    api(sender.account, "EmailGateway.UpdateDomain", DomainID=sender.domain.id, UnsubscribeLink=1)


def test_one_click_unsubscribe(unsubscribing, send, deliver, sink, client, sender):
    received, message = delivered(send, deliver, sink)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert https.startswith("https://") and mailto.startswith("mailto:unsubscribe+") and "@gp.example.com" in mailto
    signature = message["DKIM-Signature"]
    assert "list-unsubscribe" in signature and "list-unsubscribe-post" in signature
    assert dkim.verify(received.data, dnsfunc=dns_txt)
    assert "/t/u/" in html_of(message) and "Unsubscribe:" in message.get_body(("plain",)).get_content()

    page = client.get(path(https))
    assert page.status_code == 200 and b"rob@example.net" in page.data and b"<form method=post>" in page.data
    assert not Event.select().where(Event.event == "unsubscribed").exists()  # a GET changes nothing
    assert client.post(path(https), data={}).status_code == 404
    done = client.post(path(https), data={"List-Unsubscribe": "One-Click"})  # no cookie, no login
    assert done.status_code == 200
    assert client.post(path(https), data={"confirm": "1"}).status_code == 200  # idempotent
    assert Event.select().where(Event.event == "unsubscribed").count() == 1
    assert suppressions.suppressed(sender.account.user, ["rob@example.net"]) == ["rob@example.net"]
    assert send().json["Errors"][0]["Code"] == 14


def test_unsubscribe_by_mail(unsubscribing, send, deliver, sink, sender, settings):
    _, message = delivered(send, deliver, sink)
    mailto = re.findall(r"<mailto:([^>]+)>", message["List-Unsubscribe"])[0]
    current = config.use(config.current().replace(smtp_ports=(), inbound_port=free_port()))
    controllers = listeners.start(current)
    try:
        with smtplib.SMTP("127.0.0.1", current.inbound_port, timeout=10) as smtp:
            smtp.sendmail("rob@example.net", [mailto], b"Subject: unsubscribe\r\n\r\n")
            smtp.sendmail("rob@example.net", [mailto.replace("+", "+x")], b"Subject: unsubscribe\r\n\r\n")
    finally:
        listeners.stop(controllers)
    assert Event.get(Event.event == "unsubscribed").details.count("mailto") == 1
    assert suppressions.suppressed(sender.account.user, ["rob@example.net"]) == ["rob@example.net"]
    assert Message.select().count() == 1
