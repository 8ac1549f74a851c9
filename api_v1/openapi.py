"""GET /api/v1/openapi.json: the OpenAPI 3 document of this dialect, built once from the very
marshmallow schemas the views validate with (and the send command's ERRORS table), so it cannot
drift from the code; GET /api/v1/docs: a page that renders it, with no outside script.

`Params` reads lower-cased keys (its fields' data_key); the document names each field as Octeth
spells it (the attribute name) and says that names are case-insensitive."""
from __future__ import annotations

import functools
import http
from importlib.metadata import PackageNotFoundError, version

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response
from marshmallow import EXCLUDE, Schema, fields

from api_v1.resource import RATE_LIMITED, blueprint
from api_v1.events import DEFAULT_COUNT, MAX_COUNT, EventsParams
from api_v1.webhooks import AddParams, DeleteParams
from edge import octeth_send as send_email
from edge.octeth_vocabulary import PAST, SHORT
from edge.params import Flag

DESCRIPTION = """\
The REST twin of Octeth's Email Gateway API.

**Authentication**: a sender-domain API key, as `Authorization: Bearer <key>`; the key is also
accepted as `SenderAPIKey` in the body or the query string.

**Parameters** are read from the query string, then from the body (JSON, form-encoded or
multipart; a body that starts with `{` is read as JSON whatever its Content-Type). Parameter
names are case-insensitive at every depth (`HTMLContent` and `HtmlContent` are the same key);
this document spells them as Octeth does. Unknown parameters are ignored.

**Errors** answer `{"Errors": [{"Code": <int>, "Message": <text>}]}` with every failing
parameter reported; each error response below lists the codes it can carry. The HTTP status
follows the lowest code, so a response may also carry codes listed under other statuses.

**Rate limit** per key (per client address without a key): `429` with `Retry-After` (seconds).
"""

class MessageIDs(fields.Field):
    """One MessageID, or a list of them (a TargetListID or personalised TemplateID send)."""


