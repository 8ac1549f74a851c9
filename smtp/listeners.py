"""Start and stop the SMTP listeners: submission on GATEPOST_SMTP_PORTS (STARTTLS) and, with a
certificate, implicit TLS on GATEPOST_SMTP_TLS_PORT; inbound bounces and complaints on
GATEPOST_INBOUND_PORT (STARTTLS offered when there is a certificate; no AUTH)."""
from __future__ import annotations

import logging

from aiosmtpd.controller import Controller

import config
from smtp.certificates import server_context
from smtp.inbound import Inbound
from smtp.submission import Submission

log = logging.getLogger(__name__)


def submission_controllers(settings: config.Settings) -> list[Controller]:
    handler = Submission(settings)
    tls = server_context(settings.tls_cert, settings.tls_key) if settings.tls_cert else None
    common = dict(hostname=settings.smtp_listen_host, server_hostname=settings.smtp_host, ident="Gatepost ESMTP",
                  authenticator=handler.authenticator, data_size_limit=settings.max_message_bytes)
    controllers = [Controller(handler, port=port, tls_context=tls, auth_require_tls=not settings.smtp_allow_plain_auth,
                              **common) for port in settings.smtp_ports]
    if tls and settings.smtp_tls_port:
        controllers.append(Controller(handler, port=settings.smtp_tls_port, ssl_context=tls, auth_require_tls=False,
                                      **common))
    return controllers


def inbound_controller(settings: config.Settings) -> Controller:
    tls = server_context(settings.tls_cert, settings.tls_key) if settings.tls_cert else None
    return Controller(Inbound(settings), hostname=settings.smtp_listen_host, port=settings.inbound_port,
                      server_hostname=settings.mail_host, ident="Gatepost ESMTP", tls_context=tls,
                      data_size_limit=settings.inbound_max_bytes, auth_exclude_mechanism=["PLAIN", "LOGIN"])


def start(settings: config.Settings) -> list[Controller]:
    """Start every listener; a port that cannot be bound is logged and skipped, not fatal."""
    started = []
    wanted = submission_controllers(settings) + ([inbound_controller(settings)] if settings.inbound_port else [])
    for controller in wanted:
        try:
            controller.start()
            started.append(controller)
            log.info("SMTP listening on %s:%s", controller.hostname, controller.port)
        except Exception as exc:  # aiosmtpd wraps bind errors in its own exception types
            log.error("SMTP listener on port %s could not start: %s", controller.port, exc)
    return started


def stop(controllers: list[Controller]) -> None:
    for controller in controllers:
        controller.stop()
