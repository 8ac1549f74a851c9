"""Stored templates: a user's own and the system's (welcome, password reset, receipt), with
every earlier version kept, rendered through Jinja2's sandbox. The HTML part is autoescaped, the
subject and text parts are not (escaping them would show `&amp;` to the reader); a missing
variable renders empty; a template that cannot compile is refused when it is stored."""
from __future__ import annotations

import dataclasses
import functools

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

import clock
from models import SenderDomain, Template, TemplateVersion, User
from models.db import by_ident, database
from services.errors import DomainNotFound, InvalidTemplate, TemplateInactive, TemplateNotFound, TemplateRenderFailed

PARTS = ("subject", "html", "text")


class _Sandbox(SandboxedEnvironment):
    """Unsafe attribute access raises instead of rendering empty: ChainableUndefined would
    otherwise swallow the sandbox's refusal along with genuinely missing variables."""

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")


_ENVIRONMENTS = {autoescape: _Sandbox(autoescape=autoescape, undefined=jinja2.ChainableUndefined)
                 for autoescape in (True, False)}


@functools.lru_cache(maxsize=512)
def _compiled(source: str, autoescape: bool) -> jinja2.Template:
    """Compiled once per source: a campaign renders the same template for every contact."""
    return _ENVIRONMENTS[autoescape].from_string(source)


def check(part: str, source: str) -> None:
    """Refuse a part that does not compile, or that reaches for an attribute the sandbox
    forbids (`''.__class__`), with its line and the reason."""
    environment = _ENVIRONMENTS[part == "html"]
    try:
        tree = environment.parse(source)
        environment.compile(tree)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidTemplate(part, exc.lineno, exc.message or "syntax error") from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(name, str) and name.startswith("_"):
            raise InvalidTemplate(part, node.lineno, f"access to attribute {name!r} is not allowed")


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render(template: Template, variables: dict | None = None) -> Rendered:
    """The template's parts with `variables`; TemplateRenderFailed (never a crash) when the
    sandbox refuses something or an expression cannot be evaluated with these values."""
    if not template.active:
        raise TemplateInactive()
    return render_parts(template.subject, template.html, template.text, variables)


def render_parts(subject: str, html: str, text: str, variables: dict | None = None) -> Rendered:
    """Render content that is not stored (a campaign's own content), with the same rules."""
    variables = dict(variables or {})
    out = {}
    for part, source in zip(PARTS, (subject, html, text)):
        if not source:
            out[part] = ""
            continue
        try:
            out[part] = _compiled(source, part == "html").render(variables)
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidTemplate(part, exc.lineno, exc.message or "syntax error") from None
        except SecurityError as exc:
            raise TemplateRenderFailed(f"{part}: {exc}") from None
        except Exception as exc:  # an expression failing on these values (1 / 0, a missing number + 1)
            raise TemplateRenderFailed(f"{part}: {type(exc).__name__}: {exc}") from None
    return Rendered(**out)


def create(user: User, name: str, subject: str = "", html: str = "", text: str = "",
           domain: SenderDomain | int | None = None) -> Template:
    _check_all(subject, html, text)
    return Template.create(user=user, domain=_own_domain(user, domain), name=name.strip(), subject=subject,
                           html=html, text=text)


def get(ident: int | str, user: User | None) -> Template:
    """By its int id or its uuid. `user` sees their own and the system's templates; None is the
    operator, who sees every template."""
    condition = by_ident(Template, ident)
    if condition is None:
        raise TemplateNotFound()
    query = Template.select().where(condition)
    if user is not None:
        query = query.where((Template.user == user) | Template.user.is_null())
    found = query.first()
    if found is None:
        raise TemplateNotFound()
    return found


def list_own(user: User, active_only: bool = False) -> list[Template]:
    query = Template.select().where(Template.user == user)
    if active_only:
        query = query.where(Template.active == True)  # noqa: E712 (peewee expression)
    return list(query.order_by(Template.name, Template.id))


def list_system() -> list[Template]:
    return list(Template.select().where(Template.user.is_null()).order_by(Template.name))


