"""The inbound listener (GATEPOST_INBOUND_PORT, 25 in production): receivers' MTAs bring back
bounces and complaints for the return-path hosts. Mail for any other host is refused (we are
no open relay); what is accepted is always kept, matched or not, so what one client may make
us keep is bounded: GATEPOST_INBOUND_MAX_BYTES per message (552 beyond, as SIZE announces) and
GATEPOST_INBOUND_RATE_LIMIT messages per client address (450 beyond: a real MTA retries)."""
from __future__ import annotations

import logging

from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

import config
from services import inbound
from smtp import off_loop
from edge.smtp_replies import TRANSIENT

log = logging.getLogger(__name__)


class Inbound:
    def __init__(self, settings: config.Settings):
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.ratelimit_storage))
        self.limit = parse_limit(settings.inbound_rate_limit)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        host = address.rpartition("@")[2]
        if not await off_loop(inbound.is_return_path_host, host):
            return "550 5.7.1 Relay access denied"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        client = session.peer[0] if session.peer else "?"
        if not self.limiter.hit(self.limit, "inbound", client):
            log.warning("inbound: too many reports from %s, deferred", client)
            return "450 4.7.1 Too many reports from your address, try again later"
        try:
            for rcpt in envelope.rcpt_tos:
                outcome = await off_loop(inbound.receive, envelope.mail_from or "", rcpt, envelope.original_content)
                log.info("inbound %s for %s: %s", outcome.kind, rcpt, ", ".join(outcome.matched) or outcome.unmatched)
        except Exception:
            log.exception("inbound report from %s failed", session.peer)
            return TRANSIENT
        return "250 2.0.0 Ok"
