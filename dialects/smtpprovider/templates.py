"""Templates: the user's own (index, show, add, update) and the installation's defaults. Their
`html_body` / `text_body` / `subject` are Jinja2 (sandboxed), personalised per contact when a
campaign sends them; one that does not compile is refused with its line."""
from __future__ import annotations

from dialects.smtpprovider.resource import AnyUser, ForUser, blueprint, invalid, ok, read, stamp
from dialects.smtpprovider.rules import Flag, Text, Whole
from edge.errors import Declared, declares
from services import templates
from services.errors import InvalidTemplate, TemplateNotFound

MAX_BODY = 1024 * 1024  # characters of an html_body / text_body


class Show(ForUser):
    template_id = Whole(required=True)


class Add(ForUser):
    name = Text(required=True)
    subject = Text(max_length=2000)
    html_body = Text(max_length=MAX_BODY)
    text_body = Text(max_length=MAX_BODY)
    active = Flag()


class Update(Add):
    template_id = Whole(required=True)
    name = Text()


INVALID_TEMPLATE = Declared(InvalidTemplate, "html_body", 422)


def template_view(template) -> dict:
    return {"id": template.id, "user_id": template.user_id, "name": template.name, "subject": template.subject,
            "html_body": template.html, "text_body": template.text, "active": template.active,
            "version": template.version, "created_at": stamp(template.created_at),
            "updated_at": stamp(template.updated_at)}


@blueprint.get("/v1/smtp-template-index")
def index_templates():
    user, _ = read(AnyUser)
    return ok(templates=[template_view(t) for t in templates.list_own(user)])


@blueprint.get("/v1/smtp-template-default")
def default_templates():
    read(AnyUser)
    return ok(default_templates=[template_view(t) for t in templates.list_system()])


@blueprint.get("/v1/smtp-template-show")
@declares(invalid("template_id", TemplateNotFound))
def show_template():
    user, values = read(Show)
    return ok(templates=template_view(templates.get(values["template_id"], user)))


@blueprint.post("/v1/smtp-template-add")
@declares(INVALID_TEMPLATE)
def add_template():
    user, values = read(Add)
    template = templates.create(user, values["name"], values["subject"] or "", values["html_body"] or "",
                                values["text_body"] or "")
    if values["active"] is False:
        templates.set_active(template, user, False)
    return ok(template=template_view(template))


@blueprint.post("/v1/smtp-template-update")
@declares(invalid("template_id", TemplateNotFound), INVALID_TEMPLATE)
def update_template():
    user, values = read(Update)
    template = templates.get(values["template_id"], user)
    changes = {part: values[key] for part, key in (("name", "name"), ("subject", "subject"), ("html", "html_body"),
                                                   ("text", "text_body")) if values[key] is not None}
    template = templates.update(template, user, **changes) if changes else template
    if values["active"] is not None:
        template = templates.set_active(template, user, values["active"])
    return ok(template=template_view(template))
