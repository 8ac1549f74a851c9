"""POST /api/v1/smtp-welcome-mail {from_email (the recipient), shop_name, subject?,
html_content?}: the installation's `welcome` template (product_name = shop_name), or the given
subject and HTML, sent from the installation's own sender (GATEPOST_SYSTEM_SENDER). A token is
needed; a user_id is not."""
from __future__ import annotations

from marshmallow import validates_schema

from dialects.smtpprovider.resource import blueprint, ok, read
from dialects.smtpprovider.rules import Email, Rules, Text, required_with
from dialects.smtpprovider.senders import SYSTEM_MAIL_ERRORS
from dialects.smtpprovider.templates import MAX_BODY
from edge.errors import Declared, declares
from services import system_mail
from services.errors import TemplateInactive, TemplateNotFound, TemplateRenderFailed


class Welcome(Rules):
    from_email = Email(required=True)
    shop_name = Text(required=True)
    subject = Text(max_length=2000)
    html_content = Text(max_length=MAX_BODY)

    @validates_schema(skip_on_field_errors=False)
    def _content_with_subject(self, data, **kwargs):
        required_with(data, "html_content", "subject")


@blueprint.post("/v1/smtp-welcome-mail")
@declares(*SYSTEM_MAIL_ERRORS, *(Declared(cause, "mail", 503) for cause in (TemplateNotFound, TemplateInactive,
                                                                         TemplateRenderFailed)))
def welcome_mail():
    user, values = read(Welcome)
    if values["subject"] is not None:
        message_id = system_mail.send(values["from_email"], values["subject"], values["html_content"],
                                       tags=("welcome",), requested_by=user)
    else:
        message_id = system_mail.send_template("welcome", values["from_email"], {"product_name": values["shop_name"]},
                                               tags=("welcome",), requested_by=user)
    return ok(message="Welcome mail sent successfully", message_id=message_id)
