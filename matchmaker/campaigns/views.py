"""The campaign console: campaigns (creation, edition, life cycle, audit log) and their
uploaded files (preview, confirmation). Runs, review, adjustments, publication and exports
are in :mod:`matchmaker.campaigns.run_views`, on the same blueprint. Reading routes are
open to collectif, ARS (its region, read only) and administrators; every write needs a
collectif owner or an administrator."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from matchmaker.audit import sentences
from matchmaker.auth.decorators import roles_required
from matchmaker.campaigns import adjust, exports, run_views, runs, services, uploads
from matchmaker.campaigns.blueprint import (
    MANAGERS,
    READERS,
    action_posted,
    bp,
    load_campaign,
    load_upload,
    render_campaign_page,
)
from matchmaker.campaigns.forms import ActionForm, CampaignForm, RunForm, UploadForm
from matchmaker.downloads import CSV_MIMETYPE, attachment
from matchmaker.errors import back_to
from matchmaker.extensions import current_rules, db
from matchmaker.models import Campaign, Role
from matchmaker.models.uploads import UPLOAD_KINDS

__all__ = ["bp", "run_views"]

ERROR_COLUMNS = ("fichier", "ligne", "colonne", "gravite", "attendu", "trouve", "indication")


# --- campaigns -------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*READERS)
def index() -> ResponseReturnValue:
    campaigns = services.visible_campaigns(db.session, current_user)
    return render_template(
        "campaigns/index.html",
        campaigns=campaigns,
        labels=services.STATUS_LABELS,
        may_create=current_user.role in MANAGERS,
    )


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create() -> ResponseReturnValue:
    form = CampaignForm()
    if request.method == "GET":
        form.process(
            data=services.solver_defaults(current_app.config, current_rules())
            | {"region": current_user.region or ""}
        )
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(db.session, current_user, _campaign_data(form))
        except services.CampaignError as error:
            db.session.rollback()  # the form is shown again, with what was typed
            flash(str(error), "error")
        else:
            flash("Campagne créée.", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None)


@bp.route("/campagnes/<int:campaign_id>/modifier", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    form = CampaignForm()
    if request.method == "GET":
        form.process(data=_form_data(campaign))
    if form.validate_on_submit():
        try:
            services.update_campaign(db.session, current_user, campaign, _campaign_data(form))
        except services.CampaignError as error:
            db.session.rollback()  # the form is shown again, with what was typed
            flash(str(error), "error")
        else:
            flash("Campagne enregistrée.", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign)


@bp.get("/campagnes/<int:campaign_id>")
@roles_required(*READERS)
def show(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    return render_campaign_page(
        "campaigns/show.html",
        campaign,
        owners=services.owners(db.session, campaign),
        uploads=uploads.campaign_uploads(db.session, campaign),
        runs=runs.campaign_runs(db.session, campaign),
        labels=services.STATUS_LABELS,
        transitions=services.TRANSITIONS,
        upload_form=UploadForm(admin=current_user.role == Role.ADMIN),
        run_form=RunForm(),
        locks=adjust.locks_of(db.session, campaign),
        **_expected_duration(campaign),
    )


def _expected_duration(campaign: Campaign) -> dict[str, Any]:
    """Expected time of an « interest » run, shown before it starts (issue 13)."""
    from matchmaker.grappes.errors import RunError
    from matchmaker.grappes.run_figures import expected_duration_s, interest_count

    n = interest_count(db.session, campaign)
    try:
        seconds = expected_duration_s(current_app.config, campaign.solver_params, n)
    except RunError:
        return {"expected_count": n, "expected_s": None}
    return {"expected_count": n, "expected_s": seconds}


@bp.post("/campagnes/<int:campaign_id>/etat")
@roles_required(*MANAGERS)
def change_status(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    form = ActionForm()
    target = url_for("campaigns.show", campaign_id=campaign.id)
    if not form.validate_on_submit():
        abort(400)
    back_to(target)
    flash(
        services.change_status(db.session, current_user, campaign, form.action.data or ""),
        "success",
    )
    return redirect(target)


@bp.get("/campagnes/<int:campaign_id>/journal")
@roles_required(*READERS)
def audit_log(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    lines = sentences.describe(db.session, services.audit_log(db.session, campaign))
    return render_template("campaigns/audit.html", campaign=campaign, lines=lines)


# --- uploads -----------------------------------------------------------------------------------


@bp.post("/campagnes/<int:campaign_id>/fichiers")
@roles_required(*MANAGERS)
def upload(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    if not uploads.may_upload_kind(current_user, request.form.get("kind", "")):
        abort(403)
    form = UploadForm(admin=current_user.role == Role.ADMIN)
    target = url_for("campaigns.show", campaign_id=campaign.id)
    if not form.validate_on_submit() or form.kind.data not in UPLOAD_KINDS:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(target)
    storage = form.file.data
    back_to(target)
    stored = uploads.store_upload(
        db.session,
        current_user,
        campaign,
        form.kind.data,
        storage.stream,
        storage.filename or "fichier",
        current_app.config,
    )
    flash("Fichier déposé : vérification en cours.", "success")
    return redirect(url_for("campaigns.upload_page", campaign_id=campaign.id, upload_id=stored.id))


@bp.get("/campagnes/<int:campaign_id>/fichiers/<int:upload_id>")
@roles_required(*READERS)
def upload_page(campaign_id: int, upload_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    item = load_upload(campaign, upload_id)
    if item.status in uploads.ACTIVE_STATUSES:
        # An upload whose job has ended (interrupted, failed) shows its final state.
        uploads.settle_upload(db.session, item)
        db.session.commit()
    job = uploads.upload_job(db.session, item)
    return render_campaign_page(
        "campaigns/upload.html",
        campaign,
        upload=item,
        job=job,
    )


@bp.get("/campagnes/<int:campaign_id>/fichiers/<int:upload_id>/erreurs.csv")
@roles_required(*READERS)
def upload_errors(campaign_id: int, upload_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    item = load_upload(campaign, upload_id)
    rows = (item.preview or {}).get("errors", [])
    return attachment(
        exports.errors_csv(rows, ERROR_COLUMNS),
        f"erreurs-fichier-{item.id}.csv",
        CSV_MIMETYPE,
    )


@bp.post("/campagnes/<int:campaign_id>/fichiers/<int:upload_id>/confirmer")
@roles_required(*MANAGERS)
def confirm_upload(campaign_id: int, upload_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    item = load_upload(campaign, upload_id)
    target = action_posted(
        url_for("campaigns.upload_page", campaign_id=campaign.id, upload_id=item.id)
    )
    uploads.confirm_upload(db.session, current_user, item, campaign)
    flash("Import lancé.", "success")
    return redirect(target)


@bp.post("/campagnes/<int:campaign_id>/fichiers/<int:upload_id>/relancer")
@roles_required(*MANAGERS)
def relaunch_upload(campaign_id: int, upload_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    item = load_upload(campaign, upload_id)
    target = action_posted(
        url_for("campaigns.upload_page", campaign_id=campaign.id, upload_id=item.id)
    )
    uploads.relaunch_upload(db.session, current_user, item, campaign, current_app.config)
    flash("Fichier relancé.", "success")
    return redirect(target)


@bp.post("/campagnes/<int:campaign_id>/fichiers/<int:upload_id>/abandonner")
@roles_required(*MANAGERS)
def discard_upload(campaign_id: int, upload_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    item = load_upload(campaign, upload_id)
    target = action_posted(url_for("campaigns.show", campaign_id=campaign.id))
    uploads.discard_upload(db.session, current_user, item, campaign, current_app.config)
    flash("Fichier abandonné.", "success")
    return redirect(target)


# --- form helpers ----------------------------------------------------------------------------


def _campaign_data(form: CampaignForm) -> services.CampaignData:
    params = {
        "min_size": form.min_size.data,
        "min_size_overseas": form.min_size_overseas.data,
        "max_size": form.max_size.data,
        "max_distance_km": form.max_distance_km.data,
        "time_limit_s": form.time_limit_s.data,
    }
    return services.CampaignData(
        name=form.name.data or "",
        region=form.region.data or None,
        departments=[d for d in (form.departments.data or "").split(",") if d.strip()],
        opens_on=form.opens_on.data,
        closes_on=form.closes_on.data,
        description=form.description.data,
        solver_params=params,
        co_owner_emails=[e for e in (form.co_owners.data or "").split(",") if e.strip()],
    )


def _form_data(campaign: Campaign) -> dict[str, Any]:
    defaults = services.solver_defaults(current_app.config, current_rules())
    params = {**defaults, **(campaign.solver_params or {})}
    return {
        "name": campaign.name,
        "region": campaign.region or "",
        "departments": ", ".join(campaign.departments or []),
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "description": campaign.description,
        **{key: params.get(key) for key in (*defaults, "max_distance_km")},
    }
