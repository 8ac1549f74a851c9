"""Settings, read once from GATEPOST_* environment variables.

Everything configurable lives here so there is one place to read and one place to document
(README "Configuration"). The process installs one Settings object with `use()`; the core asks
for it with `current()`, so services stay free of Flask and tests can swap settings cleanly.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
import socket
from pathlib import Path


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _ports(value: str) -> tuple[int, ...]:
    return tuple(int(p) for p in value.replace(" ", "").split(",") if p)


@dataclasses.dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    secret_key: str
    db_max_connections: int = 20  # per process, PostgreSQL/MySQL pool
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"  # argon2-cffi's profile: 64 MiB, 3 passes (CHEAPEST: tests only)
    log_format: str = "json"  # json (structured, with request and message ids) | text
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    session_ttl: int = 86400
    mail_host: str = "localhost"
    tracking_host: str = "localhost"
    tracking_scheme: str = "https"  # of the tracking URLs put into mail
    spf_include: str = "localhost"
    return_path_subdomain: str = "gp"
    smtp_host: str = "localhost"
    smtp_ports: tuple[int, ...] = (2525, 587)  # submission with STARTTLS
    smtp_tls_port: int = 465  # implicit TLS, when a certificate is configured
    smtp_listen_host: str = "127.0.0.1"
    tls_cert: str = ""
    tls_key: str = ""
    smtp_allow_plain_auth: bool = False  # AUTH before STARTTLS (only for trusted networks)
    smtp_auth_failures: str = "5 per 5 minutes"  # failed AUTH attempts allowed per client address
    login_failures_per_user: str = "10 per 15 minutes"  # failed User.Login / SMTP AUTH attempts per username
    auth_failures_per_address: str = "30 per 15 minutes"  # failed User.Login and /api/v1 authentications per address
    inbound_port: int = 25  # bounces and complaints for the return-path hosts
    inbound_max_bytes: int = 1024 * 1024  # larger inbound reports are refused (MTAs return ~50-100 kB)
    inbound_rate_limit: str = "60 per minute"  # inbound reports accepted per client address
    soft_bounce_limit: int = 5  # soft failures of one address within soft_bounce_days that suppress it
    soft_bounce_days: int = 30
    admin_api_key: str = ""  # EmailGateway.SMTPRelay (an external SMTP front end); unset: refused
    dns_servers: tuple[str, ...] = ()
    dns_timeout: float = 5.0
    webhook_allow_private: bool = False
    webhook_suspend_after: int = 20  # failed POSTs in a row before an endpoint is suspended
    ratelimit_storage: str = "memory://"
    api_rate_limit: str = "100 per minute"
    sendpulse_rate_limit: str = "10 per second"  # requests per account on the SendPulse dialect, as SendPulse allows
    relay_url: str = ""  # smtp:// or smtps:// smarthost; empty: straight to each domain's MX
    mx_port: int = 25  # where MX hosts listen (tests point it at a loopback sink)
    smtp_timeout: float = 60.0
    retry_horizon: int = 86400  # seconds a deferred delivery keeps being retried
    max_recipients: int = 50
    sendemail_full_list: bool = False  # a TargetListID send goes to the whole list, not the first 250 (Octeth's flag)
    max_message_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    worker_batch: int = 100
    worker_connections: int = 20  # SMTP connections a delivery pass has open at once, over all destinations
    destination_connections: int = 10  # of them, to one destination (Postfix: 20 per destination)
    lease_seconds: int = 300  # how long a claimed delivery is a worker's before others may take it
    heartbeat_seconds: float = 2.0  # a worker renews its heartbeat this often; 3 missed free its leases
    reverify_interval: int = 6 * 3600  # seconds between re-checks of Enabled domains' DNS
    retention_events_days: int = 90  # events, attempts, delivered messages' metadata
    retention_content_days: int = 30  # message bodies (kept apart: they are the bulk)
    drop_content_when_final: bool = False  # drop a body as soon as every delivery of it is final
    ui_secure_cookie: bool = False  # the dashboard's session cookie only over HTTPS (set it behind TLS)
    metrics_token: str = ""  # /metrics answers only with `Authorization: Bearer <token>`; unset: no /metrics
    system_sender: str = ""  # "Name <addr>" the installation mails in its own name from (welcome, sender checks)
    system_mail_rate: str = "20 per hour"  # such mails a user may have sent (to anyone: bounds their abuse)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        var_dir = Path(env.get("GATEPOST_VAR_DIR", "var")).resolve()
        mail_host = env.get("GATEPOST_MAIL_HOST") or socket.getfqdn()
        return cls(
            var_dir=var_dir,
            database_url=env.get("GATEPOST_DATABASE_URL") or f"sqlite:///{var_dir / 'gatepost.db'}",
            secret_key=env.get("GATEPOST_SECRET_KEY") or _stored_secret(var_dir),
            db_max_connections=int(env.get("GATEPOST_DB_MAX_CONNECTIONS", cls.db_max_connections)),
            password_hash_profile=env.get("GATEPOST_PASSWORD_HASH_PROFILE", cls.password_hash_profile),
            log_format=env.get("GATEPOST_LOG_FORMAT", cls.log_format),
            http_host=env.get("GATEPOST_HTTP_HOST", cls.http_host),
            http_port=int(env.get("GATEPOST_HTTP_PORT", cls.http_port)),
            session_ttl=int(env.get("GATEPOST_SESSION_TTL", cls.session_ttl)),
            mail_host=mail_host,
            tracking_host=env.get("GATEPOST_TRACKING_HOST") or mail_host,
            tracking_scheme=env.get("GATEPOST_TRACKING_SCHEME", cls.tracking_scheme),
            spf_include=env.get("GATEPOST_SPF_INCLUDE") or mail_host,
            return_path_subdomain=env.get("GATEPOST_RETURN_PATH_SUBDOMAIN", cls.return_path_subdomain),
            smtp_host=env.get("GATEPOST_SMTP_HOST") or mail_host,
            smtp_ports=_ports(env.get("GATEPOST_SMTP_PORTS", "2525,587")),
            smtp_tls_port=int(env.get("GATEPOST_SMTP_TLS_PORT", cls.smtp_tls_port)),
            smtp_listen_host=env.get("GATEPOST_SMTP_LISTEN_HOST", cls.smtp_listen_host),
            tls_cert=env.get("GATEPOST_TLS_CERT", ""),
            tls_key=env.get("GATEPOST_TLS_KEY", ""),
            smtp_allow_plain_auth=_flag(env.get("GATEPOST_SMTP_ALLOW_PLAIN_AUTH")),
            smtp_auth_failures=env.get("GATEPOST_SMTP_AUTH_FAILURES", cls.smtp_auth_failures),
            login_failures_per_user=env.get("GATEPOST_LOGIN_FAILURES_PER_USER", cls.login_failures_per_user),
            auth_failures_per_address=env.get("GATEPOST_AUTH_FAILURES_PER_ADDRESS", cls.auth_failures_per_address),
            inbound_port=int(env.get("GATEPOST_INBOUND_PORT", cls.inbound_port)),
            inbound_max_bytes=int(env.get("GATEPOST_INBOUND_MAX_BYTES", cls.inbound_max_bytes)),
            inbound_rate_limit=env.get("GATEPOST_INBOUND_RATE_LIMIT", cls.inbound_rate_limit),
            soft_bounce_limit=int(env.get("GATEPOST_SOFT_BOUNCE_LIMIT", cls.soft_bounce_limit)),
            soft_bounce_days=int(env.get("GATEPOST_SOFT_BOUNCE_DAYS", cls.soft_bounce_days)),
            admin_api_key=env.get("GATEPOST_ADMIN_API_KEY", ""),
            dns_servers=tuple(s for s in env.get("GATEPOST_DNS_SERVERS", "").replace(" ", "").split(",") if s),
            dns_timeout=float(env.get("GATEPOST_DNS_TIMEOUT", cls.dns_timeout)),
            webhook_allow_private=_flag(env.get("GATEPOST_WEBHOOK_ALLOW_PRIVATE")),
            webhook_suspend_after=int(env.get("GATEPOST_WEBHOOK_SUSPEND_AFTER", cls.webhook_suspend_after)),
            ratelimit_storage=env.get("GATEPOST_RATELIMIT_STORAGE", cls.ratelimit_storage),
            api_rate_limit=env.get("GATEPOST_API_RATE_LIMIT", cls.api_rate_limit),
            sendpulse_rate_limit=env.get("GATEPOST_SENDPULSE_RATE_LIMIT", cls.sendpulse_rate_limit),
            relay_url=env.get("GATEPOST_RELAY_URL", ""),
            mx_port=int(env.get("GATEPOST_MX_PORT", cls.mx_port)),
            smtp_timeout=float(env.get("GATEPOST_SMTP_TIMEOUT", cls.smtp_timeout)),
            retry_horizon=int(env.get("GATEPOST_RETRY_HORIZON", cls.retry_horizon)),
            max_recipients=int(env.get("GATEPOST_MAX_RECIPIENTS", cls.max_recipients)),
            sendemail_full_list=_flag(env.get("GATEPOST_SENDEMAIL_FULL_LIST")),
            max_message_bytes=int(env.get("GATEPOST_MAX_MESSAGE_BYTES", cls.max_message_bytes)),
            max_attachment_bytes=int(env.get("GATEPOST_MAX_ATTACHMENT_BYTES", cls.max_attachment_bytes)),
            worker_batch=int(env.get("GATEPOST_WORKER_BATCH", cls.worker_batch)),
            worker_connections=int(env.get("GATEPOST_WORKER_CONNECTIONS", cls.worker_connections)),
            destination_connections=int(env.get("GATEPOST_DESTINATION_CONNECTIONS", cls.destination_connections)),
            lease_seconds=int(env.get("GATEPOST_LEASE_SECONDS", cls.lease_seconds)),
            heartbeat_seconds=float(env.get("GATEPOST_HEARTBEAT_SECONDS", cls.heartbeat_seconds)),
            reverify_interval=int(env.get("GATEPOST_REVERIFY_INTERVAL", cls.reverify_interval)),
            retention_events_days=int(env.get("GATEPOST_RETENTION_EVENTS_DAYS", cls.retention_events_days)),
            retention_content_days=int(env.get("GATEPOST_RETENTION_CONTENT_DAYS", cls.retention_content_days)),
            drop_content_when_final=_flag(env.get("GATEPOST_DROP_CONTENT_WHEN_FINAL")),
            ui_secure_cookie=_flag(env.get("GATEPOST_UI_SECURE_COOKIE")),
            metrics_token=env.get("GATEPOST_METRICS_TOKEN", ""),
            system_sender=env.get("GATEPOST_SYSTEM_SENDER", ""),
            system_mail_rate=env.get("GATEPOST_SYSTEM_MAIL_RATE", cls.system_mail_rate),
        )

    @property
    def advertised_smtp_ports(self) -> tuple[int, ...]:
        """What AddSMTP/GetSMTPs hand out: the submission ports, and 465 when TLS is configured."""
        return (*self.smtp_ports, *((self.smtp_tls_port,) if self.tls_cert and self.smtp_tls_port else ()))

    @property
    def max_request_bytes(self) -> int:
        """The largest HTTP request body: a message at the size limit, base64-encoded (4/3) in
        JSON, plus room for the rest of the request. Larger bodies are refused unread."""
        return self.max_message_bytes * 4 // 3 + 1024 * 1024

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def private_dir(path: Path) -> Path:
    """Create a missing directory (and its missing parents) only this user can enter: var/ holds
    the database, message bodies and keys. An existing directory is left as the operator made it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _stored_secret(var_dir: Path) -> str:
    """Generate the secret key on first run and keep it under var/ (mode 0600)."""
    path = var_dir / "secret_key"
    if not path.exists():
        private_dir(var_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


_current: Settings | None = None


def use(settings: Settings) -> Settings:
    global _current
    _current = settings
    return settings


def current() -> Settings:
    return _current if _current is not None else use(Settings.from_env())
