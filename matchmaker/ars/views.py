"""The ARS desk: embarkation dashboard, the non-embarked and their priorities, the contact
log and what-if simulations. ARS users see their own region; administrators choose one
(``?region=``); every other role gets a 403 (``matchmaker.ars.services.desk_region``)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from importers.geography import DEPARTMENTS, PROGRAMME_REGIONS, REGIONS, departments_of_region
from matchmaker import xlsx
from matchmaker.ars import contacts, exports, priorities, whatif
from matchmaker.ars import maps as ars_maps
from matchmaker.ars.dashboard import (
    CHAMP_LABELS,
    STAGE_LABELS,
    Dashboard,
    build_dashboard,
    champ_label,
)
from matchmaker.ars.forms import ContactForm, FilterForm, WhatIfForm, champ_weights_form
from matchmaker.ars.services import check_department, desk_region
from matchmaker.auth.decorators import roles_required
from matchmaker.downloads import CSV_MIMETYPE, attachment
from matchmaker.extensions import current_rules, db
from matchmaker.maps import in_bbox, parse_bbox
from matchmaker.models import Role, SolverRun
from matchmaker.ops import figures_cache
from matchmaker.vocabulary import RunStatus

bp = Blueprint("ars", __name__, url_prefix="/ars")

DESK_ROLES = (Role.ARS, Role.ADMIN)


def _region() -> str:
    return desk_region(current_user, request.values.get("region"))


def _department_choices(region: str, everything: str) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [
        SelectChoice(code, f"{code} {DEPARTMENTS[code].name}")
        for code in departments_of_region(region)
    ]


def _context(region: str, **values: Any) -> dict[str, Any]:
    """What every desk page shows: the region, the admin's region picker."""
    from matchmaker.ars import maps as ars_maps

    return {
        "region": region,
        "region_name": REGIONS[region].name,
        "regions": [(code, REGIONS[code].name) for code in PROGRAMME_REGIONS],
        "is_admin": current_user.role == Role.ADMIN,
        "champ_labels": CHAMP_LABELS,
        "stage_labels": STAGE_LABELS,
        "channel_labels": contacts.CHANNEL_LABELS,
        "champ_label": champ_label,
        "isolated_colour": ars_maps.ISOLATED_COLOUR,
        "target_colour": ars_maps.TARGET_COLOUR,
        "centre_colour": ars_maps.CENTRE_COLOUR,
        **values,
    }


# --- dashboard --------------------------------------------------------------------------


def _dashboard(region: str, department: str | None) -> Dashboard:
    """The dashboard's figures, computed once per version of what they are computed from
    (``priorities.desk_version``) and kept by the process, like the home page's (issue
    14): a new embarkation list, FINESS import or contact action shows at once."""
    return figures_cache.cached(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        f"ars.dashboard.{region}.{department or ''}",
        priorities.desk_version(db.session, region),
        lambda: build_dashboard(db.session, region, department, current_app.config),
    )


@bp.get("/")
@roles_required(*DESK_ROLES)
def dashboard() -> ResponseReturnValue:
    from matchmaker.ars import maps as ars_maps

    region = _region()
    department = check_department(region, request.args.get("departement"))
    figures = _dashboard(region, department)
    rates = ars_maps.department_rates(figures.by_department)
    return render_template(
        "ars/dashboard.html",
        **_context(
            region,
            figures=figures,
            department=department,
            departments=_department_choices(region, "Toute la région"),
            rate_map=ars_maps.rate_geojson(rates) if rates else None,
            rate_classes=ars_maps.RATE_CLASSES,
        ),
    )


@bp.get("/tableau-de-bord.xlsx")
@roles_required(*DESK_ROLES)
def dashboard_xlsx() -> ResponseReturnValue:
    region = _region()
    department = check_department(region, request.args.get("departement"))
    figures = _dashboard(region, department)
    name = f"embarquement-{department or 'region-' + region}.xlsx"
    return xlsx.send(exports.dashboard_xlsx(figures), name)


