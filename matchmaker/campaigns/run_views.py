"""Solver runs of a campaign in the console: start one, review it (figures, map, grappes,
left-out), adjust it, publish it, follow the answers, compare two runs, export."""

from __future__ import annotations

from collections.abc import Iterator

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
from matchmaker import xlsx
from matchmaker.auth.decorators import roles_required
from matchmaker.campaigns import adjust, dossier, exports, figures, maps, runs
from matchmaker.campaigns.blueprint import (
    MANAGERS,
    READERS,
    action_posted,
    bp,
    load_campaign,
    load_grappe,
    load_run,
    render_campaign_page,
)
from matchmaker.campaigns.forms import AdjustForm, RunForm, choices
from matchmaker.downloads import CSV_MIMETYPE, attachment
from matchmaker.errors import back_to
from matchmaker.extensions import db
from matchmaker.grappes import freshness, read_model
from matchmaker.grappes.read_model import LeftOutView
from matchmaker.mail import MailSettings
from matchmaker.maps import parse_bbox
from matchmaker.models import SolverRun
from matchmaker.public.services import Page
from matchmaker.vocabulary import RunMode, RunStatus

#: Rows of the run page's left-out table: the page stays light nationally.
TABLE_PAGE_SIZE = 100
#: Grappes of the run page's table: each gets a view (members, funding, checklist), about
#: 30 ESSMS read and assessed per grappe, so a page holds fewer of them.
GRAPPES_PAGE_SIZE = 25


def page_bounds(total: int, number: int, size: int = TABLE_PAGE_SIZE) -> tuple[int, int]:
    """The page number actually shown (the nearest to ``number``) and its first row's
    offset, for ``total`` rows in pages of ``size``."""
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    return number, (number - 1) * size


def left_out_page(run: SolverRun, reasons: dict[str, int]) -> tuple[Page[LeftOutView], str | None]:
    """The page of left-out ESSMS asked for (``ecartes``, a number), of one reason
    (``motif``, a known reason code) or of all: only that page is read from the database,
    however many a national run leaves out."""
    reason = request.args.get("motif") or None
    if reason not in reasons:
        reason = None
    total = reasons[reason] if reason else sum(reasons.values())
    number, offset = page_bounds(total, request.args.get("ecartes", 1, type=int))
    items = (
        read_model.left_out(db.session, run, reason=reason, offset=offset, limit=TABLE_PAGE_SIZE)
        if total
        else []
    )
    return Page(items, number, TABLE_PAGE_SIZE, total), reason


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
    back_to(url_for("campaigns.show", campaign_id=campaign.id))
    run, _job = runs.start_run(
        db.session,
        current_user,
        campaign,
        current_app.config,
        mode=form.mode.data or RunMode.INTEREST,
        parent=parent,
    )
    flash("Calcul lancé.", "success")
    return redirect(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))


def _declarations_changed(run: SolverRun) -> str | None:
    """The warning of a run whose campaign's declarations changed since it (None if not)."""
    changes = freshness.changes_since(db.session, run)
    return freshness.changed_text(changes) if changes else None


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>")
@roles_required(*READERS)
def run_page(campaign_id: int, run_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    if run.status in runs.ACTIVE_STATUSES:
        # A run whose job has ended (interrupted, failed) shows its final state.
        runs.settle_run(db.session, run)
        db.session.commit()
    succeeded = run.status == RunStatus.SUCCEEDED
    # Only the grappes of the shown page get a view (members, funding, checklist): a
    # national run holds thousands. The adjust form's choices come from light rows (id,
    # number, editor), the figures from stored columns and aggregates.
    grappe_choices = read_model.grappe_choices(db.session, run) if succeeded else []
    number, offset = page_bounds(
        len(grappe_choices), request.args.get("page", 1, type=int), GRAPPES_PAGE_SIZE
    )
    shown = (
        read_model.grappes_slice(db.session, run, offset, GRAPPES_PAGE_SIZE)
        if grappe_choices
        else []
    )
    views = read_model.grappe_views(db.session, run, grappes=shown) if shown else []
    grappes_page = Page(views, number, GRAPPES_PAGE_SIZE, len(grappe_choices))
    reasons = read_model.left_out_reasons(db.session, run) if succeeded else {}
    left, reason = left_out_page(run, reasons)
    has_grappes = bool(grappes_page.total)
    adjust_form = AdjustForm()
    adjust_form.grappe_id.choices = choices(
        [("", "—")] + [(str(g.id), f"n° {g.number} — {g.editor_label}") for g in grappe_choices]
    )
    has_left_out = bool(reasons)
    editors, departments = (
        maps.filter_options(db.session, run) if has_grappes or has_left_out else ([], [])
    )
    return render_campaign_page(
        "campaigns/run.html",
        campaign,
        run=run,
        job=run.job,
        declarations_changed=_declarations_changed(run),
        left_out_reasons=reasons,
        left_out_total=sum(reasons.values()),
        left_out_reason=reason,
        grappes_page=grappes_page,
        left_out_page=left,
        has_map=bool(has_grappes or has_left_out),
        map_editors=editors,
        map_departments=[
            (code, DEPARTMENTS[code].name if code in DEPARTMENTS else code) for code in departments
        ],
        no_editor_filter=maps.NO_EDITOR_FILTER,
        figures=(
            figures.run_figures(
                run,
                read_model.member_counts(db.session, run),
                grappes=read_model.grappe_totals(db.session, run),
                reasons=reasons,
            )
            if has_grappes or has_left_out
            else None
        ),
        adjust_form=adjust_form,
        run_form=RunForm(parent_run_id=str(run.id)),
        other_runs=[
            r
            for r in runs.campaign_runs(db.session, campaign)
            if r.id != run.id and r.status == RunStatus.SUCCEEDED
        ],
    )


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/relancer")
@roles_required(*MANAGERS)
def relaunch_run(campaign_id: int, run_id: int) -> ResponseReturnValue:
    """A new run in place of a failed or cancelled one."""
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    action_posted(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))
    new_run, _job = runs.relaunch_run(db.session, current_user, campaign, run, current_app.config)
    flash(f"Calcul relancé (calcul n° {new_run.id}).", "success")
    return redirect(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=new_run.id))


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/abandonner")
@roles_required(*MANAGERS)
def abandon_run(campaign_id: int, run_id: int) -> ResponseReturnValue:
    """Stop a run still waiting or running (also one stuck « en cours »)."""
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    target = action_posted(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))
    runs.abandon_run(db.session, current_user, campaign, run)
    flash("Calcul abandonné.", "success")
    return redirect(target)


