"""An AutoRelay account: alice with sender domains yourdomain.com and domain.com (the seed's),
Enabled, and live and test keys."""
from dataclasses import dataclass

import pytest

from services import credentials, domains


@dataclass
class AutoRelay:
    account: object
    live: str
    test: str

    def headers(self, key: str | None = None) -> dict:
        return {"Authorization": f"Bearer {key or self.live}"}


@pytest.fixture
def relay(alice):
    for name in ("yourdomain.com", "domain.com"):
        domains.set_status(domains.add(alice.user, name), "Enabled")
    live = credentials.issue(alice.user, "autorelay")[1]["key"]
    test = credentials.issue(alice.user, "autorelay", test=True)[1]["key"]
    return AutoRelay(alice, live, test)
