"""The /api.php envelope: {"Success", "ErrorCode", "ErrorText", ...payload}, in JSON or in
Octeth's XML form (<response><Key><![CDATA[value]]></Key>, list items as <node_N>)."""
from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from flask import Response, json

_XML_NAME = re.compile(r"[^A-Za-z0-9_.-]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 forbids


@dataclasses.dataclass(frozen=True)
class Download:
    """A command answer that is a file (ExportEvents' CSV), streamed instead of enveloped."""
    filename: str
    mimetype: str
    chunks: Iterable[bytes]
    headers: dict


def download(answer: Download) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{answer.filename}"', **answer.headers}
    return Response(answer.chunks, 200, headers, mimetype=answer.mimetype)


def success(payload: dict) -> dict:
    return {"Success": True, "ErrorCode": 0, "ErrorText": "", **payload}


def failure(code: int, text: str, detail: str | None = None, as_list: bool = False) -> dict:
    """ErrorText is the command's documented text; ErrorMessage says precisely what went wrong."""
    if as_list:
        return {"Success": False, "ErrorCode": [code], "ErrorText": [text], "ErrorMessage": detail or text}
    return {"Success": False, "ErrorCode": code, "ErrorText": text, "ErrorMessage": detail or text}


def hard_failure(code: int, text: str) -> dict:
    """Octeth v5.9.3+ hard failures (bad JSON, unknown command, crash) also carry Errors[]."""
    return {**failure(code, text), "Errors": [{"Code": code, "Message": text}]}


def render(body: dict, status: int = 200, xml: bool = False, headers: dict | None = None) -> Response:
    if xml:
        text = '<?xml version="1.0" encoding="utf-8"?>\n<response>' + _xml(body) + "</response>"
        return Response(text, status, headers, mimetype="text/xml")
    return Response(json.dumps(body), status, headers, mimetype="application/json")


def _xml(value) -> str:
    if isinstance(value, dict):
        return "".join(f"<{_tag(k)}>{_xml(v)}</{_tag(k)}>" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "".join(f"<node_{i}>{_xml(v)}</node_{i}>" for i, v in enumerate(value))
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = _NOT_XML.sub("\ufffd", "" if value is None else str(value))
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _tag(key) -> str:
    tag = _XML_NAME.sub("_", str(key))
    return tag if tag[:1].isalpha() or tag[:1] == "_" else "_" + tag
