"""The SendPulse dialect's fixtures: Alice (example.com Enabled, its DNS published) with a
`sendpulse` client credential, a bearer token bought with it, and `sp(method, path, ...)`
calling the app with that token."""
import pytest

import config
from services import credentials


@pytest.fixture(autouse=True)
def roomy_budget(settings):
    """The per-account budget is counted process-wide by user id, which the next test may reuse
    within the same second: tests get a large one; the budget's own test sets SendPulse's."""
    config.use(config.current().replace(sendpulse_rate_limit="1000 per second"))


@pytest.fixture
def client_credentials(sender) -> dict:
    return credentials.issue(sender.account.user, "sendpulse")[1]


@pytest.fixture
def token(client, client_credentials) -> str:
    answer = client.post("/oauth/access_token", json={"grant_type": "client_credentials", **client_credentials})
    assert answer.status_code == 200, answer.data
    return answer.json["access_token"]


@pytest.fixture
def sp(client, token):
    def call(method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call
