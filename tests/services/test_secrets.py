"""Secrets at rest."""
import config
from services import secrets


def test_encryption_round_trips_and_depends_on_the_secret_key(settings):
    token = secrets.encrypt("4D196964-B909FDD7-134A4E29-6B0E923E")
    assert "4D196964" not in token
    assert secrets.decrypt(token) == "4D196964-B909FDD7-134A4E29-6B0E923E"
    lookup = secrets.lookup_hash("abc")
    config.use(settings.replace(secret_key="another-key"))
    assert secrets.lookup_hash("abc") != lookup


def test_password_hashes_are_slow_salted_and_verified(settings):
    one, two = secrets.hash_password("pw"), secrets.hash_password("pw")
    assert one != two and one.startswith("$argon2")
    assert secrets.verify_password(one, "pw") and not secrets.verify_password(one, "PW")
    assert not secrets.verify_password("not a hash", "pw")


def test_generated_values_have_octeth_shapes():
    key = secrets.new_api_key()
    assert len(key) == 35 and key.count("-") == 3 and key == key.upper()
    assert len(secrets.new_signing_key()) == 64
