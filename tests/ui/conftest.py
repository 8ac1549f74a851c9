"""A signed-in dashboard over the Flask test client: `dash.get` and `dash.post` (which carries
the session's CSRF token, as every form of the dashboard does)."""
from __future__ import annotations

import pytest

import config
from services import accounts, webhook_deliveries
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

    def enter_as(self, user) -> "Dashboard":
        """Signed in as `user` without the form (test_auth.py tests the form; this spares an argon2 verify)."""
        with self.client.session_transaction() as session:
            session["sid"], session["csrf"] = accounts.open_session(user), "test-csrf-token"
        return self

    def sign_in(self, email: str, password: str):
        self.client.get("/ui/login")
        return self.post("/ui/login", {"email": email, "password": password})

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.data[:500])
        return response.get_data(as_text=True)


@pytest.fixture
def dash(client, alice):
    """Alice signed in."""
    return Dashboard(client).enter_as(alice.user)


@pytest.fixture
def bob_dash(app, bob):
    return Dashboard(app.test_client()).enter_as(bob.user)


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