# --- the non-embarked -------------------------------------------------------------------


def _scored_targets(region: str) -> list[priorities.Target]:
    """The region's scored non-embarked: computed once per version of what it is computed
    from (``priorities.targets_version``) and kept by the process, so that the page, its
    map data and its exports share one computation (issue 14)."""
    cache: dict[str, list[priorities.Target]] = g.setdefault("ars_targets", {})
    if region not in cache:
        config = current_app.config
        weights = priorities.champ_weights(db.session, region, config)
        cache[region] = figures_cache.cached(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            f"ars.non_embarked.{region}",
            priorities.targets_version(db.session, region, weights),
            lambda: priorities.non_embarked(db.session, region, config, weights, current_rules()),
        )
    return cache[region]


def _filters(region: str) -> tuple[FilterForm, priorities.Filters]:
    form = FilterForm(request.args)
    form.departement.choices = _department_choices(region, "Tous")
    form.validate()
    department = form.departement.data if not form.departement.errors else None
    filters = priorities.Filters(
        department=check_department(region, department or None),
        champ=(form.champ.data or None) if not form.champ.errors else None,
        editor=(form.editeur.data or None) if not form.editeur.errors else None,
        small_og=bool(form.petit_og.data),
        isolated=bool(form.isole.data),
    )
    return form, filters


@bp.get("/non-embarques")
@roles_required(*DESK_ROLES)
def targets() -> ResponseReturnValue:

    region = _region()
    form, filters = _filters(region)
    selected = priorities.filtered(_scored_targets(region), filters)
    page = priorities.page_of(
        selected, request.args.get("page", 1, type=int), int(current_app.config["ARS_PAGE_SIZE"])
    )
    located = sum(1 for t in selected if t.latitude is not None and t.longitude is not None)
    weights = priorities.champ_weights(db.session, region, current_app.config)
    weights_form = champ_weights_form(int(current_app.config["ARS_CHAMP_WEIGHT_MAX"]), weights)
    return render_template(
        "ars/targets.html",
        **_context(
            region,
            form=form,
            page=page,
            total=len(selected),
            has_map=located > 0,
            weights_form=weights_form,
            query=request.args.to_dict(),
            radius_km=current_app.config["ARS_ISOLATION_RADIUS_KM"],
            small_og_factor=current_app.config["ARS_SMALL_OG_FACTOR"],
        ),
    )


@bp.get("/non-embarques.geojson")
@roles_required(*DESK_ROLES)
def targets_map() -> ResponseReturnValue:
    """The non-embarked page's map data, with the page's filters and the viewport
    (``bbox``); a summary per department when more than ``MAP_SUMMARY_THRESHOLD``."""
    region = _region()
    _form, filters = _filters(region)
    selected = priorities.filtered(_scored_targets(region), filters)
    bbox = parse_bbox(request.args.get("bbox"))
    located = [
        t
        for t in selected
        if t.latitude is not None
        and t.longitude is not None
        and in_bbox(t.latitude, t.longitude, bbox)
    ]
    narrow = filters.department is not None or bbox is not None
    if not narrow and len(located) > int(current_app.config["MAP_SUMMARY_THRESHOLD"]):
        # Any: url_for also has typed keywords (_external...) that **str values cannot fill
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("page", "bbox")}
        links = {
            code: url_for("ars.targets", **{**args, "region": region, "departement": code})
            for code in {t.department for t in located}
        }
        return jsonify(ars_maps.targets_summary_geojson(located, links))
    return jsonify(ars_maps.targets_geojson(ars_maps.target_points(located)))


@bp.get("/non-embarques.<any(xlsx, csv):fmt>")
@roles_required(*DESK_ROLES)
def targets_export(fmt: str) -> ResponseReturnValue:
    region = _region()
    _form, filters = _filters(region)
    selected = priorities.filtered(_scored_targets(region), filters)
    if fmt == "csv":
        return attachment(
            exports.targets_csv_chunks(selected), f"non-embarques-{region}.csv", CSV_MIMETYPE
        )
    return xlsx.send(exports.targets_xlsx(selected), f"non-embarques-{region}.xlsx")


