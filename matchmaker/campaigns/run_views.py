"""Solver runs of a campaign in the console: start one, review it (figures, map, grappes,
left-out), adjust it, publish it, follow the answers, compare two runs, export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from importers.geography import DEPARTMENTS
from matchmaker.auth.decorators import roles_required
from matchmaker.campaigns import adjust, dossier, exports, figures, maps, review, runs, services
from matchmaker.campaigns.blueprint import (
    MANAGERS,
    READERS,
    attempt,
    bp,
    download,
    load_campaign,
    load_grappe,
    load_run,
    render_campaign_page,
)
from matchmaker.campaigns.forms import ActionForm, AdjustForm, RunForm, choices
from matchmaker.extensions import db
from matchmaker.grappes import read_model
from matchmaker.mail import MailSettings
from matchmaker.maps import parse_bbox
from matchmaker.models import SolverRun
from matchmaker.public.services import Page

#: Rows of the run page's tables (grappes, left-out): the page stays light nationally.
TABLE_PAGE_SIZE = 100

T = TypeVar("T")


def page_of(items: Sequence[T], number: int) -> Page[T]:
    """Page ``number`` (from 1; out-of-range numbers give the nearest page)."""
    pages = max(1, -(-len(items) // TABLE_PAGE_SIZE))
    number = min(max(1, number), pages)
    start = (number - 1) * TABLE_PAGE_SIZE
    return Page(items[start : start + TABLE_PAGE_SIZE], number, TABLE_PAGE_SIZE, len(items))


# --- runs ----------------------------------------------------------------------------------------


@bp.post("/campagnes/<int:campaign_id>/calculs")
@roles_required(*MANAGERS)
def start_run(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    parent = None
    if form.parent_run_id.data:
        parent = load_run(campaign, int(form.parent_run_id.data))
    try:
        run, _job = runs.start_run(
            db.session,
            current_user,
            campaign,
            current_app.config,
            mode=form.mode.data or "interest",
            parent=parent,
        )
    except services.CampaignError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    db.session.commit()
    flash("Calcul lancé.", "success")
    return redirect(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>")
@roles_required(*READERS)
def run_page(campaign_id: int, run_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    if run.status in runs.ACTIVE_STATUSES:
        # A run whose job has ended (interrupted, failed) shows its final state.
        runs.settle_run(db.session, run)
        db.session.commit()
    succeeded = run.status == "succeeded"
    # Only the grappes of the shown page get a view (members, funding, checklist): a
    # national run holds thousands; the figures come from stored columns and aggregates.
    grappes_page = page_of(run.grappes if succeeded else [], request.args.get("page", 1, type=int))
    views = (
        review.grappe_views(db.session, run, grappes=grappes_page.items)
        if grappes_page.items
        else []
    )
    left = review.left_out(db.session, run) if succeeded else []
    has_grappes = bool(grappes_page.total)
    adjust_form = AdjustForm()
    adjust_form.grappe_id.choices = choices(
        [("", "—")]
        + [
            (str(g.id), f"n° {g.number} — {g.editor_name or review.OPEN_EDITOR}")
            for g in (run.grappes if succeeded else [])
        ]
    )
    editors, departments = maps.filter_options(db.session, run) if has_grappes or left else ([], [])
    return render_campaign_page(
        "campaigns/run.html",
        campaign,
        run=run,
        job=run.job,
        left_out=left,
        grappes_page=Page(views, grappes_page.number, grappes_page.per_page, grappes_page.total),
        left_out_page=page_of(left, request.args.get("ecartes", 1, type=int)),
        has_map=bool(has_grappes or left),
        map_editors=editors,
        map_departments=[
            (code, DEPARTMENTS[code].name if code in DEPARTMENTS else code) for code in departments
        ],
        no_editor_filter=maps.NO_EDITOR_FILTER,
        figures=(
            figures.run_figures(run, read_model.member_counts(db.session, run))
            if has_grappes or left
            else None
        ),
        adjust_form=adjust_form,
        run_form=RunForm(parent_run_id=str(run.id)),
        other_runs=[
            r
            for r in runs.campaign_runs(db.session, campaign)
            if r.id != run.id and r.status == "succeeded"
        ],
    )


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/relancer")
@roles_required(*MANAGERS)
def relaunch_run(campaign_id: int, run_id: int) -> ResponseReturnValue:
    """A new run in place of a failed or cancelled one."""
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new_run, _job = runs.relaunch_run(
            db.session, current_user, campaign, run, current_app.config
        )
    except services.CampaignError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))
    db.session.commit()
    flash(f"Calcul relancé (calcul n° {new_run.id}).", "success")
    return redirect(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=new_run.id))


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/abandonner")
@roles_required(*MANAGERS)
def abandon_run(campaign_id: int, run_id: int) -> ResponseReturnValue:
    """Stop a run still waiting or running (also one stuck « en cours »)."""
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return attempt(
        lambda: runs.abandon_run(db.session, current_user, campaign, run),
        "Calcul abandonné.",
        url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id),
    )


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>/grappes/<int:grappe_id>")
@roles_required(*READERS)
def grappe_page(campaign_id: int, run_id: int, grappe_id: int) -> ResponseReturnValue:

    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    grappe = load_grappe(campaign, grappe_id)
    if grappe.run_id != run.id:
        abort(404)
    view = review.grappe_view(db.session, grappe)
    return render_campaign_page(
        "campaigns/grappe.html",
        campaign,
        run=run,
        view=view,
    )


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>/carte.geojson")
@roles_required(*READERS)
def run_map(campaign_id: int, run_id: int) -> ResponseReturnValue:
    """The run map's data, filtered to what the view needs (``departement``, ``editeur``,
    ``grappe``, ``bbox=west,south,east,north``); a summary per department when the
    filtered map would hold more than ``MAP_SUMMARY_THRESHOLD`` ESSMS."""
    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    grappe_id = request.args.get("grappe", type=int)
    if grappe_id is not None:
        load_grappe(campaign, grappe_id)
    filters = maps.RunMapFilters(
        department=request.args.get("departement") or None,
        editor=request.args.get("editeur") or None,
        grappe_id=grappe_id,
        bbox=parse_bbox(request.args.get("bbox")),
    )
    threshold = int(current_app.config["MAP_SUMMARY_THRESHOLD"])
    if not filters.narrow and maps.count_located(db.session, run, filters) > threshold:
        data = maps.summary_geojson(maps.department_summaries(db.session, run, filters))
    else:
        data = maps.run_geojson(*maps.run_map_data(db.session, run, filters))
    return jsonify(data)


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/ajuster")
@roles_required(*MANAGERS)
def adjust_run(campaign_id: int, run_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    form = AdjustForm()
    form.grappe_id.choices = choices(
        [("", "—")] + [(str(g.id), str(g.number)) for g in run.grappes]
    )
    if not form.validate_on_submit():
        abort(400)
    adjustment = adjust.Adjustment(
        action=form.action.data or "",
        finess_et=(form.finess_et.data or "").strip() or None,
        other_finess_et=(form.other_finess_et.data or "").strip() or None,
        grappe_id=int(form.grappe_id.data) if form.grappe_id.data else None,
        carrier_ej=(form.carrier_ej.data or "").strip() or None,
        with_og=bool(form.with_og.data),
    )
    return attempt(
        lambda: adjust.adjust(db.session, current_user, campaign, run, adjustment),
        None,
        url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id, ajustement=1)
        + "#ajuster-resultat",
    )


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/publier")
@roles_required(*MANAGERS)
def publish(campaign_id: int, run_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return attempt(
        lambda: runs.publish(
            db.session,
            current_user,
            campaign,
            run,
            mail=MailSettings.from_config(current_app.config),
            proposals_url=url_for("organisations.proposals", _external=True),
        ),
        "Calcul publié : les organismes voient leurs propositions.",
        url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id),
    )


@bp.post("/campagnes/<int:campaign_id>/grappes/<int:grappe_id>/constituee")
@roles_required(*MANAGERS)
def constitute(campaign_id: int, grappe_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    grappe = load_grappe(campaign, grappe_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return attempt(
        lambda: runs.mark_constituted(db.session, current_user, campaign, grappe),
        f"Grappe n° {grappe.number} constituée.",
        url_for(
            "campaigns.grappe_page",
            campaign_id=campaign.id,
            run_id=grappe.run_id,
            grappe_id=grappe.id,
        ),
    )


@bp.get("/campagnes/<int:campaign_id>/comparer")
@roles_required(*READERS)
def compare(campaign_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    first = load_run(campaign, request.args.get("a", type=int) or 0)
    second = load_run(campaign, request.args.get("b", type=int) or 0)
    return render_template(
        "campaigns/compare.html",
        campaign=campaign,
        first=first,
        second=second,
        comparison=figures.compare(
            first,
            second,
            (
                read_model.member_counts(db.session, first),
                read_model.member_counts(db.session, second),
            ),
        ),
    )


#: Grappes whose views are built together by a streamed export (their members stay under
#: the read model's one-query limit, ``read_model.FEW``).
EXPORT_BATCH_GRAPPES = 20


def _views_in_batches(run: SolverRun) -> Iterator[review.GrappeView]:
    grappes = list(run.grappes)
    for start in range(0, len(grappes), EXPORT_BATCH_GRAPPES):
        yield from review.grappe_views(
            db.session, run, grappes=grappes[start : start + EXPORT_BATCH_GRAPPES]
        )


def _left_out_lazily(run: SolverRun) -> Iterator[review.LeftOutView]:
    yield from review.left_out(db.session, run)


# --- exports --------------------------------------------------------------------------------------


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>/export.<fmt>")
@roles_required(*READERS)
def export_run(campaign_id: int, run_id: int, fmt: str) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    name = f"grappes-campagne-{campaign.id}-calcul-{run.id}"
    if fmt == "csv":
        # Streamed: the views are built a few grappes at a time while the file is sent.
        chunks = exports.run_csv_chunks(_views_in_batches(run), _left_out_lazily(run))
        return download(stream_with_context(chunks), f"{name}.csv", exports.CSV_MIMETYPE)
    views = review.grappe_views(db.session, run)
    left = review.left_out(db.session, run)
    if fmt == "xlsx":
        return download(exports.run_xlsx(views, left), f"{name}.xlsx", exports.XLSX_MIMETYPE)
    abort(404)


@bp.get("/campagnes/<int:campaign_id>/grappes/<int:grappe_id>/export.<fmt>")
@roles_required(*READERS)
def export_grappe(campaign_id: int, grappe_id: int, fmt: str) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    grappe = load_grappe(campaign, grappe_id)
    view = next(v for v in review.grappe_views(db.session, grappe.run) if v.grappe.id == grappe.id)
    name = f"structures-engagees-grappe-{grappe.number}-calcul-{grappe.run_id}"
    if fmt == "xlsx":
        workbook = dossier.engaged_structures_xlsx(db.session, view)
        return download(workbook, f"{name}.xlsx", exports.XLSX_MIMETYPE)
    if fmt == "csv":
        return download(exports.grappe_csv(view), f"{name}.csv", exports.CSV_MIMETYPE)
    abort(404)
