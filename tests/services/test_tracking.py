"""Tracking tokens and the per-delivery rewrite of composed messages, read back with the stdlib parser."""
import base64
import datetime
import email
import email.policy
import re

import pytest

import config
from services import tracking
from services.compose import Address, Attachment, Draft, compose
from services.tracking import Tracking, personalise, read, token

BASE = "https://track-gp.example.com"
DATE = datetime.datetime(2025, 3, 4, 5, 6, 7)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PDF = b"%PDF-1.4\r\n" + bytes(range(255, -1, -1)) * 40


@pytest.fixture(autouse=True)
def secret(tmp_path):
    previous = config._current
    config.use(config.Settings(var_dir=tmp_path, database_url="sqlite://", secret_key="test-secret-key"))
    yield
    config.use(previous)


def track(opens=False, clicks=False, unsubscribe=False, **kw) -> Tracking:
    return Tracking(BASE, 42, opens=opens, clicks=clicks, unsubscribe=unsubscribe, **kw)


def message(**fields) -> bytes:
    return compose(Draft(**{"sender": Address("news@example.com", "Example News"), "to": (Address("ann@example.org"),),
                            "subject": "Your receipt", "message_id": "<m1@example.com>", **fields}), DATE)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def part(raw: bytes, content_type: str):
    return next(p for p in parse(raw).walk() if p.get_content_type() == content_type)


def content(raw: bytes, content_type: str) -> str:
    return part(raw, content_type).get_content().replace("\r\n", "\n")


def clicks_in(html: str) -> list[str]:
    """Where each tracked link goes, read back from its token."""
    return [read("c", t)[1] for t in re.findall(rf'{re.escape(BASE)}/t/c/([A-Za-z0-9_-]+)', html)]


# Tokens

@pytest.mark.parametrize("kind,url", [("o", ""), ("c", "https://shop.example.com/o/1?a=1&b=2"), ("u", "")])
def test_token_round_trip_per_kind(kind, url):
    made = token(kind, 123456789, url)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", made)
    assert read(kind, made) == (123456789, url)


def test_tokens_are_short_and_deterministic():
    assert len(token("o", 1)) < 30 and len(token("u", 2 ** 63)) < 40
    assert len(token("c", 7, "https://x.test/")) < 50
    assert token("c", 7, "https://x.test/") == token("c", 7, "https://x.test/")
    assert token("c", 7, "https://x.test/") != token("c", 8, "https://x.test/")
    assert read("o", token("o", 0)) == (0, "")


def test_token_depends_on_the_secret_key(tmp_path):
    made = token("o", 5)
    config.use(config.Settings(var_dir=tmp_path, database_url="sqlite://", secret_key="another key"))
    assert read("o", made) is None


def test_kind_confusion_is_refused():
    click = token("c", 9, "https://x.test/")
    assert read("u", click) is None and read("o", click) is None
    assert read("c", token("u", 9)) is None
    assert read("x", click) is None and read("", click) is None


