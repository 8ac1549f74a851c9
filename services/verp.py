"""VERP return paths: bounces+<token>@<return-path host>. The token names the delivery that
led the SMTP transaction and is signed, so a bounce can be matched exactly and not forged.
(With several RCPTs in one transaction, the DSN's Final-Recipient picks the delivery among
that message's.)"""
from __future__ import annotations

import hashlib
import hmac

import config
from services.secrets import derive

PREFIX = "bounces+"


def _mac(delivery_id: int) -> str:
    key = derive(config.current().secret_key, b"gatepost verp")
    return hmac.new(key, str(delivery_id).encode(), hashlib.sha256).hexdigest()[:12]


def address(delivery_id: int, return_path_host: str) -> str:
    return f"{PREFIX}{delivery_id:x}-{_mac(delivery_id)}@{return_path_host}"


def delivery_id(address: str) -> int | None:
    """The delivery a VERP address names, or None when it is not one of ours (or forged)."""
    local = address.rsplit("@", 1)[0].lower()
    if not local.startswith(PREFIX):
        return None
    token, _, mac = local[len(PREFIX):].partition("-")
    try:
        ident = int(token, 16)
    except ValueError:
        return None
    return ident if hmac.compare_digest(mac, _mac(ident)) else None
