"""Composing messages: the MIME tree, header encodings and the wire format, read back with the stdlib parser."""
import datetime
import email
import email.policy
import random
import re
import string

from services.compose import Address, Attachment, Draft, compose, compose_mime, html_to_text

DATE = datetime.datetime(2025, 3, 4, 5, 6, 7)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def draft(**fields) -> Draft:
    return Draft(**{"sender": Address("news@example.com", "Example News"), "to": (Address("ann@example.org"),),
                    "subject": "Your receipt", "message_id": "<m1@example.com>", **fields})


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(part) -> str:
    """A text part's content with the wire's CRLFs read back as newlines."""
    return part.get_content().replace("\r\n", "\n")


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_text_only_is_a_single_text_plain_part():
    message = parse(compose(draft(text="Thanks for your order.\n"), DATE))
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert text_of(message) == "Thanks for your order.\n"


def test_html_only_gets_a_text_alternative_generated_from_the_html():
    html = ("<html><head><title>Receipt</title><style>p { color: red }</style></head><body>"
            "<p>Hello <b>Ann</b>,</p><p>See <a href='https://shop.example.com/o/1'>your order</a>.<br>Thanks!</p>"
            "<ul><li>Tea</li><li>Cups</li></ul><script>track('secret')</script></body></html>")
    message = parse(compose(draft(html=html), DATE))
    assert message.get_content_type() == "multipart/alternative"
    text, rich = message.get_payload()
    assert rich.get_content_type() == "text/html" and text_of(rich) == html + "\n"
    plain = text_of(text)
    assert text.get_content_type() == "text/plain"
    assert "Hello Ann," in plain
    assert "your order (https://shop.example.com/o/1)." in plain
    assert ".\nThanks!" in plain and "- Tea\n- Cups" in plain
    assert "secret" not in plain and "color" not in plain and "Receipt" not in plain and "<" not in plain


def test_html_to_text_keeps_bare_links_once_and_decodes_entities():
    assert html_to_text('<a href="https://x.test/">https://x.test/</a> &amp; <a href="#top">top</a>') == \
        "https://x.test/ & top\n"


def test_html_and_text_become_alternatives_in_order():
    message = parse(compose(draft(text="plain words", html="<p>rich words</p>"), DATE))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.get_payload()] == ["text/plain", "text/html"]
    assert text_of(message.get_payload()[0]) == "plain words\n"


def test_an_inline_image_sits_beside_the_html_in_multipart_related():
    logo = Attachment("logo.png", PNG, "image/png", disposition="inline", content_id="logo@example.com")
    message = parse(compose(draft(text="hi", html='<img src="cid:logo@example.com">', attachments=(logo,)), DATE))
    assert message.get_content_type() == "multipart/alternative"
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<logo@example.com>"
    assert image.get_content_disposition() == "inline" and image.get_content() == PNG


def test_a_regular_attachment_wraps_everything_in_multipart_mixed():
    report = Attachment("report.pdf", b"%PDF-1.7\x00\xff" * 50, "application/pdf")
    message = parse(compose(draft(text="see attached", html="<p>see attached</p>", attachments=(report,)), DATE))
    assert message.get_content_type() == "multipart/mixed"
    body, attached = message.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert attached.get_content_disposition() == "attachment" and attached.get_filename() == "report.pdf"
    assert attached.get_content_type() == "application/pdf" and attached.get_content() == report.content
    assert [part.get_content_type() for part in message.iter_attachments()] == ["application/pdf"]


def test_attachment_filenames_may_be_non_ascii():
    raw = compose(draft(text="x", attachments=(Attachment("Übersicht März.txt", b"data", "text/plain"),)), DATE)
    assert raw.isascii()
    assert next(parse(raw).iter_attachments()).get_filename() == "Übersicht März.txt"


def test_non_ascii_subject_and_display_names_are_encoded_words_on_the_wire():
    raw = compose(draft(sender=Address("news@example.com", "Zoë Ünïcode, Ltd"), subject="Grüße — ваш заказ", text="x",
                        to=(Address("jose@example.org", "José Núñez"),)), DATE)
    assert raw.isascii() and b"=?utf-8?" in header_block(raw)
    message = parse(raw)
    assert message["Subject"] == "Grüße — ваш заказ"
    assert message["From"].addresses[0].display_name == "Zoë Ünïcode, Ltd"
    assert message["To"].addresses[0].display_name == "José Núñez"
    assert message["To"].addresses[0].addr_spec == "jose@example.org"


def test_an_idn_domain_goes_out_as_punycode():
    raw = compose(draft(sender=Address("info@bücher.example"), to=(Address("kim@münchen.example", "Kim"),), text="x"),
                  DATE)
    message = parse(raw)
    assert message["From"].addresses[0].addr_spec == "info@xn--bcher-kva.example"
    assert message["To"].addresses[0].addr_spec == "kim@xn--mnchen-3ya.example"
    assert b"<kim@xn--mnchen-3ya.example>" in header_block(raw)