def _forge(delivery_id: int, url: str, mac: str) -> str:
    size = max(1, (delivery_id.bit_length() + 7) // 8)
    payload = bytes([size]) + delivery_id.to_bytes(size, "big") + url.encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + mac


def test_tampered_tokens_read_as_none():
    good = token("c", 42, "https://shop.example.com/")
    mac = good[-22:]
    forged = [
        _forge(43, "https://shop.example.com/", mac),  # changed id, old MAC
        _forge(42, "https://evil.example.net/", mac),  # changed URL, old MAC
        good[:-1], good[:-22], good[22:], good[1:], good + "A", good + "==",
        good[:-1] + ("A" if good[-1] != "A" else "B"),
        ("B" if good[0] != "B" else "C") + good[1:],
        good.upper(), good.lower(), good.replace("-", "+").replace("_", "/"),
        "", "A", "A" * 22, "A" * 23, "!!!!", "not a token at all", "é" * 40, good[:-1] + "é",
        good + "\n", " " + good, good + ".gif", "A" * 100_000, "\x00" * 30,
    ]
    for bad in forged:
        assert read("c", bad) is None, bad
    assert read("c", None) is None and read("c", b"bytes") is None
    assert read("c", good) == (42, "https://shop.example.com/")


def test_every_single_character_change_is_detected():
    good = token("c", 42, "https://shop.example.com/p?x=1")
    for i in range(len(good)):
        for replacement in "AQw_-9":
            if replacement != good[i]:
                assert read("c", good[:i] + replacement + good[i + 1:]) is None, (i, replacement)


def test_long_and_unicode_urls_are_kept_exactly():
    long = "https://shop.example.com/p?" + "&".join(f"k{i}=v%20{i}" for i in range(150))
    idn = "https://bücher.example/straße?q=%C3%BC%2f&x=ü#frag"
    for url in (long, idn, "http://xn--bcher-kva.example/%7Euser/"):
        assert read("c", token("c", 1, url)) == (1, url)
    assert len(token("c", 1, long)) < len(long.encode()) * 4 / 3 + 30


def test_bad_inputs_to_token_raise():
    for args in (("x", 1), ("c", -1), ("c", 2 ** 64), ("o", "1")):
        with pytest.raises(ValueError):
            token(*args)
    with pytest.raises(ValueError):
        token("c", 1, "https://x.test/" + "a" * 5000)


# HTML rewriting

def rewrite(html: str, **flags) -> str:
    return tracking.rewrite_html(html, track(**flags))


def test_http_links_are_rewritten_whatever_the_quoting_and_case():
    html = ('<p><a href="https://a.test/1">one</a> <A HREF=\'http://b.test/2\' class="x">two</A> '
            '<a class=y href=https://c.test/3>three</a> <area shape="rect" href="HTTPS://d.test/4"> '
            '<a href="https://e.test/5"/></p>')
    out = rewrite(html, clicks=True)
    assert clicks_in(out) == ["https://a.test/1", "http://b.test/2", "https://c.test/3", "HTTPS://d.test/4",
                              "https://e.test/5"]
    assert "a.test" not in out and "b.test" not in out
    assert '<a href="' + BASE + '/t/c/' in out and 'class="x"' in out and 'class="y"' in out
    assert '<area shape="rect" href="' in out and out.endswith('/></p>')
    assert '>two</A>' in out  # end tags as they were


def test_untracked_links_are_left_byte_for_byte():
    html = ('<a href="mailto:ann@example.org">m</a><a href="tel:+1555">t</a><a href="#top">#</a>'
            '<a href="/relative/path">r</a><a href="page.html">r2</a><a href="">e</a><a href>none</a><a>bare</a>'
            '<a href="//cdn.test/x">pr</a><a href="javascript:void(0)">js</a>'
            '<a href="https://keep.test/" data-gatepost-notrack>n1</a>'
            '<a gatepost-notrack="yes" href="https://keep.test/2">n2</a>'
            '<a href="https://keep.test/3" DATA-GATEPOST-NOTRACK="">n3</a>')
    assert rewrite(html, clicks=True) == html


def test_entities_in_hrefs_are_decoded_in_the_token_and_escaped_in_the_tag():
    out = rewrite('<a href="https://x.test/?a=1&amp;b=2" title="&quot;hi&quot; &lt;3">x</a>', clicks=True)
    assert clicks_in(out) == ["https://x.test/?a=1&b=2"]
    assert 'title="&quot;hi&quot; &lt;3"' in out


def test_everything_but_the_changed_tags_is_byte_for_byte():
    head = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">\r\n<html><head>'
            '<style>a[href^="https://"] { color: red } /* <a href="https://no.test/"> */</style>'
            '<script>if (a < b && c > d) { document.write("<a href=\'https://no.test/\'>") }</script>'
            '</head>\r\n<body>\n<!-- <a href="https://comment.test/"> -->\n<?php echo 1 ?>'
            '<p>Caf&eacute; &amp; &#233; &#xE9; &nbsp;&copy &unknown; 5 < 6 &amp tea</p>\n<a href="')
    tail = ('">link</a>\n<![CDATA[ x ]]><br/><IMG SRC="https://img.test/x.png" ALT=\'\'>\n</body>\n</html>\n')
    out = rewrite(head + "https://shop.test/" + tail, clicks=True)
    assert out.startswith(head) and out.endswith(tail)
    assert clicks_in(out) == ["https://shop.test/"]


