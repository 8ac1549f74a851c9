"""A real HTTP server on loopback that receives webhooks, checks their signature as a user's
code would, and fails on demand, or trickles its answer like a hostile endpoint."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def verify(received: Received, key: str, tolerance: int | None = None, now: int | None = None) -> bool:
    """The README's verification: HMAC-SHA256 over "<t>.<raw body>", any v1 may match."""
    parts = [p.split("=", 1) for p in received.headers["X-Gatepost-Signature"].split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    if tolerance is not None and abs(now - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(key.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


class Receiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, trickle: float | None = None, delay: float = 0.0):
        """`trickle`: answer 200 with a 1000-byte body sent one byte every `trickle` seconds,
        until the client hangs up (`cut` is set then). `delay`: think this long before answering."""
        self.received: list[Received] = []
        self.answers: list[int] = []  # statuses to answer next, in order; then 200
        self.lock = threading.Lock()
        self.cut = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if trickle is not None:
                    return self.trickle()
                time.sleep(delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope " * 1000)

            def trickle(self):
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    try:
                        self.wfile.write(b".")
                        self.wfile.flush()
                        if self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                            break  # end of file: the client hung up
                    except BlockingIOError:  # the client is still there, waiting for more
                        time.sleep(trickle)
                    except OSError:
                        break
                else:
                    return
                receiver.cut.set()

            def log_message(self, *args):
                pass

        server_class = ThreadingHTTPServer
        if ":" in host:
            server_class = type("ThreadingHTTPServer6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self.server = server_class((host, port), Handler)
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