ADDRESS = {"type": "object", "required": ["email"],
           "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}}
# the custom fields of the send request, as JSON Schema (marshmallow cannot say what they read)
CUSTOM_FIELDS = {
    MessageIDs: {"oneOf": [{"type": "string", "format": "uuid"},
                           {"type": "array", "items": {"type": "string", "format": "uuid"}}]},
    send_email.Sender: ADDRESS,
    send_email.Addresses: {"type": "array", "items": ADDRESS,
                           "description": "[{name, email}, ...]; name may be omitted, an item may be a "
                                          "bare address (and for To/CC a single object is a list of one)"},
    send_email.Attachments: {"type": "array", "items": {
        "type": "object", "required": ["filename", "content"],
        "properties": {"filename": {"type": "string"},
                       "content": {"type": "string", "format": "byte", "description": "base64"},
                       "type": {"type": "string", "default": "application/octet-stream"},
                       "disposition": {"type": "string", "enum": ["attachment", "inline"], "default": "attachment"},
                       "contentid": {"type": "string", "description": "Content-ID of an inline part"}}}},
    send_email.Headers: {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "name: value; no CR/LF, and none of the headers Gatepost owns "
                                        "(From, DKIM-Signature, Return-Path, List-Unsubscribe, ...)"},
    send_email.Tags: {"type": "array", "items": {"type": "string", "maxLength": 128},
                      "description": f"a single string is a list of one; at most {send_email.MAX_TAGS} are kept"},
    send_email.SendAt: {"type": "integer", "format": "int64", "description": "unix time (UTC) to send at"},
    Flag: {"type": "boolean", "description": "also 1/0, \"true\", \"yes\", \"on\" (as PHP reads a switch)"},
}
# what the schema cannot say about a field, by (schema, field)
NOTES = {
    ("SendEmailParams", "ContentType"): {"enum": ["html", "plain"], "description": "case-insensitive"},
    ("SendEmailParams", "HTMLContent"): {"description": "required when ContentType is html"},
    ("SendEmailParams", "PlainContent"): {"description": "required when ContentType is plain"},
    ("SendEmailParams", "BCC"): {"description": "at most the server's max_recipients addresses"},
    ("SendEmailParams", "ReplyTo"): {"maxItems": send_email.MAX_REPLY_TO},
    ("SendEmailParams", "TemplateID"): {"oneOf": [{"type": "integer"}, {"type": "string", "format": "uuid"}],
                                        "description": (
        "a stored template's id (or uuid), rendered with Variables and each To recipient's name, email and "
        "`variables`; several To recipients without CC/BCC get a message each (MessageID is then a list)")},
    ("SendEmailParams", "TargetListID"): {"type": "integer", "description": (
        "send to the list's subscribed contacts (the first 250 by address unless the server sends to whole "
        "lists), one message each, personalised from their fields; To is then optional")},
    ("SendEmailParams", "Variables"): {"type": "object", "description": "template variables for every recipient"},
    ("AddParams", "Event"): {"enum": sorted({*SHORT.values(), *PAST.values()}),
                             "description": "case-insensitive; several as a list or comma-separated"},
    ("AddParams", "WebhookURL"): {"format": "uri"},
    ("EventsParams", "RetrieveCount"): {"description": f"at most {MAX_COUNT} are returned"},
    ("EventsParams", "StartDate"): {"description": "unix time, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)"},
    ("EventsParams", "EndDate"): {"description": "unix time, YYYY-MM-DD (the whole day) or YYYY-MM-DD HH:MM:SS"},
    ("EventsParams", "Event"): {"enum": sorted({*SHORT.values(), *PAST.values()}), "description": "case-insensitive"},
}
SEND_DESCRIPTION = ("From, Subject and ContentType are required; HTMLContent (html) or PlainContent (plain) "
                    "too; and at least one recipient in To, CC or BCC. With TemplateID the template gives the "
                    "subject and content; with TargetListID the list gives the recipients (and MessageID is a "
                    "list). ListID, SubscriberID, JourneyID and ActionID are refused as not supported yet.")


class Body(Schema):
    """A response body: rows are supersets (seed + newer docs), so other keys may come too."""

    class Meta:
        unknown = EXCLUDE


class MessageSent(Body):
    MessageID = MessageIDs(required=True)


class WebhookAdded(Body):
    NewWebhookID = fields.String(required=True, metadata={"description": "a string, as the seed shows it"})


class WebhookRow(Body):
    WebhookID = fields.String(required=True)
    Event = fields.String(required=True, metadata={"enum": list(PAST.values())})
    Events = fields.List(fields.String(metadata={"enum": list(PAST.values())}))
    WebhookURL = fields.String(required=True)
    URL = fields.String(required=True, metadata={"description": "the seed's name for WebhookURL"})
    Status = fields.String(required=True, metadata={"description": "Active, or why it is not"})
    StatusReason = fields.String(allow_none=True)


class WebhookList(Body):
    Webhooks = fields.List(fields.Nested(WebhookRow), required=True)


class Done(Body):
    Message = fields.String(required=True)


class MessageHeaders(Body):
    From = fields.String(allow_none=True)
    To = fields.String(allow_none=True)
    Subject = fields.String(allow_none=True)


class EventMessage(Body):
    Headers = fields.Nested(MessageHeaders)


class EventRow(Body):
    EventId = fields.String(required=True, metadata={"example": "evt_981"})
    EventType = fields.String(required=True)
    EventTimestamp = fields.String(required=True, metadata={"format": "date-time"})
    Recipient = fields.String(allow_none=True)
    MessageId = fields.String(allow_none=True)
    CampaignId = fields.String(allow_none=True)
    Details = fields.Dict(metadata={"description": "UserAgent, IpAddress and the event's own details"})
    Event = fields.String(required=True)
    LoggedAt = fields.Integer(required=True, metadata={"description": "unix time"})
    Tags = fields.List(fields.String())
    Message = fields.Nested(EventMessage)


class EventList(Body):
    TotalRecords = fields.Integer(required=True)
    Events = fields.List(fields.Nested(EventRow), required=True)


class ErrorItem(Body):
    Code = fields.Integer(required=True)
    Message = fields.String(required=True)


class Errors(Body):
    Errors = fields.List(fields.Nested(ErrorItem), required=True)


# error codes by HTTP status; /email's come from the send command's own table
COMMON = {400: {100000: "Invalid JSON request body"},
          429: {429: RATE_LIMITED.format(seconds="N", attempts="M")},
          500: {100005: "API command failed"}}
KEY_CODES = {401: {13: "Invalid SenderAPIKey"}, 403: {2: "Invalid user account"}}


def send_codes() -> dict[int, dict[int, str]]:
    codes: dict[int, dict[int, str]] = {}
    for code, (text, status) in send_email.ERRORS.items():
        codes.setdefault(status, {})[code] = text
    return codes


ERROR_CODES = {  # (path, method): {status: {code: message}}
    ("/email", "post"): send_codes(),
    ("/webhooks", "post"): {**KEY_CODES, 422: {2: "Event is missing", 3: "Invalid Event value",
                                               5: "WebhookURL is missing", 6: "Invalid WebhookURL",
                                               7: "WebhookURL host is not allowed"}},
    ("/webhooks", "get"): KEY_CODES,
    ("/webhooks", "delete"): {**KEY_CODES, 404: {4: "Invalid WebhookID"}, 422: {1: "WebhookID is missing"}},
    ("/events", "get"): {401: {1: "Missing SenderAPIKey", 13: "Invalid SenderAPIKey"}, 403: KEY_CODES[403],
                         422: {4: "Invalid StartFrom", 5: "Invalid RetrieveCount",
                               6: "Invalid StartDate, EndDate, Event or MessageID"}},
}


def documented(schema: type[Schema]) -> type[Schema]:
    """`schema` with its fields keyed by their Octeth spelling (no lower-cased data_key)."""
    meta = type("Meta", (schema.Meta,), {"register": False})
    return type(schema.__name__, (schema,), {"on_bind_field": Schema.on_bind_field, "Meta": meta})


def _custom_fields(self, field, **kwargs) -> dict:
    """Attribute function: the JSON Schema of Gatepost's own fields, and the NOTES."""
    for cls in type(field).__mro__:
        if cls in CUSTOM_FIELDS:
            ret = dict(CUSTOM_FIELDS[cls])
            break
    else:
        ret = {}
    note = NOTES.get((type(field.parent).__name__, field.name), {})
    if "description" in ret and "description" in note:
        note = {**note, "description": ret["description"] + "; " + note["description"]}
    return {**ret, **note}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_responses(path: str, method: str) -> dict:
    responses = {}
    table = {**COMMON, **ERROR_CODES[(path, method)]}
    for status in sorted(table):
        codes = dict(sorted({**COMMON.get(status, {}), **table[status]}.items()))  # the path's own text wins
        lines = "\n".join(f"- `{code}` {text}" for code, text in codes.items())
        responses[str(status)] = {
            "description": f"{http.HTTPStatus(status).phrase}. Codes:\n{lines}",
            "content": {"application/json": {"schema": _ref("Errors")}},
            "x-error-codes": [{"Code": code, "Message": text} for code, text in codes.items()]}
    responses["429"]["headers"] = {"Retry-After": {"description": "seconds until the limit resets",
                                                   "schema": {"type": "integer"}}}
    return responses


def _operation(path: str, method: str, summary: str, ok: str, ok_schema: str, **extra) -> dict:
    return {"summary": summary, "security": [{"bearer": []}, {"SenderAPIKey": []}], **extra,
            "responses": {"200": {"description": ok, "content": {"application/json": {"schema": _ref(ok_schema)}}},
                          **_error_responses(path, method)}}


def _json_body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


@functools.cache
def document() -> dict:
    """The OpenAPI document (built on first use, then kept)."""
    try:
        release = version("gatepost")
    except PackageNotFoundError:
        release = "0"
    spec = APISpec(title="Gatepost /api/v1", version=release, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={"description": DESCRIPTION})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "Authorization: Bearer <sender-domain API key>"})
    spec.components.security_scheme("SenderAPIKey", {
        "type": "apiKey", "in": "query", "name": "SenderAPIKey",
        "description": "the same key as a parameter (query string or body)"})
    ma = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))
    ma.converter.add_attribute_function(_custom_fields)  # not map_to_openapi_type: that edits apispec's global table
    spec.components.schema("SendEmailParams", {"description": SEND_DESCRIPTION},
                           schema=documented(send_email.SendEmailParams))
    spec.components.schema("AddWebhookParams", schema=documented(AddParams))
    spec.components.schema("DeleteWebhookParams", schema=documented(DeleteParams))
    for schema in (MessageSent, WebhookAdded, WebhookRow, WebhookList, Done, MessageHeaders, EventMessage,
                   EventRow, EventList, ErrorItem, Errors):
        spec.components.schema(schema.__name__, schema=schema)

    spec.path("/api/v1/email", operations={"post": _operation(
        "/email", "post", "Send one message", "Accepted: the message and a delivery per recipient are committed",
        "MessageSent", requestBody=_json_body("SendEmailParams"))})
    spec.path("/api/v1/webhooks", operations={
        "post": _operation("/webhooks", "post", "Subscribe a URL to one event type of the key's domain",
                           "The new webhook", "WebhookAdded", requestBody=_json_body("AddWebhookParams")),
        "get": _operation("/webhooks", "get", "The webhooks of the key's domain", "The webhooks", "WebhookList"),
        "delete": _operation("/webhooks", "delete", "Delete a webhook of the key's domain", "Deleted", "Done",
                             description="WebhookID may also be given in the query string.",
                             requestBody=_json_body("DeleteWebhookParams")),
    })
    spec.path("/api/v1/events", operations={"get": _operation(
        "/events", "get", "The events of the key's domain, newest first",
        f"A page of events ({DEFAULT_COUNT} by default, at most {MAX_COUNT})", "EventList",
        parameters=[{"in": "query", "schema": documented(EventsParams)}])})
    return spec.to_dict()


