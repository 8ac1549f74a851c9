"""Templates (edit with a rendered preview), contact lists (add, CSV import with progress) and
campaigns (create, launch, pause, resume, cancel, with live progress)."""
from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path

from flask import Response, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from markupsafe import escape

import config
from models.db import database
from models.vocabulary import ContactStatus
from services import campaigns, contacts, domains, templates
from services.errors import DomainNotFound
from ui.web import BadInput, blueprint, field, number

PREVIEW_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:"
CONTACTS_PAGE = 100


# -- templates -------------------------------------------------------------------------------

@blueprint.get("/templates", endpoint="templates")
def list_templates():
    return render_template("templates.html", own=templates.list_own(g.user), system=templates.list_system())


@blueprint.post("/templates")
def create_template():
    template = templates.create(g.user, field("name") or "Untitled", request.form.get("subject", ""),
                                request.form.get("html", ""), request.form.get("text", ""))
    flash("Template created.", "ok")
    return redirect(url_for("ui.template", template_id=template.id))


@blueprint.get("/templates/<int:template_id>")
def template(template_id: int):
    found = templates.get(template_id, g.user)
    return render_template("template.html", template=found, versions=templates.versions(found),
                           own=found.user_id == g.user.id, sample=field("vars", '{"name": "Ada"}'))


@blueprint.post("/templates/<int:template_id>")
def update_template(template_id: int):
    found = templates.get(template_id, g.user)
    templates.update(found, g.user, name=field("name") or found.name, subject=request.form.get("subject", ""),
                     html=request.form.get("html", ""), text=request.form.get("text", ""))
    flash("Template saved as a new version.", "ok")
    return redirect(url_for("ui.template", template_id=template_id))


@blueprint.get("/templates/<int:template_id>/preview")
def preview_template(template_id: int):
    """The rendered HTML part alone, in a sandbox (no script, no same origin, no network but images)."""
    try:
        variables = json.loads(field("vars", "{}"))
    except ValueError:
        raise BadInput("The preview variables are not JSON") from None
    if not isinstance(variables, dict):
        raise BadInput("The preview variables must be a JSON object")
    rendered = templates.render(templates.get(template_id, g.user), variables)
    body = rendered.html or f"<pre>{escape(rendered.text)}</pre>"
    return Response(body, 200, {"Content-Security-Policy": PREVIEW_POLICY}, mimetype="text/html")


@blueprint.post("/templates/<int:template_id>/delete")
def delete_template(template_id: int):
    templates.delete(templates.get(template_id, g.user), g.user)
    flash("Template deleted.", "ok")
    return redirect(url_for("ui.templates"))


# -- lists and contacts ----------------------------------------------------------------------

@blueprint.get("/lists", endpoint="lists")
def list_lists():
    rows = contacts.lists_of(g.user)
    return render_template("lists.html", lists=[(row, contacts.counts(row)) for row in rows])


@blueprint.post("/lists")
def create_list():
    row = contacts.create_list(g.user, field("name") or "Untitled")
    return redirect(url_for("ui.contact_list", list_id=row.id))


@blueprint.get("/lists/<int:list_id>")
def contact_list(list_id: int):
    row = contacts.get_list(list_id, g.user)
    after = number("after", 0)
    page = contacts.contacts_on(row, after_id=after, limit=CONTACTS_PAGE)
    return render_template("list.html", list=row, counts=contacts.counts(row), contacts=page,
                           next_after=page[-1].id if len(page) == CONTACTS_PAGE else None, statuses=list(ContactStatus))


@blueprint.post("/lists/<int:list_id>/contacts")
def add_contact(list_id: int):
    contacts.add(contacts.get_list(list_id, g.user), field("email"), field("name"))
    flash("Contact added.", "ok")
    return redirect(url_for("ui.contact_list", list_id=list_id))


@blueprint.post("/lists/<int:list_id>/contacts/remove")
def remove_contact(list_id: int):
    contacts.remove(contacts.get_list(list_id, g.user), field("email"))
    flash("Contact removed.", "ok")
    return redirect(url_for("ui.contact_list", list_id=list_id))


@blueprint.post("/lists/<int:list_id>/rename")
def rename_list(list_id: int):
    contacts.rename_list(contacts.get_list(list_id, g.user), field("name") or "Untitled")
    return redirect(url_for("ui.contact_list", list_id=list_id))


@blueprint.post("/lists/<int:list_id>/delete")
def delete_list(list_id: int):
    contacts.delete_list(contacts.get_list(list_id, g.user))
    flash("List deleted.", "ok")
    return redirect(url_for("ui.lists"))


