"""Outbound HTTP to user-supplied URLs: the strict parse, the address rules, the pinned connection
(Host header, SNI and certificate check for the name) and the total deadline, against real
servers on loopback."""
import ipaddress
import socket
import ssl
import threading

import pytest

from services import outbound_http
from smtp import certificates
from tests.http_receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080\\@hooks.example.com/h",  # urllib3 ends the host at the backslash
    "http://hooks.example.com\\@127.0.0.1/h",
    "http://user:secret@hooks.example.com/h",
    "http://hooks.example.com@127.0.0.1/h",
    "http://@hooks.example.com/h",
    "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://127.1/", "http://0177.0.0.1/",
    "http://127.000.0.1/", "http://1.2.3.4.5/", "http://hooks.example.com./", "http://127.0.0.1./",
    "http://a..example.com/", "http://-a.example.com/", "http://h%6foks.example.com/", "http://[::1%25lo]/",
    "http://[::1/", "http://[1.2.3.4]/", "http://hooks.example.com:/", "http://hooks.example.com:0/",
    "http://hooks.example.com:65536/", "http://hooks.example.com:080/", "http://hooks.example.com:+80/",
    "http://hooks.example.com\t/", "http://hooks.example.com/a b", "http://hooks.example.com/\x00",
    "http://hooks.example.com/\x0b", "http://hooks.example.com/\u0085", "http://hooks\u3002example.com/",
    "http://ｈooks.example.com/", "ftp://hooks.example.com/", "//hooks.example.com/", "http:/hooks.example.com/",
    "http://" + "a" * 64 + ".example.com/", "http://" + "abcdefghi." * 26 + "com/",
])
def test_urls_parsers_could_read_differently_are_refused(url):
    with pytest.raises(outbound_http.InvalidURL):
        outbound_http.parse(url)


def test_a_plain_url_is_read_into_the_parts_the_connection_uses():
    target = outbound_http.parse("HTTPS://Hooks.Example.com:8443/a/b@c?x=1&y=%20#frag")
    assert (target.scheme, target.host, target.port, target.path, target.ip) == \
        ("https", "hooks.example.com", 8443, "/a/b@c?x=1&y=%20", None)
    assert outbound_http.parse("http://[2606:4700:0::1]").ip == ipaddress.ip_address("2606:4700::1")
    assert outbound_http.parse("http://93.184.216.34?q").path == "/?q"
    longest = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters, labels of 63: the most DNS holds
    assert outbound_http.parse(f"http://{longest}/").host == longest


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:4700::1", True), ("::ffff:93.184.216.34", True),
    ("64:ff9b::93.184.216.34", True), ("2002:5db8:d822::1", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("100.64.0.1", False), ("169.254.169.254", False), ("::1", False),
    ("::127.0.0.1", False),  # IPv4-compatible
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),  # IPv4-mapped
    ("::ffff:0:127.0.0.1", False),  # IPv4-translated
    ("64:ff9b::127.0.0.1", False), ("64:ff9b::a9fe:a9fe", False),  # NAT64 to loopback, to the metadata service
    ("64:ff9b:1::93.184.216.34", False),  # local-use NAT64
    ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
])
def test_embedded_ipv4_counts_as_what_it_embeds(address, public):
    assert outbound_http.public(ipaddress.ip_address(address)) is public


def test_the_connection_goes_to_the_given_address_with_the_name_as_host(receiver):
    port = receiver.server.server_address[1]
    target = outbound_http.parse(f"http://hooks.example.net:{port}/h?x=1")  # no resolver knows this name
    answer = outbound_http.post(target, ["127.0.0.1"], b"{}", {"Content-Type": "application/json"}, 10)
    assert (answer.status, answer.text) == (200, "ok")
    assert receiver.received[0].headers["Host"] == f"hooks.example.net:{port}"
    assert receiver.received[0].path == "/h?x=1"


def test_the_next_checked_address_is_tried_when_one_refuses(receiver):
    port = receiver.server.server_address[1]
    target = outbound_http.parse(f"http://hooks.example.net:{port}/h")
    assert outbound_http.post(target, ["127.0.0.2", "127.0.0.1"], b"{}", {}, 10).status == 200  # .2 listens not
    with pytest.raises(outbound_http.Failure, match="^ConnectionError: .*127.0.0.2"):
        outbound_http.post(target, ["127.0.0.2"], b"{}", {}, 10)


def test_a_trickling_answer_is_cut_at_the_deadline():
    slow = Receiver(trickle=0.2)  # 1000 bytes at one per 0.2 s: 200 s if let run
    try:
        with pytest.raises(outbound_http.Failure, match="^Timeout: no complete answer within 1 s"):
            outbound_http.post(outbound_http.parse(slow.url + "/h"), ["127.0.0.1"], b"{}", {}, 1)
        assert slow.cut.wait(10)  # the endpoint saw the connection go
        assert len(slow.received) == 1
    finally:
        slow.stop()


def test_a_silent_endpoint_is_cut_at_the_deadline():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        target = outbound_http.parse(f"http://hooks.example.net:{silent.getsockname()[1]}/h")
        with pytest.raises(outbound_http.Failure, match="^Timeout"):
            outbound_http.post(target, ["127.0.0.1"], b"{}", {}, 0.5)


def test_tls_uses_the_name_for_sni_and_the_certificate(tmp_path):
    """The TLS peer sees the URL's name as SNI although the socket went to 127.0.0.1, and an
    untrusted certificate fails the POST."""
    cert, key = certificates.self_signed(tmp_path, "hooks.example.net")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        with conn:
            try:
                context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    target = outbound_http.parse(f"https://hooks.example.net:{listener.getsockname()[1]}/h")
    with pytest.raises(outbound_http.Failure, match="^SSLError: .*certificate verify failed"):
        outbound_http.post(target, ["127.0.0.1"], b"{}", {}, 10)
    thread.join(10)
    listener.close()
    assert names == ["hooks.example.net"]