@blueprint.get("/openapi.json")
def openapi_json():
    return document()


@blueprint.get("/docs")
def docs():
    return Response(DOCS_PAGE, mimetype="text/html")


DOCS_PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Gatepost /api/v1</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.4em 0 1em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;
vertical-align:top}code,.t{font-family:ui-monospace,monospace;font-size:90%}h2{margin-top:2em;border-top:1px solid #ccc;
padding-top:1em}.d{white-space:pre-wrap}
</style>
<h1>Gatepost /api/v1</h1><p><a href="openapi.json">openapi.json</a></p><div id="doc">Loading...</div>
<script>
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);
let spec;
const deref = s => s && s.$ref ? deref(s.$ref.split("/").slice(1).reduce((o, k) => o[k], spec)) : (s || {});
function type(s) {
  s = deref(s);
  if (s.type === "array") return "array of " + type(s.items);
  if (s.properties) return "{" + Object.entries(s.properties).map(([k, v]) =>
    k + ((s.required || []).includes(k) ? "" : "?") + ": " + type(v)).join(", ") + "}";
  if (s.type === "object") return "object of " + (s.additionalProperties ? type(s.additionalProperties) : "any");
  return (s.type || "any") + (s.format ? " (" + s.format + ")" : "") + (s.enum ? ": " + s.enum.join(" | ") : "")
    + (s.nullable ? " or null" : "");
}
const table = (head, rows) => rows.length ? "<table><tr>" + head.map(h => "<th>" + h + "</th>").join("") + "</tr>"
  + rows.map(r => "<tr>" + r.map(c => "<td>" + c + "</td>").join("") + "</tr>").join("") + "</table>" : "";
