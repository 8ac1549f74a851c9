"""The inbound listener (GATEPOST_INBOUND_PORT, 25 in production): receivers' MTAs bring back
bounces and complaints for the return-path hosts. Mail for any other host is refused (we are
no open relay); what is accepted is always kept, matched or not."""
from __future__ import annotations

import logging

from services import inbound
from smtp import off_loop
from edge.smtp_replies import TRANSIENT

log = logging.getLogger(__name__)


class Inbound:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        host = address.rpartition("@")[2]
        if not await off_loop(inbound.is_return_path_host, host):
            return "550 5.7.1 Relay access denied"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            for rcpt in envelope.rcpt_tos:
                outcome = await off_loop(inbound.receive, envelope.mail_from or "", rcpt, envelope.original_content)
                log.info("inbound %s for %s: %s", outcome.kind, rcpt, ", ".join(outcome.matched) or outcome.unmatched)
        except Exception:
            log.exception("inbound report from %s failed", session.peer)
            return TRANSIENT
        return "250 2.0.0 Ok"