def test_open_pixel_goes_before_body_end_or_at_the_end():
    out = rewrite("<html><body><p>Hi</p></BODY></html>", opens=True)
    pixel = re.search(r'<img src="([^"]+)" width="1" height="1" alt="" style="display:none;border:0" /></BODY>', out)
    assert pixel and out.startswith("<html><body><p>Hi</p><img ")
    opened = pixel.group(1)
    assert opened.startswith(f"{BASE}/t/o/") and opened.endswith(".gif")
    assert read("o", opened[len(BASE) + 5:-4]) == (42, "")
    assert rewrite("<p>Hi</p>", opens=True).startswith('<p>Hi</p><img src="')
    assert rewrite("<p>Hi</p>", opens=True).endswith("/>")
    assert rewrite("<p>a</p><script>'</body>'</script></body>", opens=True).endswith('" /></body>')


def test_unsubscribe_footer_is_not_click_tracked():
    out = rewrite("<body><p>Hi <a href='https://a.test/'>a</a></p></body>", clicks=True, opens=True, unsubscribe=True)
    assert clicks_in(out) == ["https://a.test/"]
    footer = re.search(rf'<p style="[^"]*"><a href="({re.escape(BASE)}/t/u/([^"]+))"[^>]*>Unsubscribe</a></p><img ',
                       out)
    assert footer and read("u", footer.group(2)) == (42, "")
    assert out.endswith("</body>")
    localised = rewrite("<body></body>", unsubscribe=True, unsubscribe_text="Se désabonner <ici>")
    assert ">Se désabonner &lt;ici&gt;</a>" in localised


# Whole messages

def unsubscribe_url(raw: bytes) -> str:
    match = re.search(rb"List-Unsubscribe: <([^>]+)>", raw)
    return match.group(1).decode()


def assert_headers_once(raw: bytes):
    parsed = parse(raw)
    for name in ("From", "To", "Subject", "Message-ID", "Date", "MIME-Version"):
        assert len(parsed.get_all(name)) == 1, name
    assert parsed["Subject"] == "Your receipt" and parsed["Message-ID"] == "<m1@example.com>"
    assert parsed["From"] == "Example News <news@example.com>" and not parsed.defects


def test_nothing_enabled_returns_the_input():
    raw = message(html='<a href="https://x.test/">x</a>')
    assert personalise(raw, track()) is raw
    text_only = message(text="hello https://x.test/\n")
    assert personalise(text_only, track(opens=True, clicks=True)) is text_only


def test_alternative_message_gets_everything():
    html = '<html><body><p>Héllo <a href="https://shop.example.com/o/1?a=1&amp;b=2">order</a></p></body></html>'
    raw = message(html=html, text="Héllo, see https://shop.example.com/o/1\n")
    out = personalise(raw, track(opens=True, clicks=True, unsubscribe=True),
                      unsubscribe_mailto="unsub+t1@gp.example.com")
    assert_headers_once(out)
    parsed = parse(out)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_all("List-Unsubscribe") == [f"<{unsubscribe_url(out)}>, <mailto:unsub+t1@gp.example.com>"]
    assert parsed.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    url = unsubscribe_url(out)
    assert url.startswith(f"{BASE}/t/u/") and read("u", url.rsplit("/", 1)[1]) == (42, "")
    assert content(out, "text/plain") == f"Héllo, see https://shop.example.com/o/1\n\nUnsubscribe: {url}\n"
    rich = content(out, "text/html")
    assert clicks_in(rich) == ["https://shop.example.com/o/1?a=1&b=2"]
    assert rich.startswith("<html><body><p>Héllo <a href=") and rich.endswith(" /></body></html>\n")
    assert f'<a href="{url}"' in rich


