"""The `gatepost` command: serve, migrate, and the operators' user/group tools."""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import threading

import click

import config
import logs
from models.db import database, migrate as apply_migrations, open_database
from models.vocabulary import PENDING_DELIVERY, DomainStatus, SuppressionReason, Switch


def _open() -> config.Settings:
    settings = config.current()
    open_database(settings.database_url, settings.db_max_connections)
    return settings


@click.group()
def main():
    """Gatepost, a self-hosted transactional email gateway."""


@main.command()
def migrate():
    """Create or upgrade the database schema."""
    from services import templates as service

    _open()
    applied = apply_migrations()
    with database.connection_context():
        seeded = service.seed_system()
    click.echo("\n".join([f"applied {name}" for name in applied] + [f"installed system template {name}"
                                                                      for name in seeded]) or "schema is up to date")


@main.command()
@click.option("--host", help="Address to listen on (GATEPOST_HTTP_HOST).")
@click.option("--port", type=int, help="Port to listen on (GATEPOST_HTTP_PORT).")
def serve(host, port):
    """Run everything in one process: migrate, make a first user if there is none, serve HTTP."""
    from werkzeug.serving import make_server

    from app import create_app

    from services import templates as template_service, worker
    from smtp import certificates, listeners

    settings = _open()
    apply_migrations()
    with database.connection_context():
        template_service.seed_system()
    _first_user()
    if not settings.tls_cert:  # local use: a self-signed pair under var/
        cert, key = certificates.self_signed(settings.var_dir / "tls", settings.smtp_host)
        settings = config.use(settings.replace(tls_cert=cert, tls_key=key))
    smtp = listeners.start(settings)
    settings = config.use(_listening(settings, smtp))  # hand out only ports that really listen
    app = create_app(settings)
    host, port = host or settings.http_host, settings.http_port if port is None else port  # 0: any free port
    server = make_server(host, port, app, threaded=True)
    stop = threading.Event()
    delivering = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    delivering.start()
    click.echo(f"Gatepost is listening on http://{host}:{server.port}/api.php and /api/v1 "
               f"(database {settings.database_url}); the delivery worker runs in this process")
    click.echo(f"SMTP: {', '.join(f'{c.hostname}:{c.port}' for c in smtp) or 'no listener could start'}")
    click.echo(f"Dashboard: http://{host}:{server.port}/ui/ (sign in with a user's email and password)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        listeners.stop(smtp)
        delivering.join(10)


def _listening(settings: config.Settings, controllers) -> config.Settings:
    ports = {c.port for c in controllers} - {settings.inbound_port}
    return settings.replace(smtp_ports=tuple(p for p in settings.smtp_ports if p in ports),
                            smtp_tls_port=settings.smtp_tls_port if settings.smtp_tls_port in ports else 0)


@main.command("smtp")
def smtp_command():
    """Run the SMTP listeners (submission, and inbound bounces) until stopped."""
    from smtp import listeners

    settings = _open()
    logs.configure(settings.log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controllers = listeners.start(settings)
    if not controllers:
        raise click.ClickException("no SMTP listener could start")
    click.echo(f"SMTP: {', '.join(f'{c.hostname}:{c.port}' for c in controllers)}")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        listeners.stop(controllers)


# Each dialect's webhook payload format (webhook_deliveries.register_format); a new dialect adds its module here.
WEBHOOK_FORMATS = ("edge.octeth_webhooks", "dialects.kirim.webhook_payload", "dialects.sendpulse.webhooks",
                   "dialects.autorelay.payload")


@main.command("worker")
def worker_command():
    """Run the delivery worker (any number of them may share the database)."""
    from services import worker

    for module in WEBHOOK_FORMATS:  # the payload formats, not all of app: workers start fast
        importlib.import_module(module)

    logs.configure(_open().log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()


def _first_user() -> None:
    from services import accounts, secrets

    with database.connection_context():
        if accounts.list_users():
            return
        password = secrets.new_password()
        user, api_key = accounts.create_user("admin@localhost.localdomain", password)
    click.echo("Created the first user (shown once; `gatepost user create` makes more):\n"
               f"  Username: {user.email}\n  Password: {password}\n  APIKey:   {api_key}")


@main.group()
def user():
    """Manage users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--max-domains", type=int, default=None, help="Sender-domain limit (0 = unlimited).")
@click.option("--group", "group_name", default=None, help="User group (default: Default).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def user_create(email, password, max_domains, group_name, as_json):
    from services import accounts
    from services.errors import GatewayError

    _open()
    with database.connection_context():
        group = None
        if group_name:
            group = accounts.find_group(group_name)
            if group is None:
                raise click.ClickException(f"no group named {group_name!r}")
        try:
            created, api_key = accounts.create_user(email, password, group=group, max_sender_domains=max_domains)
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
    info = {"UserID": created.id, "Username": created.email, "APIKey": api_key, "Group": created.group.name}
    click.echo(json.dumps(info) if as_json else "\n".join(f"{k}: {v}" for k, v in info.items()))


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
def user_list(as_json):
    from services import accounts

    _open()
    with database.connection_context():
        rows = [{"UserID": u.id, "Username": u.email, "Status": u.status, "Group": u.group.name,
                 "MaxSenderDomains": u.domain_limit} for u in accounts.list_users()]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        for r in rows:
            click.echo(f"{r['UserID']:>5}  {r['Username']:<40} {r['Status']:<9} {r['Group']}")


def _set_user_status(email: str, status: str) -> None:
    from services import accounts

    _open()
    with database.connection_context():
        found = _find_user(email)
        accounts.set_status(found, status)
    click.echo(f"{found.email}: {status}")


@user.command("disable")
@click.option("--email", required=True)
def user_disable(email):
    """Disable a user: their sessions end and their keys stop working."""
    _set_user_status(email, Switch.DISABLED)


@user.command("enable")
@click.option("--email", required=True)
def user_enable(email):
    _set_user_status(email, Switch.ENABLED)


@main.group()
def group():
    """Manage user groups (permissions and limits)."""


@group.command("create")
@click.argument("name")
@click.option("--permissions", default=None, help='Comma-separated, "*" for all.')
@click.option("--max-domains", type=int, default=0)
@click.option("--per-day", type=int, default=0, help="Messages per day (0 = unlimited).")
@click.option("--per-month", type=int, default=0, help="Messages per month (0 = unlimited).")
@click.option("--manual-approval", is_flag=True, help="Verified domains wait for an operator (Blocked).")
@click.option("--rate", type=int, default=0, help="Messages a second per sender domain (0 = unlimited).")
@click.option("--burst", type=int, default=0, help="Messages at once above the rate (default: the rate).")
def group_create(name, permissions, max_domains, per_day, per_month, manual_approval, rate, burst):
    from services import accounts

    _open()
    options = dict(max_sender_domains=max_domains, send_limit_per_day=per_day, send_limit_per_month=per_month,
                   manual_domain_approval=manual_approval, send_rate_per_second=rate, send_rate_burst=burst)
    if permissions is not None:
        options["permissions"] = permissions
    with database.connection_context():
        created = accounts.create_group(name, **options)
    click.echo(f"group {created.name} ({created.id})")


@main.group()
def domain():
    """Sender domains: DNS records, verification and the operators' status decisions."""


def _find_domain(name: str):
    """A live domain by name (or numeric id); refuses a name that several users share."""
    from services import domains

    found = domains.find_live(name)
    if not found:
        raise click.ClickException(f"no sender domain {name}")
    if len(found) > 1:
        raise click.ClickException(f"{name} belongs to several users; give its id: "
                                   + ", ".join(f"{d.id} ({d.user.email})" for d in found))
    return found[0]


@domain.command("records")
@click.argument("name")
def domain_records(name):
    """Print the DNS records a domain must publish, in zone-file form."""
    from services import dns_records

    _open()
    with database.connection_context():
        for r in dns_records.records(_find_domain(name)):
            # TXT character-strings hold 255 bytes: a 2048-bit DKIM key needs two
            value = " ".join(f'"{r.value[i:i + 255]}"' for i in range(0, len(r.value), 255)) \
                if r.type == "TXT" else r.value + "."
            click.echo(f"{r.host}.\t3600\tIN\t{r.type}\t{value}\t; {r.purpose}")


@domain.command("verify")
@click.argument("name", required=False)
@click.option("--all", "every", is_flag=True, help="Re-verify every Enabled domain (the periodic chore).")
def domain_verify(name, every):
    """Look a domain's records up in DNS now and apply the status rules."""
    from services import verification

    _open()
    with database.connection_context():
        if every:
            counts = verification.reverify_enabled()
            click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
            return
        if not name:
            raise click.UsageError("give a domain name or --all")
        found = _find_domain(name)
        for c in verification.verify(found):
            click.echo(f"{'ok ' if c.verified else 'BAD'} {c.record.purpose:<12} {c.record.type:<5} {c.record.host}"
                       + (f"  ({c.reason})" if c.reason else ""))
        click.echo(f"status: {found.status}" + (f" ({found.status_reason})" if found.status_reason else ""))


def _operator_transition(name: str, status: str, allowed_from: tuple[str, ...] | None = None) -> None:
    from services import domains

    _open()
    with database.connection_context():
        found = _find_domain(name)
        if allowed_from and found.status not in allowed_from:
            raise click.ClickException(f"{found.name} is {found.status}; only {', '.join(allowed_from)} can be approved")
        domains.set_status(found, status, f"set by operator ({status})")
    click.echo(f"{found.name}: {status}")


@domain.command("approve")
@click.argument("name")
def domain_approve(name):
    """Approve a domain that verified in a manual-approval group (Blocked -> Enabled)."""
    from services import domains

    _operator_transition(name, DomainStatus.ENABLED, (DomainStatus.BLOCKED, DomainStatus.PENDING))


@domain.command("enable")
@click.argument("name")
def domain_enable(name):
    """Enable a domain whatever its status (unblock, unsuspend)."""
    _operator_transition(name, DomainStatus.ENABLED)


@domain.command("suspend")
@click.argument("name")
def domain_suspend(name):
    _operator_transition(name, DomainStatus.SUSPENDED)


@domain.command("block")
@click.argument("name")
def domain_block(name):
    _operator_transition(name, DomainStatus.BLOCKED)


@main.group()
def suppression():
    """A user's suppressed recipients (bounces, complaints, unsubscribes add to it)."""


def _user(email: str):
    from services import accounts

    found = accounts.find_user(email)
    if found is None:
        raise click.ClickException(f"no user {email}")
    return found


@suppression.command("add")
@click.option("--user", "user_email", required=True, help="The user whose mail must not reach the address.")
@click.argument("address")
@click.option("--reason", default="manual", type=click.Choice([r.value for r in SuppressionReason]))
def suppression_add(user_email, address, reason):
    from services import suppressions

    _open()
    with database.connection_context():
        suppressions.add(_user(user_email), address, reason, "added by operator")
    click.echo(f"suppressed {address.lower()} for {user_email}")


@suppression.command("remove")
@click.option("--user", "user_email", required=True)
@click.argument("address")
def suppression_remove(user_email, address):
    from services import suppressions

    _open()
    with database.connection_context():
        if not suppressions.remove(_user(user_email), address):
            raise click.ClickException(f"{address} is not suppressed for {user_email}")
    click.echo(f"removed {address.lower()}")


@suppression.command("list")
@click.option("--user", "user_email", required=True)
@click.option("--json", "as_json", is_flag=True)
def suppression_list(user_email, as_json):
    from services import suppressions

    _open()
    with database.connection_context():
        rows = [{"Email": s.email, "Reason": s.reason, "Detail": s.detail, "CreatedAt": s.created_at.isoformat()}
                for s in suppressions.list_for(_user(user_email))]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        for r in rows:
            click.echo(f"{r['Email']:<40} {r['Reason']:<12} {r['CreatedAt']}  {r['Detail']}")


@main.group()
def bounces():
    """Inbound bounces and complaints."""


@bounces.command("unmatched")
@click.option("--limit", default=50, show_default=True)
@click.option("--show", type=int, help="Print one report whole, by id.")
def bounces_unmatched(limit, show):
    """Reports that came back but match no delivery: kept here, never dropped."""
    from services import inbound

    _open()
    with database.connection_context():
        if show:
            report = inbound.unmatched_report(show)
            if report is None:
                raise click.ClickException(f"no unmatched report {show}")
            click.echo(bytes(report.content).decode("utf-8", "replace"))
            return
        for r in inbound.unmatched(limit):
            click.echo(f"{r.id:>6}  {r.received_at:%Y-%m-%d %H:%M:%S}  {r.kind:<9} to {r.rcpt_to}  ({r.reason})")


@bounces.command("classify")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message and line.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def bounces_classify(as_json, files):
    """Why each message (raw, LF or CRLF) bounced, as the inbound listener reads it."""
    from services import bounces as parser

    for name in files:
        with open(name, "rb") as fh:
            report = parser.parse(fh.read())
        results = [{"recipient": f.recipient, "reason": str(f.reason), "hard": f.hard, "status": f.status,
                    "diagnostic": f.diagnostic} for f in report.failures]
        results += [{"recipient": r, "reason": "feedback", "hard": False, "status": "",
                     "diagnostic": report.feedback_type} for r in report.complained]
        if as_json:
            click.echo(json.dumps({"file": name, "kind": report.kind, "results": results}))
            continue
        click.echo(f"{name}: {report.kind}")
        for r in results:
            click.echo(f"  {r['recipient']:<40} {r['reason']:<16} {'hard' if r['hard'] else 'soft'}  "
                       f"{r['status']:<8} {r['diagnostic'][:100]}")


@main.group()
def queue():
    """The delivery queue: what waits, and why a message has not gone."""


@queue.command("stats")
@click.option("--json", "as_json", is_flag=True)
def queue_stats(as_json):
    """Counts by state and by domain, and the oldest due delivery."""
    from services import queue as delivery_queue

    _open()
    with database.connection_context():
        figures = delivery_queue.stats()
    if as_json:
        click.echo(json.dumps(figures, default=str))
        return
    click.echo("by state:  " + ", ".join(f"{k} {v}" for k, v in sorted(figures["by_state"].items())) or "empty")
    click.echo(f"leased by a worker now: {figures['leased']}")
    for name, states in sorted(figures["by_domain"].items()):
        click.echo(f"  {name:<40} " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    oldest = figures["oldest_due"]
    click.echo("oldest due: none" if oldest is None else
               f"oldest due: {oldest['message_id']} to {oldest['recipient']}, waiting {oldest['waiting_seconds']} s, "
               f"{oldest['attempts']} attempts, last: {oldest['last_reply']}")


@queue.command("inspect")
@click.argument("message_id")
@click.option("--json", "as_json", is_flag=True)
def queue_inspect(message_id, as_json):
    """Every delivery of a message and every attempt, with its SMTP reply."""
    from services import queue as delivery_queue

    _open()
    with database.connection_context():
        found = delivery_queue.inspect(message_id)
    if found is None:
        raise click.ClickException(f"no message {message_id}")
    if as_json:
        click.echo(json.dumps(found, default=str))
        return
    click.echo(f"{found['message_id']}  {found['domain']}  from {found['from']}  \"{found['subject']}\"")
    click.echo(f"accepted {found['accepted_at']}, send at {found['send_at']}, {found['size']} bytes"
               + ("" if found["content_kept"] else " (content pruned)"))
    for d in found["deliveries"]:
        click.echo(f"  {d['kind']:<3} {d['recipient']:<40} {d['status']:<9} attempts {d['attempts']}"
                   + (f", next {d['next_attempt_at']}" if d["status"] in PENDING_DELIVERY else "")
                   + (f", held by {d['leased_by']}" if d["leased_by"] else "") + f"  {d['last_reply']}")
        for a in d["attempt_log"]:
            click.echo(f"      {a['at']} {a['outcome']:<9} {a['mx_host'] or '-'} {a['code'] or ''} "
                       f"{a['reply']} ({a['duration_ms']} ms)")


@main.group()
def webhooks():
    """Webhook deliveries: replay what failed, lift suspensions."""


@webhooks.command("add")
@click.option("--domain", "domain_name", required=True, help="The sender domain (name or id) whose events go out.")
@click.option("--url", required=True)
@click.option("--format", "payload_format", default="octeth", show_default=True,
              help="Whose payload: octeth, or a dialect's format (sendpulse).")
@click.option("--event", "event_names", multiple=True, required=True,
              help="An event type (accepted, delivered, deferred, bounced, failed, opened, clicked, unsubscribed, "
                   "complained); repeatable.")
def webhooks_add(domain_name, url, payload_format, event_names):
    """Subscribe a URL to a domain's events, for dialects whose provider configures webhooks in its
    UI (SendPulse): same outbox, retries and replay as AddWebhook's."""
    from models.vocabulary import EventType
    from services import webhook_deliveries, webhooks as service

    for module in WEBHOOK_FORMATS:
        importlib.import_module(module)
    if payload_format not in webhook_deliveries.FORMATS:
        known = ", ".join(sorted(webhook_deliveries.FORMATS))
        raise click.BadParameter(f"{payload_format!r}; known formats: {known}", param_hint="--format")
    try:
        events = [EventType(name.strip().lower()) for name in event_names]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--event") from None
    with _operating():
        domain = _find_domain(domain_name)
        hook = service.add(domain.user, domain.id, events, url, format=payload_format)
    click.echo(f"webhook {hook.id} ({payload_format}) for {domain.name}: {', '.join(events)} -> {hook.url}")


@webhooks.command("replay")
@click.option("--id", "ids", multiple=True, type=int, help="A failed webhook delivery to send again (repeatable).")
@click.option("--since", help="Every delivery that failed since this date (YYYY-MM-DD or unix time).")
def webhooks_replay(ids, since):
    from services import event_log, webhook_deliveries

    if not ids and not since:
        raise click.UsageError("give --id or --since")
    _open()
    with database.connection_context():
        count = webhook_deliveries.replay(delivery_ids=list(ids) or None,
                                          since=event_log.parse_date(since) if since else None)
    click.echo(f"{count} webhook deliveries queued again")


@webhooks.command("enable")
@click.argument("webhook_id", type=int)
def webhooks_enable(webhook_id):
    """Lift a suspension (a webhook suspended after repeated failures)."""
    from services import webhook_deliveries

    _open()
    with database.connection_context():
        if not webhook_deliveries.enable(webhook_id):
            raise click.ClickException(f"no webhook {webhook_id}")
    click.echo(f"webhook {webhook_id} enabled")


@webhooks.command("failed")
@click.option("--limit", default=50, show_default=True)
def webhooks_failed(limit):
    """Deliveries that gave up, newest first, with why."""
    from services import webhook_deliveries

    _open()
    with database.connection_context():
        for row in webhook_deliveries.failed(limit):
            click.echo(f"{row.id:>7}  webhook {row.webhook_id:<5} event {row.event_id:<8} "
                       f"attempts {row.attempts}  {row.last_error}")



@main.group()
def credentials():
    """Credentials the other dialects authenticate with (shown once, stored as hashes)."""


@credentials.command("create")
@click.option("--user", "email", required=True)
@click.option("--kind", required=True, help="kirim, sendpulse, smtpprovider or autorelay.")
@click.option("--domain", "domain_name", default=None, help="Tie it to one sender domain of the user.")
@click.option("--name", default="", help="A label to recognise it by.")
@click.option("--test", is_flag=True, help="A test-mode key (autorelay sk_test_): mail recorded, never delivered.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the secret is shown this once).")
def credentials_create(email, kind, domain_name, name, test, as_json):
    from services import credentials as service
    from services.errors import GatewayError

    _open()
    with database.connection_context():
        owner = _find_user(email)
        domain = _find_domain(domain_name) if domain_name else None
        if domain is not None and domain.user_id != owner.id:
            raise click.ClickException(f"{domain.name} is not a domain of {owner.email}")
        try:
            spec = service.kind_of(kind)
            if not spec.issued_by_operator:
                raise click.ClickException(f"{spec.name} credentials are issued by their dialect, not by hand")
            row, shown = service.issue(owner, spec.name, domain=domain, name=name, test=test)
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
    info = {"id": row.id, "kind": row.kind, **shown}
    click.echo(json.dumps(info) if as_json else "\n".join(f"{k}: {v}" for k, v in info.items()))


@credentials.command("list")
@click.option("--user", "email", required=True)
@click.option("--kind", default=None)
@click.option("--json", "as_json", is_flag=True)
def credentials_list(email, kind, as_json):
    """A user's credentials, without their secrets."""
    from services import credentials as service
    from services.errors import GatewayError

    _open()
    with database.connection_context():
        try:
            rows = [service.view(c) for c in service.list_for(_find_user(email), kind)]
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "expires " + str(r["expires_at"]) if r["expires_at"] else "live"
        click.echo(f"{r['id']:>6}  {r['kind']:<16} {r['name'] or '-':<24} {r['public_id'] or '':<32} {state}")


@credentials.command("revoke")
@click.option("--user", "email", required=True)
@click.argument("credential_id", type=int)
def credentials_revoke(email, credential_id):
    """Revoke a credential (and the tokens issued under it) at once."""
    from services import credentials as service
    from services.errors import GatewayError

    _open()
    with database.connection_context():
        try:
            service.revoke(_find_user(email), credential_id)
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"credential {credential_id} revoked")


@contextlib.contextmanager
def _operating():
    """Open the database for one operator command; the core's refusals become click errors."""
    from services.errors import GatewayError

    _open()
    with database.connection_context():
        try:
            yield
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None


def _pairs(values: tuple[str, ...]) -> dict:
    """KEY=VALUE options as a dict."""
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE")
        pairs[key] = rest
    return pairs


def _template_row(t) -> dict:
    return {"TemplateID": t.id, "UUID": str(t.uuid), "Name": t.name, "Subject": t.subject, "Active": t.active,
            "Version": t.version, "Domain": t.domain.name if t.domain_id else None, "System": t.user_id is None,
            "UpdatedAt": t.updated_at.isoformat()}


@main.group()
def templates():
    """Stored templates: a user's own and the system's (welcome, password reset, receipt)."""


@templates.command("list")
@click.option("--user", "user_email", help="The user's own templates (without: only the system's).")
@click.option("--json", "as_json", is_flag=True)
def templates_list(user_email, as_json):
    """A user's templates, and apart from them the system's."""
    from services import templates as service

    with _operating():
        own = [_template_row(t) for t in service.list_own(_find_user(user_email))] if user_email else []
        system = [_template_row(t) for t in service.list_system()]
    if as_json:
        click.echo(json.dumps({"Own": own, "System": system}))
        return
    for title, rows in (("own", own), ("system", system)):
        if title == "own" and not user_email:
            continue
        click.echo(f"{title}:")
        for r in rows:
            click.echo(f"  {r['TemplateID']:>5}  {r['UUID']}  v{r['Version']:<3} "
                       f"{'active  ' if r['Active'] else 'inactive'}  {r['Name']}")
        if not rows:
            click.echo("  (none)")


def _read(path):
    return open(path, encoding="utf-8").read() if path else None


@templates.command("create")
@click.option("--user", "user_email", required=True)
@click.option("--name", required=True)
@click.option("--subject", default="")
@click.option("--html", "html_file", type=click.Path(exists=True, dir_okay=False), help="File with the HTML part.")
@click.option("--text", "text_file", type=click.Path(exists=True, dir_okay=False), help="File with the text part.")
@click.option("--domain", "domain_id", type=int, help="Tie it to one of the user's sender domains (id).")
def templates_create(user_email, name, subject, html_file, text_file, domain_id):
    """Store a template; one that cannot compile is refused with its line."""
    from services import templates as service

    with _operating():
        created = service.create(_find_user(user_email), name, subject=subject, html=_read(html_file) or "",
                                 text=_read(text_file) or "", domain=domain_id)
        click.echo(f"template {created.id} ({created.uuid}) created")


@templates.command("show")
@click.argument("template")
@click.option("--json", "as_json", is_flag=True)
def templates_show(template, as_json):
    """One template (by id or uuid) with its parts and its earlier versions."""
    from services import templates as service

    with _operating():
        found = service.get(template, None)
        info = _template_row(found) | {"HTML": found.html, "Text": found.text,
                                       "Versions": [{"Version": v.version, "Subject": v.subject,
                                                     "Since": v.created_at.isoformat()}
                                                    for v in service.versions(found)]}
    if as_json:
        click.echo(json.dumps(info))
        return
    click.echo(f"{info['TemplateID']} {info['UUID']} v{info['Version']} {info['Name']!r}"
               f"{'' if info['Active'] else ' (inactive)'}\nSubject: {info['Subject']}\n--- html\n{info['HTML']}"
               f"\n--- text\n{info['Text']}")
    for v in info["Versions"]:
        click.echo(f"earlier: v{v['Version']} since {v['Since']}  {v['Subject']}")


@templates.command("update")
@click.argument("template")
@click.option("--name")
@click.option("--subject")
@click.option("--html", "html_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--text", "text_file", type=click.Path(exists=True, dir_okay=False))
def templates_update(template, name, subject, html_file, text_file):
    """Change a template; the previous version is kept."""
    from services import templates as service

    changes = {k: v for k, v in (("name", name), ("subject", subject), ("html", _read(html_file)),
                                 ("text", _read(text_file))) if v is not None}
    with _operating():
        updated = service.update(service.get(template, None), None, **changes)
        click.echo(f"template {updated.id} is now version {updated.version}")


@templates.command("render")
@click.argument("template")
@click.option("--var", "variables", multiple=True, help="KEY=VALUE (repeatable).")
@click.option("--vars-json", help="The variables as one JSON object.")
def templates_render(template, variables, vars_json):
    """Render a template with variables, as mail would carry it."""
    from services import templates as service

    values = (json.loads(vars_json) if vars_json else {}) | _pairs(variables)
    with _operating():
        out = service.render(service.get(template, None), values)
    click.echo(f"Subject: {out.subject}\n--- html\n{out.html}\n--- text\n{out.text}")


@templates.command("deactivate")
@click.argument("template")
def templates_deactivate(template):
    from services import templates as service

    with _operating():
        service.set_active(service.get(template, None), None, False)
    click.echo(f"template {template} deactivated")


@templates.command("activate")
@click.argument("template")
def templates_activate(template):
    from services import templates as service

    with _operating():
        service.set_active(service.get(template, None), None, True)
    click.echo(f"template {template} activated")


@templates.command("delete")
@click.argument("template")
def templates_delete(template):
    from services import templates as service

    with _operating():
        service.delete(service.get(template, None), None)
    click.echo(f"template {template} deleted")


@main.group("lists")
def contact_lists():
    """A user's contact lists."""


@contact_lists.command("create")
@click.option("--user", "user_email", required=True)
@click.argument("name")
def lists_create(user_email, name):
    from services import contacts

    with _operating():
        created = contacts.create_list(_find_user(user_email), name)
        click.echo(f"list {created.id} created")


@contact_lists.command("list")
@click.option("--user", "user_email", required=True)
@click.option("--json", "as_json", is_flag=True)
def lists_list(user_email, as_json):
    """The user's lists with their contacts per status."""
    from services import contacts

    with _operating():
        rows = [{"ListID": lst.id, "Name": lst.name, "CreatedAt": lst.created_at.isoformat(),
                 "Contacts": contacts.counts(lst)} for lst in contacts.lists_of(_find_user(user_email))]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['ListID']:>5}  {r['Name']:<30} " + ", ".join(f"{k} {v}" for k, v in r["Contacts"].items()))


@contact_lists.command("rename")
@click.argument("list_id", type=int)
@click.argument("name")
def lists_rename(list_id, name):
    from services import contacts

    with _operating():
        contacts.rename_list(contacts.get_list(list_id, None), name)
    click.echo(f"list {list_id} renamed")


@contact_lists.command("delete")
@click.argument("list_id", type=int)
def lists_delete(list_id):
    """Delete a list and its contacts."""
    from services import contacts

    with _operating():
        contacts.delete_list(contacts.get_list(list_id, None))
    click.echo(f"list {list_id} deleted")


@main.group()
def contacts():
    """The contacts on a list."""


@contacts.command("add")
@click.argument("list_id", type=int)
@click.argument("address")
@click.option("--name", default="")
@click.option("--field", "fields", multiple=True, help="KEY=VALUE custom field (repeatable).")
def contacts_add(list_id, address, name, fields):
    from services import contacts as service

    with _operating():
        added = service.add(service.get_list(list_id, None), address, name=name, fields=_pairs(fields))
        click.echo(f"{added.email} added to list {list_id}")


@contacts.command("list")
@click.argument("list_id", type=int)
@click.option("--status", type=click.Choice(["subscribed", "unsubscribed", "bounced", "complained"]))
@click.option("--limit", default=100, show_default=True)
@click.option("--after", default=0, help="Continue after this contact id.")
@click.option("--json", "as_json", is_flag=True)
def contacts_list(list_id, status, limit, after, as_json):
    from services import contacts as service

    with _operating():
        rows = [{"ContactID": c.id, "Email": c.email, "Name": c.name, "Status": c.status,
                 "Fields": json.loads(c.fields), "UpdatedAt": c.updated_at.isoformat()}
                for c in service.contacts_on(service.get_list(list_id, None), status, after, limit)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(f"{r['ContactID']:>7}  {r['Email']:<40} {r['Status']:<12} {r['Name']}")


@contacts.command("update")
@click.argument("list_id", type=int)
@click.argument("address")
@click.option("--name")
@click.option("--status", type=click.Choice(["subscribed", "unsubscribed", "bounced", "complained"]))
@click.option("--field", "fields", multiple=True, help="KEY=VALUE custom field (KEY= removes it).")
def contacts_update(list_id, address, name, status, fields):
    from services import contacts as service

    changes = {k: v or None for k, v in _pairs(fields).items()} or None
    with _operating():
        found = service.get(service.get_list(list_id, None), address)
        service.update(found, name=name, fields=changes, status=status)
        click.echo(f"{found.email} updated")


@contacts.command("remove")
@click.argument("list_id", type=int)
@click.argument("address")
def contacts_remove(list_id, address):
    from services import contacts as service

    with _operating():
        service.remove(service.get_list(list_id, None), address)
    click.echo(f"{address} removed from list {list_id}")


@contacts.command("import")
@click.argument("list_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def contacts_import(list_id, file):
    """Add or update contacts from a CSV file with a header row (email, name, any custom fields).
    Existing contacts keep their status; invalid lines are reported by number."""
    from services import contacts as service

    with _operating():
        with click.progressbar(length=os.path.getsize(file), label="importing", file=sys.stderr) as bar:
            summary = service.import_csv(None, list_id, file, progress=lambda done, total: bar.update(done - bar.pos))
    click.echo(f"added {summary['added']}, updated {summary['updated']}, invalid {len(summary['invalid'])}")
    for line, reason in summary["invalid"]:
        click.echo(f"  line {line}: {reason}")


@main.group()
def campaigns():
    """Campaigns: content sent to a contact list at a pace, by the workers."""


def _when(value: str | None):
    """A "YYYY-MM-DD HH:MM[:SS]" option, read as UTC."""
    import datetime

    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not YYYY-MM-DD HH:MM:SS (UTC)") from None


def _echo_campaign(view: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, default=str))
        return
    stats = view["stats"]
    click.echo(f"{view['id']:>5}  {view['status']:<9}  {view['name']}  (list {view['list_id']}, "
               f"{view['speed'] or 'unpaced'}{'/h' if view['speed'] else ''})  "
               + ", ".join(f"{k} {v}" for k, v in stats.items()))
    if view["last_error"]:
        click.echo(f"       {view['last_error']}")


@campaigns.command("create")
@click.option("--user", "user_email", required=True)
@click.option("--name", required=True)
@click.option("--list", "list_id", type=int, required=True)
@click.option("--from", "from_email", required=True)
@click.option("--from-name", default="")
@click.option("--reply-to", default="")
@click.option("--template", help="A stored template (id or uuid); its content is copied at launch.")
@click.option("--subject", default="")
@click.option("--html", "html_file", type=click.Path(exists=True, dir_okay=False), help="File with the HTML part.")
@click.option("--text", "text_file", type=click.Path(exists=True, dir_okay=False), help="File with the text part.")
@click.option("--speed", default=0, show_default=True, help="Messages per hour (0: as fast as the queue takes them).")
@click.option("--tag", "tags", multiple=True)
def campaigns_create(user_email, name, list_id, from_email, from_name, reply_to, template, subject, html_file,
                     text_file, speed, tags):
    """A draft campaign; `launch` sends it."""
    from services import campaigns as service

    with _operating():
        created = service.create(_find_user(user_email), name=name, list_id=list_id, from_email=from_email,
                                 from_name=from_name, reply_to=reply_to, template=template, subject=subject,
                                 html=_read(html_file) or "", text=_read(text_file) or "", speed=speed, tags=tags)
        click.echo(f"campaign {created.id} ({created.uuid}) created as a draft")


@campaigns.command("list")
@click.option("--user", "user_email", required=True)
@click.option("--status", type=click.Choice(["draft", "scheduled", "sending", "paused", "completed", "cancelled"]))
@click.option("--json", "as_json", is_flag=True)
def campaigns_list(user_email, status, as_json):
    """The user's campaigns, newest first, with their stats."""
    from services import campaigns as service

    with _operating():
        views = [service.view(c) for c in service.list_for(_find_user(user_email), status)]
    if as_json:
        click.echo(json.dumps(views, default=str))
        return
    for view in views:
        _echo_campaign(view, False)


@campaigns.command("show")
@click.argument("campaign")
@click.option("--json", "as_json", is_flag=True)
def campaigns_show(campaign, as_json):
    """One campaign (id or uuid) with its stats from the events of its mail."""
    from services import campaigns as service

    with _operating():
        _echo_campaign(service.view(service.get(campaign, None)), as_json)


@campaigns.command("launch")
@click.argument("campaign")
@click.option("--at", "begins_at", help="Start then (UTC, YYYY-MM-DD HH:MM:SS) instead of now.")
def campaigns_launch(campaign, begins_at):
    """Schedule a draft: the workers start it at its time."""
    from services import campaigns as service

    with _operating():
        launched = service.launch(service.get(campaign, None), _when(begins_at))
        click.echo(f"campaign {launched.id} scheduled for {launched.begins_at:%Y-%m-%d %H:%M:%S} UTC")


def _campaign_action(name: str, done: str, doc: str) -> None:
    @campaigns.command(name, help=doc)
    @click.argument("campaign")
    def action(campaign):
        from services import campaigns as service

        with _operating():
            found = service.get(campaign, None)
            getattr(service, name)(found)
        click.echo(f"campaign {found.id} {done}")


for _action in (("pause", "paused", "Stop queueing its mail (what is queued goes out)."),
                ("resume", "resumed", "Go on where it stopped."), ("cancel", "cancelled", "Stop it for good."),
                ("delete", "deleted", "Delete a draft, completed or cancelled campaign (its mail stays).")):
    _campaign_action(*_action)


def _find_user(email: str):
    from services import accounts

    found = accounts.find_user(email)
    if found is None:
        raise click.ClickException(f"no user {email}")
    return found


if __name__ == "__main__":
    sys.exit(main())
