"""The gatepost command, run through click's runner against the test database."""
import json

import pytest
from click.testing import CliRunner

import cli
from models import User
from services import accounts


@pytest.fixture
def run(settings):
    """The CLI reads config.current(), which the settings fixture points at the test database."""
    return lambda *args: CliRunner().invoke(cli.main, list(args))


def test_user_create_json_list_and_disable(run, api):
    result = run("user", "create", "--email", "ops@example.com", "--password", "pw", "--max-domains", "3", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert {"UserID", "Username", "APIKey"} <= set(info) and info["Username"] == "ops@example.com"
    user = User.get_by_id(info["UserID"])
    assert user.domain_limit == 3 and accounts.user_by_api_key(info["APIKey"]).id == user.id
    listed = json.loads(run("user", "list", "--json").output)
    assert [(u["Username"], u["Status"], u["MaxSenderDomains"]) for u in listed] == [("ops@example.com", "Enabled", 3)]
    assert run("user", "disable", "--email", "ops@example.com").exit_code == 0
    assert User.get_by_id(info["UserID"]).status == "Disabled"
    assert run("user", "create", "--email", "ops@example.com", "--password", "x").exit_code != 0


def test_group_create_and_assign(run):
    assert run("group", "create", "Strict", "--max-domains", "1", "--manual-approval").exit_code == 0
    result = run("user", "create", "--email", "s@example.com", "--password", "pw", "--group", "Strict", "--json")
    user = User.get_by_id(json.loads(result.output)["UserID"])
    assert user.group.name == "Strict" and user.group.manual_domain_approval and user.domain_limit == 1
    assert run("user", "create", "--email", "t@example.com", "--password", "pw", "--group", "Nope").exit_code != 0
