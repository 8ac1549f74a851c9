"""Sender confirmation tokens: only the one made for a sender verifies it, and garbage never raises."""
import pytest

from services import domains, senders


@pytest.fixture
def sender(alice):
    domains.add(alice.user, "example.com")
    return senders.add(alice.user, "example.com", "News@Example.com", " News ")


def test_the_token_verifies_its_sender_only(sender, alice):
    assert (sender.email, sender.name) == ("news@example.com", "News")
    other = senders.add(alice.user, "example.com", "sales@example.com")
    token = senders.token(sender)
    ident, expires, mac = token.split(".")
    with pytest.raises(senders.BadConfirmation):
        senders.confirm(f"{other.id}.{expires}.{mac}")  # another sender's id under this MAC
    with pytest.raises(senders.BadConfirmation):
        senders.confirm(f"{ident}.{int(expires) + 1}.{mac}")  # a longer life
    assert senders.confirm(token).verified_at is not None
    assert senders.get(alice.user, "NEWS@example.com").verified_at is not None


@pytest.mark.parametrize("garbage", ["", ".", "..", "1.2", "a.b.c", "1.2.3.4", "99999999999999999999.1.x",
                                     "9223372036854775808.99999999999.x", "１.２.x", None, 5])
def test_garbage_is_a_bad_confirmation(sender, garbage):
    with pytest.raises(senders.BadConfirmation):
        senders.confirm(garbage)


def test_a_deleted_domain_takes_its_senders_with_it(sender, alice):
    token = senders.token(sender)
    domains.delete(alice.user, sender.domain_id)
    assert senders.list_for(alice.user) == []
    with pytest.raises(senders.BadConfirmation):
        senders.confirm(token)