def test_existing_list_unsubscribe_headers_are_replaced_and_mailto_is_optional():
    raw = message(text="hi\n", headers=(("List-Unsubscribe", "<https://old.test/u>"),
                                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")))
    out = personalise(raw, track(unsubscribe=True))
    parsed = parse(out)
    assert parsed.get_all("List-Unsubscribe") == [f"<{unsubscribe_url(out)}>"]
    assert len(parsed.get_all("List-Unsubscribe-Post")) == 1 and b"old.test" not in out
    with_scheme = personalise(raw, track(unsubscribe=True), "mailto:u@gp.example.com")
    assert parse(with_scheme)["List-Unsubscribe"].endswith(", <mailto:u@gp.example.com>")


def test_long_list_unsubscribe_stays_readable():
    long = Tracking(BASE + "/" + "p" * 100, 42, opens=False, clicks=False, unsubscribe=True)
    out = personalise(message(text="hi\n"), long, "unsubscribe+" + "t" * 90 + "@gp.example.com")
    assert b"=?" not in out.split(b"\r\n\r\n")[0]
    assert parse(out)["List-Unsubscribe"] == f"<{unsubscribe_url(out)}>, <mailto:unsubscribe+{'t' * 90}@gp.example.com>"


def test_text_only_message_gets_the_footer_and_headers():
    raw = message(text="Thanks for your order.")
    out = personalise(raw, track(opens=True, clicks=True, unsubscribe=True))
    assert_headers_once(out)
    parsed = parse(out)
    assert parsed.get_content_type() == "text/plain" and parsed.get_content_charset() == "utf-8"
    assert content(out, "text/plain") == f"Thanks for your order.\n\nUnsubscribe: {unsubscribe_url(out)}\n"
    assert "<img" not in out.decode()


def test_related_message_keeps_its_inline_image():
    html = '<body><img src="cid:logo@example.com"><a href="https://x.test/">x</a></body>'
    raw = message(html=html, attachments=(Attachment("logo.png", PNG, "image/png", "inline", "logo@example.com"),))
    out = personalise(raw, track(opens=True, clicks=True))
    assert_headers_once(out)
    assert [p.get_content_type() for p in parse(out).walk()] == \
        [p.get_content_type() for p in parse(raw).walk()] == \
        ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    image = part(out, "image/png")
    assert image.get_content() == PNG and image["Content-ID"] == "<logo@example.com>"
    rich = content(out, "text/html")
    assert '<img src="cid:logo@example.com">' in rich and clicks_in(rich) == ["https://x.test/"]
    assert content(out, "text/plain") == content(raw, "text/plain")  # no unsubscribe: untouched


def test_mixed_message_attachments_come_out_identical():
    html = '<p>Invoice: <a href="https://x.test/i/1">view</a></p>'
    notes = Attachment("notes.html", b'<a href="https://attached.test/">not a body</a>', "text/html")
    readme = Attachment("readme.txt", b"plain file\n", "text/plain")
    raw = message(html=html, text="Invoice attached.\n",
                  attachments=(Attachment("invoice.pdf", PDF, "application/pdf"), notes, readme))
    out = personalise(raw, track(opens=True, clicks=True, unsubscribe=True))
    assert_headers_once(out)
    before, after = parse(raw), parse(out)
    assert after.get_content_type() == "multipart/mixed"
    assert [a.get_content() for a in after.iter_attachments()] == [a.get_content() for a in before.iter_attachments()]
    assert list(after.iter_attachments())[0].get_content() == PDF
    assert [a.get_filename() for a in after.iter_attachments()] == ["invoice.pdf", "notes.html", "readme.txt"]
    body_html = after.get_body(("html",)).get_content()
    assert clicks_in(body_html) == ["https://x.test/i/1"] and "<img src=" in body_html
    assert after.get_body(("plain",)).get_content().replace("\r\n", "\n").endswith(
        f"\n\nUnsubscribe: {unsubscribe_url(out)}\n")


@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "8bit"])
def test_transfer_encodings_are_decoded_and_reencoded(cte):
    html = "<html><body><p>Ünïcödé " + "long line " * 20 + '<a href="https://x.test/ü">x</a></p></body></html>'
    envelope = email.message.EmailMessage(policy=email.policy.SMTP)
    envelope["From"], envelope["To"], envelope["Subject"] = "news@example.com", "ann@example.org", "Your receipt"
    envelope["Message-ID"], envelope["Date"] = "<m1@example.com>", "Tue, 04 Mar 2025 05:06:07 +0000"
    envelope.set_content("Plain", cte="quoted-printable")
    envelope.add_alternative(html, subtype="html", cte=cte)
    raw = envelope.as_bytes()
    out = personalise(raw, track(opens=True, clicks=True))
    rich = content(out, "text/html")
    assert clicks_in(rich) == ["https://x.test/ü"]
    assert rich.startswith("<html><body><p>Ünïcödé long line") and '<img src="' in rich
    assert content(out, "text/plain") == "Plain\n"
    assert part(out, "text/plain")["Content-Transfer-Encoding"] == "quoted-printable"  # untouched part


# Poison messages: charsets Python does not know, bytes their charset refuses, MIME the email package cannot write back