@bp.get("/campagnes/<int:campaign_id>/calculs/<int:run_id>/grappes/<int:grappe_id>")
@roles_required(*READERS)
def grappe_page(campaign_id: int, run_id: int, grappe_id: int) -> ResponseReturnValue:

    campaign = load_campaign(campaign_id)
    run = load_run(campaign, run_id)
    grappe = load_grappe(campaign, grappe_id)
    if grappe.run_id != run.id:
        abort(404)
    view = read_model.grappe_view(db.session, grappe)
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
    target = (
        url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id, ajustement=1)
        + "#ajuster-resultat"
    )
    back_to(target)
    flash(adjust.adjust(db.session, current_user, campaign, run, adjustment), "success")
    return redirect(target)


@bp.post("/campagnes/<int:campaign_id>/calculs/<int:run_id>/publier")
@roles_required(*MANAGERS)
def publish(campaign_id: int, run_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    run = load_run(campaign, run_id)
    target = action_posted(url_for("campaigns.run_page", campaign_id=campaign.id, run_id=run.id))
    runs.publish(
        db.session,
        current_user,
        campaign,
        run,
        mail=MailSettings.from_config(current_app.config),
        proposals_url=url_for("organisations.proposals", _external=True),
    )
    flash("Calcul publié : les organismes voient leurs propositions.", "success")
    return redirect(target)


@bp.post("/campagnes/<int:campaign_id>/grappes/<int:grappe_id>/constituee")
@roles_required(*MANAGERS)
def constitute(campaign_id: int, grappe_id: int) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id, manage=True)
    grappe = load_grappe(campaign, grappe_id)
    target = action_posted(
        url_for(
            "campaigns.grappe_page",
            campaign_id=campaign.id,
            run_id=grappe.run_id,
            grappe_id=grappe.id,
        )
    )
    runs.mark_constituted(db.session, current_user, campaign, grappe)
    flash(f"Grappe n° {grappe.number} constituée.", "success")
    return redirect(target)


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


def _views_in_batches(run: SolverRun) -> Iterator[read_model.GrappeView]:
    grappes = list(run.grappes)
    for start in range(0, len(grappes), EXPORT_BATCH_GRAPPES):
        yield from read_model.grappe_views(
            db.session, run, grappes=grappes[start : start + EXPORT_BATCH_GRAPPES]
        )


def _left_out_lazily(run: SolverRun) -> Iterator[LeftOutView]:
    yield from read_model.iter_left_out(db.session, run)


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
        return attachment(stream_with_context(chunks), f"{name}.csv", CSV_MIMETYPE)
    if fmt == "xlsx":
        # Write-only workbook filled a few grappes at a time, sent from a temporary file.
        book = exports.run_xlsx(_views_in_batches(run), _left_out_lazily(run))
        return xlsx.send(book, f"{name}.xlsx")
    abort(404)


@bp.get("/campagnes/<int:campaign_id>/grappes/<int:grappe_id>/export.<fmt>")
@roles_required(*READERS)
def export_grappe(campaign_id: int, grappe_id: int, fmt: str) -> ResponseReturnValue:
    campaign = load_campaign(campaign_id)
    grappe = load_grappe(campaign, grappe_id)
    view = next(
        v for v in read_model.grappe_views(db.session, grappe.run) if v.grappe.id == grappe.id
    )
    name = f"structures-engagees-grappe-{grappe.number}-calcul-{grappe.run_id}"
    if fmt == "xlsx":
        return xlsx.send(dossier.engaged_structures_xlsx(db.session, view), f"{name}.xlsx")
    if fmt == "csv":
        return attachment(exports.grappe_csv(view), f"{name}.csv", CSV_MIMETYPE)
    abort(404)