@bp.post("/priorites")
@roles_required(*DESK_ROLES)
def champ_priorities() -> ResponseReturnValue:
    region = _region()
    config = current_app.config
    current = priorities.champ_weights(db.session, region, config)
    form = champ_weights_form(int(config["ARS_CHAMP_WEIGHT_MAX"]), current)
    if form.validate_on_submit():
        priorities.set_champ_weights(db.session, current_user, region, form.weights(), config)
        flash("Priorités par champ enregistrées.", "success")
    else:
        errors = [message for field in form if field.errors for message in field.errors]
        flash("Priorités non enregistrées : " + " ".join(errors), "error")
    return redirect(url_for("ars.targets", region=region))


# --- the contact log --------------------------------------------------------------------


@bp.get("/contacts")
@roles_required(*DESK_ROLES)
def contact_log() -> ResponseReturnValue:
    region = _region()
    stage = request.args.get("etape") or None
    if stage is not None and stage not in STAGE_LABELS:
        stage = None
    rows = contacts.current_log(db.session, region, stage)
    page = priorities.page_of(
        rows, request.args.get("page", 1, type=int), int(current_app.config["ARS_PAGE_SIZE"])
    )
    return render_template(
        "ars/contacts.html",
        **_context(
            region, page=page, stage=stage, action_count=contacts.count_actions(db.session, region)
        ),
    )


def _contact_page(
    region: str, *, finess_et: str | None, finess_ej: str | None
) -> ResponseReturnValue:
    if finess_et is not None:
        establishment = contacts.essms_target(db.session, region, finess_et)
        target_name = establishment.long_name or establishment.short_name
        target: Any = establishment
    else:
        assert finess_ej is not None
        target = contacts.og_target(db.session, region, finess_ej)
        target_name = target.name or finess_ej
    form = ContactForm()
    if form.validate_on_submit():
        data = contacts.ContactInput(
            acted_on=form.acted_on.data,
            channel=form.channel.data,
            stage=form.stage.data,
            outcome=form.outcome.data,
            next_step=form.next_step.data,
        )
        try:
            contacts.record_action(
                db.session, current_user, region, data, finess_et=finess_et, finess_ej=finess_ej
            )
        except contacts.ContactError as error:
            db.session.rollback()
            form.acted_on.errors = [*form.acted_on.errors, str(error)]
        else:
            flash("Action enregistrée.", "success")
            return redirect(
                request.path + (f"?region={region}" if current_user.role == Role.ADMIN else "")
            )
    actions = contacts.history(db.session, region, finess_et=finess_et, finess_ej=finess_ej)
    if actions and request.method == "GET":
        form.stage.data = actions[0].stage
    return render_template(
        "ars/contact.html",
        **_context(
            region,
            form=form,
            actions=actions,
            target=target,
            target_name=target_name,
            is_essms=finess_et is not None,
        ),
    )