def raw_html(charset: str, body: bytes, cte: str = "8bit", headers: bytes = b"Subject: hi\r\n") -> bytes:
    return (b"From: news@example.com\r\nTo: ann@example.org\r\n" + headers + b"MIME-Version: 1.0\r\n"
            + f'Content-Type: text/html; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'.encode() + body)


@pytest.mark.parametrize("charset,body,text", [
    ("windows-874", b"\xca\xc7\xd1\xca\xb4\xd5", "สวัสดี"),  # WHATWG labels Python's codecs lack
    ("iso-8859-8-i", b"\xf9\xec\xe5\xed", "שלום"),
    ("x-mac-roman", b"caf\x8e", "café"),
    ("unknown-8bit", "naïve".encode(), "naïve"),  # an unknown label over UTF-8
    ("x-bogus", b"plain ascii", "plain ascii"),
])
def test_odd_charsets_are_decoded_and_rewritten(charset, body, text):
    raw = raw_html(charset, b'<html><body><p>' + body + b' <a href="https://x.test/1">x</a></p></body></html>')
    out = personalise(raw, track(opens=True, clicks=True))
    rewritten = part(out, "text/html")
    assert rewritten.get_content_charset() == "utf-8"
    html = rewritten.get_content()
    assert f"<p>{text} " in html and clicks_in(html) == ["https://x.test/1"] and "/t/o/" in html


@pytest.mark.parametrize("charset,cte", [("x-bogus", "8bit"), ("unknown-8bit", "quoted-printable"),
                                         ("utf-8", "8bit"), ("base64", "8bit"), ("rot13", "8bit")])
def test_a_part_that_cannot_be_read_exactly_goes_out_as_it_came(charset, cte):
    body = b'<p>caf\xe9 <a href="https://x.test/1">x</a></p>' if cte == "8bit" else b"<p>caf=E9 =FF</p>"
    raw = raw_html(charset, body, cte)
    out = personalise(raw, track(opens=True, clicks=True, unsubscribe=True), "u@gp.example.com")
    assert out.endswith(b"\r\n\r\n" + body)  # the body byte for byte, its charset label too
    assert f'charset="{charset}"'.encode() in out
    assert parse(out)["List-Unsubscribe"].startswith(f"<{BASE}/t/u/")  # the headers still come


def test_mime_the_email_package_cannot_write_back_is_returned_untouched():
    raw = (b"From: news@example.com\r\nTo: ann@example.org\r\nContent-Type: multipart/alternative\r\n\r\n"
           b"--b\r\nContent-Type: text/html; charset*=utf-8''%E9\r\n\r\n=E9=\r\n--b\r\n"
           b"Content-Type: text/plain; charset=x-bogus\r\n\r\n\xe9\r\n--b--\r\n")
    assert personalise(raw, track(opens=True, clicks=True, unsubscribe=True), "u@gp.example.com") is raw


def test_raw_8bit_and_undecodable_headers_do_not_stop_the_rewrite():
    raw = raw_html("utf-8", b'<a href="https://x.test/1">x</a>',
                   headers=b"Subject: caf\xe9 =?x-bogus?q?=E9?=\r\nX-Long: " + b"x" * 1200 + b"\r\n")
    out = personalise(raw, track(clicks=True))
    assert b"Subject: caf\xe9 =?x-bogus?q?=E9?=\r\n" in out and b"X-Long: " + b"x" * 1200 + b"\r\n" in out  # as they came
    assert clicks_in(part(out, "text/html").get_content()) == ["https://x.test/1"]


# Control characters in hrefs never reach a token (a CR/LF would split the redirect's Location header)

def test_line_breaks_in_an_href_go_as_a_browser_drops_them():
    out = rewrite('<a href="https://x.test/a\r\nSet-Cookie: s=1\tb">x</a>', clicks=True)
    assert clicks_in(out) == ["https://x.test/aSet-Cookie: s=1b"]


@pytest.mark.parametrize("href", ["https://x.test/\x00a", "https://x.test/\x0bb", "https://x.test/\x85c",
                                  "https://x.test/\u2028d", "https://x.test/\x7fe"])
def test_hrefs_with_other_control_characters_are_left_alone(href):
    html = f'<a href="{href}">x</a>'
    assert rewrite(html, clicks=True) == html