def test_headers_addresses_and_their_order():
    raw = compose(draft(to=(Address("ann@example.org", "Ann"), Address("bob@example.org")),
                        cc=(Address("cat@example.org"),), reply_to=(Address("help@example.com", "Help"),),
                        headers=(("List-Unsubscribe", "<https://example.com/u/1>"), ("X-Campaign", "spring")),
                        text="x"), DATE)
    message = parse(raw)
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.org", "bob@example.org"]
    assert message["Cc"] == "cat@example.org" and message["Reply-To"] == "Help <help@example.com>"
    assert message["Message-ID"] == "<m1@example.com>"
    assert message["Date"] == "Tue, 04 Mar 2025 05:06:07 +0000"
    assert message["Date"].datetime == DATE.replace(tzinfo=datetime.UTC)
    assert message["MIME-Version"] == "1.0"
    assert message["List-Unsubscribe"] == "<https://example.com/u/1>" and message["X-Campaign"] == "spring"
    names = [name for name, _ in message.items()]
    assert names[:9] == ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
                         "List-Unsubscribe"]


def test_to_cc_and_reply_to_only_when_given_and_never_a_bcc():
    for fields in ({"text": "x"}, {"html": "<p>x</p>", "cc": (Address("cc@example.org"),),
                                   "attachments": (Attachment("a.bin", b"\x00"),)}):
        raw = compose(draft(**fields), DATE)
        names = {line.split(b":", 1)[0].lower() for line in raw.split(b"\r\n") if b":" in line}
        assert b"bcc" not in names
    assert b"\r\ncc:" not in header_block(compose(draft(text="x"), DATE)).lower()
    assert b"\r\nreply-to:" not in header_block(compose(draft(text="x"), DATE)).lower()
    assert b"\r\nto:" not in header_block(compose(draft(to=(), text="x"), DATE)).lower()


def test_every_line_ends_in_crlf():
    raw = compose(draft(subject="a long subject " * 10, text="one\ntwo\r\nthree\n", html="<p>" + "word " * 400 + "</p>",
                        attachments=(Attachment("a.bin", bytes(range(256)) * 20),)), DATE)
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.count(b"\r") == raw.count(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


BODIES = ["", "a", "hello\n", "x" * 78, "x" * 79, "é" * 10, "a\r\nb\rc\nd", "line\n" * 30, "é\n" * 30,
          "<p>" + "y" * 200 + "</p>", "\x0b\x0cz", "From here\n.\n", "a \n b\t\n", "é" + "x" * 100, "\u2028x"]


def same_but_boundaries(a: bytes, b: bytes) -> bool:
    boundary = re.compile(rb"=_[0-9a-f]{32}")
    return boundary.sub(b"B", a) == boundary.sub(b"B", b)


def test_plain_drafts_are_written_byte_for_byte_as_the_email_package_writes_them():
    """The direct writer (short printable-ASCII headers, no attachment) against the package, on
    drafts of every shape: names and subjects of any printable ASCII, bodies of every encoding."""
    rnd = random.Random(14)

    def words(n):
        return " ".join("".join(rnd.choice(string.printable[:94]) for _ in range(rnd.randint(1, 6)))
                        for _ in range(rnd.randint(0, n)))

    plain = 0
    for _ in range(600):
        d = draft(sender=Address(rnd.choice(["shop@example.com", "x+y@d-e.example"]), words(3)),
                  to=tuple(Address(rnd.choice(["rob@example.net", "a.b@c.d"]), words(2)) for _ in range(rnd.randint(0, 2))),
                  cc=(Address("c@example.org", words(2)),) if rnd.random() < .2 else (),
                  reply_to=(Address("r@example.org"),) if rnd.random() < .2 else (), subject=words(10),
                  html=rnd.choice(BODIES) if rnd.random() < .6 else None, text=rnd.choice(BODIES) if rnd.random() < .6 else None,
                  headers=tuple((rnd.choice(["X-Foo", "Keywords", "X-Campaign"]), words(6))
                                for _ in range(rnd.randint(0, 2))))
        composed = compose(d, DATE)
        assert same_but_boundaries(composed, compose_mime(d, DATE)), d
        plain += b"=?" not in header_block(composed) and b"\r\n " not in header_block(composed).replace(b"\r\n boundary=", b"")
    assert plain > 200  # most drafts took the direct way


def test_drafts_the_direct_writer_declines_still_compose():
    for d in (draft(subject="Ünïcode", html="<p>x</p>"), draft(subject="s" * 90, text="x"),
              draft(sender=Address("news@example.com", "J. Smith"), text="x"), draft(subject="=?utf-8?q?x?=", text="x"),
              draft(to=(Address("ann@bücher.example"),), text="x"), draft(headers=(("Resent-To", "a@b.c"),), text="x")):
        assert same_but_boundaries(compose(d, DATE), compose_mime(d, DATE))
