"""What a sender key remembers of itself (its row, domain, owner and group, reused for a few
seconds: the lookup was a quarter of an accept) is forgotten the moment this process changes
any of them: a suspended domain, a disabled owner, a deleted or replaced key count at once."""
from models import DomainAPIKey
from services import accounts, api_keys, domains


def codes(response) -> list[int]:
    return [e["Code"] for e in response.json.get("Errors", [])]


def test_a_suspended_domain_is_refused_at_once(send, sender):
    assert send().status_code == 200
    domains.set_status(sender.domain, "Suspended")
    assert codes(send()) == [32]
    domains.set_status(sender.domain, "Enabled")
    assert send().status_code == 200


def test_a_disabled_owner_is_refused_at_once(send, sender):
    assert send().status_code == 200
    accounts.set_status(sender.account.user, "Disabled")
    assert codes(send()) == [12]


def test_a_deleted_or_replaced_key_is_refused_at_once(send, sender):
    assert send().status_code == 200
    row = DomainAPIKey.get(DomainAPIKey.domain == sender.domain)
    api_keys.delete(sender.account.user, row.id)
    assert codes(send()) == [13]
    _, key = api_keys.add(sender.account.user, sender.domain.id, "second")
    assert send(key=key).status_code == 200
    _, third = api_keys.replace(sender.account.user, sender.domain.id, "third")
    assert codes(send(key=key)) == [13] and send(key=third).status_code == 200


def test_a_deleted_domain_takes_its_keys_at_once(send, sender):
    assert send().status_code == 200
    domains.delete(sender.account.user, sender.domain.id)
    assert codes(send()) == [13]


def test_last_use_is_still_recorded_while_remembered(send, sender):
    assert send().status_code == 200 and send().status_code == 200
    assert DomainAPIKey.get(DomainAPIKey.domain == sender.domain).last_used_at is not None