def _imports() -> dict:
    """Imports running or finished in this process (the progress page polls the process that runs
    it; a finished import's result is kept until the process ends)."""
    return current_app.extensions.setdefault("gatepost.ui_imports", {})


@blueprint.post("/lists/<int:list_id>/import")
def import_contacts(list_id: int):
    row = contacts.get_list(list_id, g.user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput("Choose a CSV file to import")
    folder = Path(config.current().var_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    job_id = secrets.token_urlsafe(16)
    path = folder / f"{job_id}.csv"
    upload.save(path)
    job = {"user_id": g.user.id, "list_id": row.id, "read": 0, "total": path.stat().st_size, "done": False,
           "added": 0, "updated": 0, "invalid": 0, "error": ""}
    _imports()[job_id] = job
    threading.Thread(target=_run_import, args=(g.user, row.id, path, job), daemon=True, name="ui-import").start()
    return redirect(url_for("ui.import_progress", job_id=job_id))


def _run_import(user, list_id: int, path: Path, job: dict) -> None:
    def progress(read: int, total: int) -> None:
        job.update(read=read, total=total)

    try:
        with database.connection_context():
            summary = contacts.import_csv(user, list_id, path, progress)
        job.update(added=summary["added"], updated=summary["updated"], invalid=len(summary["invalid"]),
                   problems=[f"line {line}: {reason}" for line, reason in summary["invalid"][:20]])
    except Exception as exc:  # shown on the progress page; the import's own errors say what to fix
        job["error"] = str(exc) or type(exc).__name__
    finally:
        job["done"] = True
        path.unlink(missing_ok=True)


def _job(job_id: str) -> dict:
    job = _imports().get(job_id)
    if job is None or job["user_id"] != g.user.id:
        abort(404)
    return job


def _import_view(job_id: str) -> dict:
    job = _job(job_id)
    return {**{k: v for k, v in job.items() if k != "user_id"},
            "state": "Finished." if job["done"] else "Running: this page updates itself."}


@blueprint.get("/imports/<job_id>")
def import_progress(job_id: str):
    return render_template("import.html", job=_import_view(job_id), job_id=job_id)


@blueprint.get("/imports/<job_id>.json")
def import_progress_json(job_id: str):
    return jsonify(_import_view(job_id))


# -- campaigns -------------------------------------------------------------------------------

@blueprint.get("/campaigns", endpoint="campaigns")
def list_campaigns():
    return render_template("campaigns.html", campaigns=campaigns.list_for(g.user), lists=contacts.lists_of(g.user),
                           templates=templates.list_own(g.user, active_only=True), domains=domains.list_for(g.user))


@blueprint.post("/campaigns")
def create_campaign():
    try:
        campaign = campaigns.create(
            g.user, name=field("name"), list_id=number("list"), from_email=field("from_email"),
            from_name=field("from_name"), reply_to=field("reply_to"), template=number("template"),
            subject=request.form.get("subject", ""), html=request.form.get("html", ""),
            text=request.form.get("text", ""), speed=number("speed", 0),
            tags=[t.strip() for t in field("tags").split(",") if t.strip()])
    except DomainNotFound as exc:  # the From address's domain: a field to correct, not a missing page
        raise BadInput(str(exc)) from None
    flash("Campaign created as a draft.", "ok")
    return redirect(url_for("ui.campaign", campaign_id=campaign.id))


@blueprint.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    return render_template("campaign.html", campaign=campaigns.view(campaigns.get(campaign_id, g.user)))


@blueprint.get("/campaigns/<int:campaign_id>/progress.json")
def campaign_progress(campaign_id: int):
    view = campaigns.view(campaigns.get(campaign_id, g.user))
    finished = view["status"] in ("completed", "cancelled", "draft")
    return jsonify({"status": view["status"], **view["stats"], "total": view["stats"]["recipients"], "done": finished})


ACTIONS = {"launch": campaigns.launch, "pause": campaigns.pause, "resume": campaigns.resume,
           "cancel": campaigns.cancel}


@blueprint.post("/campaigns/<int:campaign_id>/<action>")
def campaign_action(campaign_id: int, action: str):
    found = campaigns.get(campaign_id, g.user)
    if action == "delete":
        campaigns.delete(found)
        flash("Campaign deleted.", "ok")
        return redirect(url_for("ui.campaigns"))
    if action not in ACTIONS:
        abort(404)
    moved = ACTIONS[action](found)
    flash(f"Campaign {moved.status}.", "ok")
    return redirect(url_for("ui.campaign", campaign_id=campaign_id))