def update(template: Template, user: User | None, **changes) -> Template:
    """Apply `changes` (name, subject, html, text, domain) as a new version; the previous one is
    kept as a TemplateVersion. System templates are the operator's (user None) to change."""
    _writable(template, user)
    allowed = {"name", "subject", "html", "text", "domain"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown template fields: {sorted(unknown)}")
    merged = {part: changes.get(part, getattr(template, part)) for part in PARTS}
    _check_all(**merged)
    with database.atomic():
        TemplateVersion.create(template=template, version=template.version, name=template.name,
                               subject=template.subject, html=template.html, text=template.text,
                               created_at=template.updated_at)
        if "domain" in changes:
            template.domain = _own_domain(template.user, changes["domain"])
        template.name = changes.get("name", template.name).strip()
        template.subject, template.html, template.text = merged["subject"], merged["html"], merged["text"]
        template.version += 1
        template.updated_at = clock.now()
        template.save()
    return template


def versions(template: Template) -> list[TemplateVersion]:
    """Earlier versions, newest first."""
    return list(template.versions.order_by(TemplateVersion.version.desc()))


def set_active(template: Template, user: User | None, active: bool) -> Template:
    _writable(template, user)
    template.active = active
    template.updated_at = clock.now()
    template.save()
    return template


def delete(template: Template, user: User | None) -> None:
    _writable(template, user)
    template.delete_instance()


SYSTEM_TEMPLATES = {
    "welcome": (
        "Welcome to {{ product_name | default('our service') }}",
        "<p>Hello {{ name | default('there') }},</p>\n"
        "<p>Welcome to {{ product_name | default('our service') }}.{% if action_url %} "
        "<a href=\"{{ action_url }}\">Get started</a>.{% endif %}</p>\n",
        "Hello {{ name | default('there') }},\n\nWelcome to {{ product_name | default('our service') }}."
        "{% if action_url %}\nGet started: {{ action_url }}{% endif %}\n",
    ),
    "password-reset": (
        "Reset your password",
        "<p>Hello {{ name | default('there') }},</p>\n"
        "<p>Someone asked to reset your password. <a href=\"{{ action_url }}\">Choose a new one</a>; the link "
        "expires in {{ expires_in | default('one hour') }}.</p>\n<p>If it was not you, ignore this message.</p>\n",
        "Hello {{ name | default('there') }},\n\nSomeone asked to reset your password. Choose a new one: "
        "{{ action_url }}\nThe link expires in {{ expires_in | default('one hour') }}.\n\n"
        "If it was not you, ignore this message.\n",
    ),
    "receipt": (
        "Your receipt{% if receipt_id %} #{{ receipt_id }}{% endif %}",
        "<p>Hello {{ name | default('there') }},</p>\n<p>Thank you for your purchase.</p>\n<table>\n"
        "{% for item in items | default([]) %}<tr><td>{{ item.description }}</td><td>{{ item.amount }}</td></tr>\n"
        "{% endfor %}<tr><th>Total</th><th>{{ total }}</th></tr>\n</table>\n",
        "Hello {{ name | default('there') }},\n\nThank you for your purchase.\n\n"
        "{% for item in items | default([]) %}{{ item.description }}: {{ item.amount }}\n{% endfor %}"
        "Total: {{ total }}\n",
    ),
}


def seed_system() -> list[str]:
    """Install the system templates that are missing (by name); returns the names added.
    Called by `gatepost migrate` and `serve`; an operator's edits to them are kept."""
    present = {t.name for t in list_system()}
    added = []
    for name, (subject, html, text) in SYSTEM_TEMPLATES.items():
        if name not in present:
            Template.create(user=None, name=name, subject=subject, html=html, text=text)
            added.append(name)
    return added


def _check_all(subject: str, html: str, text: str) -> None:
    for part, source in zip(PARTS, (subject, html, text)):
        check(part, source)


def _writable(template: Template, user: User | None) -> None:
    if user is not None and template.user_id != user.id:
        raise TemplateNotFound()


def _own_domain(user: User | None, domain: SenderDomain | int | None) -> SenderDomain | None:
    if domain is None:
        return None
    domain_id = domain.id if isinstance(domain, SenderDomain) else int(domain)
    found = SenderDomain.get_or_none((SenderDomain.id == domain_id) & (SenderDomain.user == user))
    if found is None or found.status == "Deleted":
        raise DomainNotFound()
    return found
