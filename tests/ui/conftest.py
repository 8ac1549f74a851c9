"""A signed-in dashboard over the Flask test client: `dash.get` and `dash.post` (which carries
the session's CSRF token, as every form of the dashboard does)."""
from __future__ import annotations

import re

import pytest

import config
from services import webhook_deliveries
from tests.http_receiver import Receiver


class Dashboard:
    def __init__(self, client):
        self.client = client

    def csrf(self) -> str:
        with self.client.session_transaction() as session:
            return session.get("csrf", "")

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)

    def sign_in(self, email: str, password: str):
        self.client.get("/ui/login")
        return self.post("/ui/login", {"email": email, "password": password})

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.data[:500])
        return response.get_data(as_text=True)


def hidden_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


@pytest.fixture
def dash(client, alice):
    """Alice signed in."""
    board = Dashboard(client)
    assert board.sign_in(alice.user.email, alice.password).status_code == 302
    return board


@pytest.fixture
def bob_dash(app, bob):
    board = Dashboard(app.test_client())
    assert board.sign_in(bob.user.email, bob.password).status_code == 302
    return board


@pytest.fixture
def receiver(settings):
    """A webhook receiver on loopback (private addresses allowed for it)."""
    server = Receiver()
    config.use(config.current().replace(webhook_allow_private=True))
    yield server
    server.stop()


def post_webhooks() -> int:
    """What a worker does for the webhook outbox, until nothing is due."""
    total = 0
    while handled := webhook_deliveries.run_once("ui-tests"):
        total += handled
    return total
