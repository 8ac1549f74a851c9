"""Fixtures of the Kirim.Email dialect: an account with a `kirim` credential, HTTP Basic headers,
and Alice's example.com Enabled with its records published (the shared `sender` fixture)."""
from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from services import credentials


def basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@dataclass
class Kirim:
    username: str
    api_key: str

    @property
    def auth(self) -> dict:
        return basic(self.username, self.api_key)


@pytest.fixture
def kirim(sender):
    """Alice's `kirim` credential, as `gatepost credentials create --kind kirim --json` prints it."""
    _, shown = credentials.issue(sender.account.user, "kirim")
    return Kirim(shown["username"], shown["api_key"])
