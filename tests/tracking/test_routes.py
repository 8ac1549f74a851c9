"""Opens, clicks and unsubscribes on mail actually delivered to the loopback sink, fetched at the
URLs the mail carries (their host too: the test client sends it as the Host header)."""
import email
import json
import re
import smtplib
from email import policy

import dkim
import pytest

import clock
import config
from models import Event, Message, SenderDomain
from services import domains, engagement, suppressions
from smtp import listeners
from tests.conftest import free_port, publish
from tests.services.test_delivery import dns_txt

HTML = ('<html><body><p>Hi! <a href="https://shop.example.org/order?id=7&amp;x=1">your order</a>, '
        '<a href="mailto:help@example.com">help</a>, <a href="https://keep.example.org/" data-gatepost-notrack>'
        'raw</a></p></body></html>')


def delivered(send, deliver, sink, html=HTML, **overrides):
    assert send(HTMLContent=html, **overrides).status_code == 200
    deliver()
    received = sink.received[-1]
    return received, email.message_from_bytes(received.data, policy=policy.default)


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_opens_and_clicks_are_tracked_and_signed(send, deliver, sink, client, sender):
    received, message = delivered(send, deliver, sink)
    assert dkim.verify(received.data, dnsfunc=dns_txt)  # signed after the rewrite
    html = html_of(message)
    clicks = re.findall(r'href="([^"]*/t/c/[^"]+)"', html)
    assert len(clicks) == 1 and 'href="mailto:help@example.com"' in html and 'href="https://keep.example.org/"' in html
    assert clicks[0].startswith(f"https://{config.current().tracking_host}/t/c/")
    pixel = re.search(r'src="([^"]*/t/o/[^"]+\.gif)"', html)[1]

    opened = client.get(pixel, headers={"User-Agent": "MailClient/1"})
    assert opened.status_code == 200 and opened.mimetype == "image/gif" and opened.headers["Cache-Control"]
    clicked = client.get(clicks[0], headers={"User-Agent": "Browser/2"})
    assert clicked.status_code == 302 and clicked.headers["Location"] == "https://shop.example.org/order?id=7&x=1"
    events = {e.event: e for e in Event.select()}
    assert '"user_agent": "MailClient/1"' in events["opened"].details
    assert '"url": "https://shop.example.org/order?id=7&x=1"' in events["clicked"].details
    assert events["clicked"].recipient == "rob@example.net"


def test_forged_tokens_and_disabled_domains_are_404(send, deliver, sink, client, sender):
    _, message = delivered(send, deliver, sink)
    click = re.search(r'href="([^"]*/t/c/[^"]+)"', html_of(message))[1]
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

    page = client.get(https)
    assert page.status_code == 200 and b"rob@example.net" in page.data and b"<form method=post>" in page.data
    assert not Event.select().where(Event.event == "unsubscribed").exists()  # a GET changes nothing
    assert client.post(https, data={}).status_code == 404
    done = client.post(https, data={"List-Unsubscribe": "One-Click"})  # no cookie, no login
    assert done.status_code == 200
    assert client.post(https, data={"confirm": "1"}).status_code == 200  # idempotent
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


# One tenant's links never work under another tenant's tracking host (issue 16, finding 10)