@bp.route("/contacts/essms/<finess_et>", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def contact_essms(finess_et: str) -> ResponseReturnValue:
    return _contact_page(_region(), finess_et=finess_et, finess_ej=None)


@bp.route("/contacts/og/<finess_ej>", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def contact_og(finess_ej: str) -> ResponseReturnValue:
    return _contact_page(_region(), finess_et=None, finess_ej=finess_ej)


# --- what-if ----------------------------------------------------------------------------


@bp.route("/simulations", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def simulations() -> ResponseReturnValue:
    region = _region()
    form = WhatIfForm()
    form.departement.choices = _department_choices(region, "Toute la région")
    campaigns = whatif.region_campaigns(db.session, region)
    form.campagne.choices = [SelectChoice("", "Aucune (éditeurs inconnus)")] + [
        SelectChoice(str(c.id), c.name) for c in campaigns
    ]
    if form.validate_on_submit():
        campaign_id = int(form.campagne.data) if form.campagne.data else None
        run, _job = whatif.launch(
            db.session,
            current_user,
            region,
            form.departement.data or None,
            current_app.config,
            campaign_id=campaign_id,
        )
        flash("Simulation lancée : elle tourne en arrière-plan.", "success")
        return redirect(url_for("ars.simulation", run_id=run.id, region=region))
    runs = whatif.region_runs(db.session, region)
    return render_template(
        "ars/simulations.html",
        **_context(region, form=form, runs=runs, scope_label=whatif.scope_label),
    )


@bp.get("/simulations/<int:run_id>")
@roles_required(*DESK_ROLES)
def simulation(run_id: int) -> ResponseReturnValue:
    from matchmaker.ars import maps as ars_maps

    region = _region()
    run = whatif.get_run(db.session, region, run_id)
    if run.status in whatif.ACTIVE_STATUSES:
        # A simulation whose job has ended (before it could start, or interrupted) says so.
        whatif.settle_run(db.session, run)
        db.session.commit()
    result = whatif.outcome(db.session, run) if run.status == RunStatus.SUCCEEDED else None
    status, error = run.status, run.error
    has_map = False
    if result is not None:
        grappes, isolated = ars_maps.what_if_points(result)
        has_map = any(grappes) or bool(isolated)
    return render_template(
        "ars/simulation.html",
        **_context(
            region,
            run=run,
            result=result,
            has_map=has_map,
            scope=whatif.scope_label(list(run.scope)),
            no_editor=whatif.NO_EDITOR,
            status=status,
            error=error,
            running=status in (RunStatus.QUEUED, RunStatus.RUNNING),
        ),
    )


@bp.post("/simulations/<int:run_id>/relancer")
@roles_required(*DESK_ROLES)
def relaunch_simulation(run_id: int) -> ResponseReturnValue:
    """A new simulation on the scope of a failed or cancelled one."""
    region = _region()
    if not FlaskForm().validate_on_submit():
        abort(400)
    run = whatif.get_run(db.session, region, run_id)
    try:
        new_run, _job = whatif.relaunch(db.session, current_user, region, run, current_app.config)
    except whatif.SimulationRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
        return redirect(url_for("ars.simulation", run_id=run.id, region=region))
    db.session.commit()
    flash("Simulation relancée : elle tourne en arrière-plan.", "success")
    return redirect(url_for("ars.simulation", run_id=new_run.id, region=region))


@bp.post("/simulations/<int:run_id>/abandonner")
@roles_required(*DESK_ROLES)
def abandon_simulation(run_id: int) -> ResponseReturnValue:
    """Stop a simulation still waiting or running."""
    region = _region()
    if not FlaskForm().validate_on_submit():
        abort(400)
    run = whatif.get_run(db.session, region, run_id)
    try:
        whatif.abandon(db.session, current_user, run)
    except whatif.SimulationRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
    else:
        db.session.commit()
        flash("Simulation abandonnée.", "success")
    return redirect(url_for("ars.simulation", run_id=run.id, region=region))


def _finished_simulation(run_id: int) -> SolverRun:
    """The region's simulation ``run_id``, once finished (404 before)."""
    run = whatif.get_run(db.session, _region(), run_id)
    if run.status != RunStatus.SUCCEEDED:
        abort(404, description="La simulation n'est pas terminée.")
    return run


@bp.get("/simulations/<int:run_id>.geojson")
@roles_required(*DESK_ROLES)
def simulation_map(run_id: int) -> ResponseReturnValue:
    """A finished simulation's map data."""
    run = _finished_simulation(run_id)
    grappes, isolated = ars_maps.what_if_points(whatif.outcome(db.session, run))
    return jsonify(ars_maps.what_if_geojson(grappes, isolated))


@bp.get("/simulations/<int:run_id>.xlsx")
@roles_required(*DESK_ROLES)
def simulation_xlsx(run_id: int) -> ResponseReturnValue:
    run = _finished_simulation(run_id)
    result = whatif.outcome(db.session, run)
    return xlsx.send(exports.what_if_xlsx(result), f"simulation-{run.id}.xlsx")