function fields(s) {
  s = deref(s);
  return table(["Field", "Type", "Required", "Description"], Object.entries(s.properties || {}).map(([k, v]) =>
    ["<code>" + esc(k) + "</code>", "<span class=t>" + esc(type(v)) + "</span>",
     (s.required || []).includes(k) ? "yes" : "", esc(deref(v).description)]));
}
fetch("openapi.json").then(r => r.json()).then(doc => {
  spec = doc;
  let html = "<p class=d>" + esc(doc.info.description) + "</p><p>Version " + esc(doc.info.version) + "</p>";
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    html += "<h2><code>" + method.toUpperCase() + " " + esc(path) + "</code></h2><p>" + esc(op.summary) + "</p>";
    if (op.description) html += "<p class=d>" + esc(op.description) + "</p>";
    html += "<p>Auth: " + (op.security || []).map(s => Object.keys(s).join(" + ")).join(" or ") + "</p>";
    if (op.parameters) html += "<h3>Parameters</h3>" + table(["Name", "In", "Type", "Required", "Description"],
      op.parameters.map(p => ["<code>" + esc(p.name) + "</code>", esc(p.in), "<span class=t>" + esc(type(p.schema))
        + "</span>", p.required ? "yes" : "", esc(p.description || deref(p.schema).description)]));
    if (op.requestBody) {
      const body = deref(op.requestBody.content["application/json"].schema);
      html += "<h3>Body (JSON)</h3>" + (body.description ? "<p>" + esc(body.description) + "</p>" : "") + fields(body);
    }
    html += "<h3>Responses</h3>" + table(["Status", "Meaning", "Body"], Object.entries(op.responses).map(([st, r]) =>
      [st, "<span class=d>" + esc(r.description) + "</span>",
       "<span class=t>" + esc(type((r.content || {})["application/json"]?.schema)) + "</span>"]));
  }
  document.getElementById("doc").innerHTML = html;
}).catch(e => { document.getElementById("doc").textContent = "Could not load openapi.json: " + e; });
</script>
</html>
"""
