"""Secrets at rest: keyed lookup hashes, reversible encryption, slow password hashes, new tokens.

API keys must stay showable (GetAPIs returns them, as Octeth does), so they are stored
encrypted (Fernet) and found by an HMAC of the key, never by the key itself. Passwords are
never shown again, so they are stored only as argon2 hashes, with the costs of the argon2-cffi
profile GATEPOST_PASSWORD_HASH_PROFILE names (RFC 9106's low-memory one by default; a hash
keeps its own costs, so changing the profile never locks anyone out).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

import argon2
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config


@functools.lru_cache(maxsize=4)
def _hasher(profile: str) -> argon2.PasswordHasher:
    parameters = getattr(argon2.profiles, profile, None)
    if not isinstance(parameters, argon2.Parameters):
        raise ValueError(f"GATEPOST_PASSWORD_HASH_PROFILE: no argon2 profile {profile!r} (RFC_9106_LOW_MEMORY, "
                         "RFC_9106_HIGH_MEMORY, CHEAPEST)")
    return argon2.PasswordHasher.from_parameters(parameters)


@functools.lru_cache(maxsize=4)
def derive(secret_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive(config.current().secret_key, b"gatepost encryption")))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a presented secret: what the database indexes instead of the secret."""
    return hmac.new(derive(config.current().secret_key, b"gatepost lookup"), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    return _hasher(config.current().password_hash_profile).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher(config.current().password_hash_profile).verify(password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def new_api_key() -> str:
    """Octeth's key shape: four groups of eight upper-case hex digits."""
    raw = secrets.token_hex(16).upper()
    return "-".join(raw[i:i + 8] for i in range(0, 32, 8))


def new_password() -> str:
    return secrets.token_urlsafe(18)


def new_signing_key() -> str:
    """64 upper-case hex digits (32 random bytes), as Octeth's RegenerateSigningKey."""
    return secrets.token_hex(32).upper()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_hex(nbytes)