def test_a_token_works_only_under_its_own_tracking_host_or_the_installations(
        api, send, deliver, sink, client, sender, bob, dns_server, unsubscribing):
    from services import verification

    api(sender.account, "EmailGateway.VerifyDomain", DomainID=sender.domain.id)
    other = domains.add(bob.user, "bob.example")  # a second tenant with its own verified tracking host
    domains.set_status(other, "Enabled")
    publish(dns_server.zone, other)
    verification.verify(other)
    assert engagement.base_url(SenderDomain.get_by_id(other.id)) == "https://track-gp.bob.example"

    _, message = delivered(send, deliver, sink)
    html = html_of(message)
    click = re.search(r'href="(https://track-gp\.example\.com/t/c/[^"]+)"', html)[1]
    pixel = re.search(r'src="(https://track-gp\.example\.com/t/o/[^"]+)"', html)[1]
    page = re.search(r'href="(https://track-gp\.example\.com/t/u/[^"]+)"', html)[1]
    tracked = {"click": click, "pixel": pixel, "page": page}

    for host in ("track-gp.bob.example", "TRACK-GP.bob.example.", "evil.example", "[::1]", "track-gp.example.com.evil"):
        for name, url in tracked.items():
            assert client.get(url.replace("track-gp.example.com", host)).status_code == 404, (host, name)
        assert client.post(page.replace("track-gp.example.com", host),
                           data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert not Event.select().where(Event.event.in_(["opened", "clicked", "unsubscribed"])).exists()

    # its own host (any case, a port, a trailing dot) and the installation's host both work
    for host in ("track-gp.example.com", "Track-GP.Example.com:8443", "track-gp.example.com.",
                 config.current().tracking_host):
        assert client.get(click.replace("track-gp.example.com", host)).status_code == 302, host
        assert client.get(pixel.replace("track-gp.example.com", host)).status_code == 200, host
        assert client.get(page.replace("track-gp.example.com", host)).status_code == 200, host


# Repeats collapse, counted (finding 14)

@pytest.fixture
def receiver():
    from tests.http_receiver import Receiver

    server = Receiver()
    yield server
    server.stop()


def test_repeated_opens_and_clicks_collapse_to_one_event_a_minute_with_a_count(
        api, send, deliver, sink, client, sender, receiver):
    from services import webhook_deliveries

    config.use(config.current().replace(webhook_allow_private=True))
    for kind in ("open", "click"):
        api(sender.account, "EmailGateway.AddWebhook", DomainID=sender.domain.id, Event=kind,
            WebhookURL=f"{receiver.url}/{kind}")
    _, message = delivered(send, deliver, sink, html=(
        '<html><body><a href="https://a.example.org/">a</a> <a href="https://b.example.org/">b</a></body></html>'))
    html = html_of(message)
    pixel = re.search(r'src="([^"]*/t/o/[^"]+)"', html)[1]
    link_a, link_b = re.findall(r'href="([^"]*/t/c/[^"]+)"', html)

    for _ in range(100):
        assert client.get(pixel).status_code == 200
    for _ in range(5):
        assert client.get(link_a).headers["Location"] == "https://a.example.org/"
    assert client.get(link_b).headers["Location"] == "https://b.example.org/"

    def counts(event):
        return [json.loads(e.details)["count"] for e in Event.select().where(Event.event == event).order_by(Event.id)]

    assert counts("opened") == [100]
    assert sorted((json.loads(e.details)["url"], json.loads(e.details)["count"])
                  for e in Event.select().where(Event.event == "clicked")) == [
        ("https://a.example.org/", 5), ("https://b.example.org/", 1)]
    posted = 0
    while handled := webhook_deliveries.run_once("webhooks"):
        posted += handled
    assert posted == 3 and sorted(r.path for r in receiver.received) == ["/click", "/click", "/open"]

    clock.shift(seconds=61)  # a minute on: the next open is an event of its own
    client.get(pixel)
    client.get(pixel)
    assert counts("opened") == [100, 2]


# Control characters in a tracked href (finding 11)

def test_a_crlf_in_an_href_never_reaches_a_location_header(send, deliver, sink, client):
    _, message = delivered(send, deliver, sink, html=(
        '<a href="https://shop.example.org/a&#13;&#10;Set-Cookie: s=1">split</a> '
        '<a href="https://shop.example.org/\x0bb">vt</a> <a href="https://shop.example.org/caf\u00e9?q=\u2603">idn</a>'))
    html = html_of(message)
    clicks = re.findall(r'href="([^"]*/t/c/[^"]+)"', html)
    assert len(clicks) == 2 and 'href="https://shop.example.org/\x0bb"' in html  # the vertical tab: left alone
    locations = [client.get(url).headers["Location"] for url in clicks]
    assert locations == ["https://shop.example.org/aSet-Cookie:%20s=1", "https://shop.example.org/caf%C3%A9?q=%E2%98%83"]


def test_a_signed_url_with_a_crlf_is_a_404_and_records_nothing(send, deliver, sink, client):
    from services import tracking

    _, message = delivered(send, deliver, sink)
    click = re.search(r'href="([^"]*/t/c/[^"]+)"', html_of(message))[1]
    delivery_id = tracking.read("c", click.rpartition("/")[2])[0]
    for url in ("https://shop.example.org/\r\nSet-Cookie: s=1", "https://shop.example.org/\x00", "javascript:alert(1)"):
        forged = click.rpartition("/")[0] + "/" + tracking.token("c", delivery_id, url)  # as an older release signed it
        assert client.get(forged).status_code == 404
    assert not Event.select().where(Event.event == "clicked").exists()
