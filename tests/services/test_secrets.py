"""Secrets at rest."""
import argon2
import pytest

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


def test_the_profile_sets_the_cost_of_new_hashes_and_old_ones_still_verify(settings):
    cheap = secrets.hash_password("pw")  # the suite's CHEAPEST profile
    config.use(settings.replace(password_hash_profile="RFC_9106_LOW_MEMORY"))  # the default
    costly = secrets.hash_password("pw")
    assert argon2.extract_parameters(costly) == argon2.profiles.RFC_9106_LOW_MEMORY
    assert argon2.extract_parameters(cheap) == argon2.profiles.CHEAPEST
    assert secrets.verify_password(cheap, "pw") and secrets.verify_password(costly, "pw")
    assert config.Settings.password_hash_profile == "RFC_9106_LOW_MEMORY"


def test_an_unknown_profile_is_named_in_the_error(settings):
    config.use(settings.replace(password_hash_profile="FAST"))
    with pytest.raises(ValueError, match="GATEPOST_PASSWORD_HASH_PROFILE"):
        secrets.hash_password("pw")


def test_generated_values_have_octeth_shapes():
    key = secrets.new_api_key()
    assert len(key) == 35 and key.count("-") == 3 and key == key.upper()
    assert len(secrets.new_signing_key()) == 64
