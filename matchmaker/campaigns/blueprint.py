"""The console's blueprint and what every console view shares: loading an object with its
access check (the one place), sending a file. A service's refusal reaches HTTP through
``matchmaker.errors`` (views name the page to go back to with ``back_to``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user

from matchmaker.campaigns import runs, services
from matchmaker.campaigns.forms import ActionForm
from matchmaker.errors import back_to
from matchmaker.extensions import db
from matchmaker.jobs import services as job_services
from matchmaker.models import Campaign, Grappe, Job, Role, SolverRun, Upload
from matchmaker.vocabulary import ExclusionReason

bp = Blueprint("campaigns", __name__, url_prefix="/console")

#: Reading routes: collectif, ARS (its region, read only), administrators.
READERS = (Role.COLLECTIF, Role.ARS, Role.ADMIN)
#: Writing routes: collectif owners of the campaign and administrators.
MANAGERS = (Role.COLLECTIF, Role.ADMIN)


# --- loading objects with their access check (the one place) ---------------------------------


def action_posted(target: str) -> str:
    """A console button's post (publish, relaunch, abandon…): refused (400) without its
    form; a domain error the action raises then flashes on ``target``, which is returned
    for the redirect."""
    if not ActionForm().validate_on_submit():
        abort(400)
    back_to(target)
    return target


def load_campaign(campaign_id: int, *, manage: bool = False) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    check = services.can_manage if manage else services.can_read
    if not check(db.session, current_user, campaign):
        abort(403)
    return campaign


def load_run(campaign: Campaign, run_id: int) -> SolverRun:
    run = db.session.get(SolverRun, run_id)
    if run is None or run.campaign_id != campaign.id:
        abort(404)
    return run


def load_grappe(campaign: Campaign, grappe_id: int) -> Grappe:
    grappe = db.session.get(Grappe, grappe_id)
    if grappe is None or grappe.run.campaign_id != campaign.id:
        abort(404)
    return grappe


def load_upload(campaign: Campaign, upload_id: int) -> Upload:
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.campaign_id != campaign.id:
        abort(404)
    return upload


def render_campaign_page(template: str, campaign: Campaign, **context: Any) -> str:
    """A console page of ``campaign``: adds whether the user manages it and the form whose
    CSRF token its action buttons carry."""
    return render_template(
        template,
        campaign=campaign,
        manage=services.can_manage(db.session, current_user, campaign),
        action_form=ActionForm(),
        **context,
    )


def _job_payload(job: Job | None) -> dict[str, Any] | None:
    return job_services.status_payload(job) if job is not None else None


bp.add_app_template_global(_job_payload, "job_payload")
# A mapping, not a function: Flask stores any value as a template global.
bp.add_app_template_global(runs.RUN_STATUS_LABELS, "run_status_labels")  # type: ignore[arg-type]
bp.add_app_template_global(ExclusionReason.labels(), "reason_labels")  # type: ignore[arg-type]
