"""Pages of an OG: its ESSMS and declarations, interest, history, neighbours, proposed
grappes and answers. Each view parses, calls one service, renders or redirects; the
request commits (matchmaker.errors)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import SelectChoice

from matchmaker import formatting
from matchmaker.auth.decorators import ANY_ROLE, roles_required
from matchmaker.domain_errors import Forbidden
from matchmaker.editors.services import thresholds_from
from matchmaker.extensions import current_rules, db
from matchmaker.maps import (
    GeoJSON,
    MapPoint,
    colour_for,
    grappe_geojson,
    neighbours_geojson,
)
from matchmaker.models import Role
from matchmaker.organisations import neighbours as neighbour_services
from matchmaker.organisations import next_steps, services
from matchmaker.organisations import proposals as proposal_services
from matchmaker.organisations.forms import (
    CHAMP_LABELS,
    AnswerForm,
    ConfirmForm,
    DeclarationForm,
    GroupDeclarationForm,
    InterestForm,
    WithdrawForm,
)
from matchmaker.organisations.warnings import declaration_warnings
from matchmaker.vocabulary import DuiStatus, SonsStatus

bp = Blueprint("organisations", __name__)

#: Rows of the neighbours' table (the map shows them all).
NEIGHBOUR_LIST_LIMIT = 200


def _flash_warnings(declarations: list[Any]) -> None:
    """What will block the grappe later, told now (one message per distinct warning)."""
    seen: set[str] = set()
    for declaration in declarations:
        for warning in declaration_warnings(db.session, declaration):
            if warning not in seen:
                seen.add(warning)
                flash(f"Attention : {warning}", "warning")


def _input(form: DeclarationForm) -> services.DeclarationInput:
    return services.DeclarationInput(
        editor=form.editor.data,
        dui_status=form.dui_status.data or DuiStatus.AUCUN,
        sons_status=form.sons_status.data or SonsStatus.AUCUN,
        sons_editor=form.sons_editor.data,
        champ=form.champ.data if form.champ is not None else None,
        willing_carrier=bool(form.willing_carrier.data),
        already_funded=bool(form.already_funded.data),
        interested=bool(form.interested.data),
        contact_email=form.contact_email.data,
        comment=form.comment.data,
    )


def _prefill(form: DeclarationForm, declaration: Any, champ: str | None) -> None:
    """Pre-fill on GET: the current declaration, else FINESS (champ) and the user."""
    if declaration is not None:
        form.dui_status.data = declaration.dui_status or DuiStatus.AUCUN
        form.editor.data = declaration.editor_raw
        form.sons_status.data = declaration.sons_status or SonsStatus.AUCUN
        form.sons_editor.data = declaration.sons_editor_raw
        if form.champ is not None:
            form.champ.data = declaration.champ or champ
        form.willing_carrier.data = bool(declaration.willing_carrier)
        form.already_funded.data = bool(declaration.already_funded)
        form.interested.data = declaration.interested is not False
        form.contact_email.data = declaration.contact_email
        form.comment.data = declaration.comment
    else:
        if form.champ is not None and champ:
            form.champ.data = champ
        form.contact_email.data = current_user.email


@bp.get("/mon-organisme")
@roles_required(Role.OG, Role.ADMIN)
def home() -> ResponseReturnValue:
    if current_user.is_attached:
        return redirect(url_for("organisations.show", finess_ej=current_user.finess_ej))
    return render_template("organisations/pending.html", user=current_user)


@bp.get("/organismes/<finess_ej>")
@roles_required(*ANY_ROLE)
def show(finess_ej: str) -> ResponseReturnValue:
    view = services.overview(db.session, current_user, finess_ej)
    steps = (
        next_steps.next_steps(db.session, current_user, view)
        if current_user.finess_ej == finess_ej
        else None
    )
    return render_template(
        "organisations/show.html",
        view=view,
        steps=steps,
        interest_form=InterestForm(),
        withdraw_form=WithdrawForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/essms/<finess_et>/declaration", methods=["GET", "POST"])
@roles_required(Role.OG, Role.ADMIN)
def declare(finess_et: str) -> ResponseReturnValue:
    context = services.declaration_context(db.session, current_user, finess_et)
    establishment = context.establishment
    form = DeclarationForm()
    if request.method == "GET":
        _prefill(form, context.declaration or context.carried, establishment.champ)
    elif form.validate_on_submit():
        try:
            written = services.declare(
                db.session,
                current_user,
                [finess_et],
                _input(form),
                thresholds=thresholds_from(current_app.config),
            )
        except services.DeclarationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(f"Déclaration enregistrée pour {establishment.short_name}.", "success")
            _flash_warnings(written)
            return redirect(url_for("organisations.show", finess_ej=establishment.finess_ej))
    return render_template(
        "organisations/declare.html",
        form=form,
        establishment=establishment,
        context=context,
        campaign=context.campaign,
        declaration=context.declaration,
        champ_label=CHAMP_LABELS.get(establishment.champ or "", None),
    )


@bp.route("/organismes/<finess_ej>/declaration-groupee", methods=["GET", "POST"])
@roles_required(Role.OG, Role.ADMIN)
def declare_group(finess_ej: str) -> ResponseReturnValue:
    view = services.overview(db.session, current_user, finess_ej)
    if not view.can_edit:
        raise Forbidden("Vous ne pouvez pas déclarer pour cet organisme.")
    form = GroupDeclarationForm()
    choices = [
        SelectChoice(
            row.establishment.finess_et,
            f"{row.establishment.short_name} ({row.establishment.finess_et})",
        )
        for row in view.rows
        if row.campaign is not None
    ]
    form.establishments.choices = choices
    if request.method == "GET":
        _prefill(form, None, None)
        form.establishments.data = [choice.value for choice in choices]
    elif form.validate_on_submit():
        try:
            written = services.declare(
                db.session,
                current_user,
                form.establishments.data or [],
                _input(form),
                thresholds=thresholds_from(current_app.config),
            )
        except services.DeclarationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(f"Déclaration enregistrée pour {len(written)} établissements.", "success")
            _flash_warnings(written)
            return redirect(url_for("organisations.show", finess_ej=finess_ej))
    return render_template("organisations/declare_group.html", form=form, view=view)


@bp.post("/organismes/<finess_ej>/interet")
@roles_required(Role.OG, Role.ADMIN)
def express_interest(finess_ej: str) -> ResponseReturnValue:
    """One click: every ESSMS of the OG (or the one named in ``essms``) is interested."""
    interested = request.form.get("retirer") is None
    form = InterestForm() if interested else WithdrawForm()
    if form.validate_on_submit():
        view = services.overview(db.session, current_user, finess_ej)
        wanted = request.form.getlist("essms") or [
            row.establishment.finess_et for row in view.rows if row.campaign is not None
        ]
        if any(finess not in {r.establishment.finess_et for r in view.rows} for finess in wanted):
            raise Forbidden("Cet établissement n'appartient pas à cet organisme.")
        try:
            changed = services.set_interest(
                db.session,
                current_user,
                wanted,
                interested,
                thresholds=thresholds_from(current_app.config),
            )
        except services.DeclarationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            if interested:
                flash(f"Intérêt signalé pour {changed} établissement(s).", "success")
            else:
                flash(f"Intérêt retiré pour {changed} établissement(s).", "success")
    else:
        flash("La page a expiré : rechargez-la puis recommencez.", "error")
    return redirect(url_for("organisations.show", finess_ej=finess_ej)), 303


@bp.post("/organismes/<finess_ej>/confirmer")
@roles_required(Role.OG, Role.ADMIN)
def confirm(finess_ej: str) -> ResponseReturnValue:
    """Confirm the carried-over declarations (all, or the one named in ``essms``)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        view = services.overview(db.session, current_user, finess_ej)
        rows = {row.establishment.finess_et: row for row in view.rows}
        wanted = request.form.getlist("essms") or [k for k, row in rows.items() if row.to_confirm]
        if any(finess not in rows for finess in wanted):
            raise Forbidden("Cet établissement n'appartient pas à cet organisme.")
        try:
            confirmed = services.confirm(
                db.session, current_user, wanted, thresholds=thresholds_from(current_app.config)
            )
        except services.DeclarationError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(f"Déclaration confirmée pour {confirmed} établissement(s).", "success")
    else:
        flash("La page a expiré : rechargez-la puis recommencez.", "error")
    return redirect(url_for("organisations.show", finess_ej=finess_ej)), 303


@bp.get("/essms/<finess_et>/historique")
@roles_required(*ANY_ROLE)
def history(finess_et: str) -> ResponseReturnValue:
    establishment, entries = services.history(db.session, current_user, finess_et)
    return render_template(
        "organisations/history.html", establishment=establishment, entries=entries
    )


def _radius() -> float:
    config = current_app.config
    radius = request.args.get("rayon", type=float) or float(config["NEIGHBOUR_RADIUS_KM"])
    return min(max(radius, 1.0), float(config["NEIGHBOUR_MAX_RADIUS_KM"]))


def _neighbour_report(finess_et: str, radius: float) -> neighbour_services.NeighbourReport:
    rules = current_rules()
    return neighbour_services.find_neighbours(
        db.session,
        current_user,
        finess_et,
        radius,
        min_size=rules.min_size,
        min_size_reduced=rules.min_size_reduced,
        reduced_departments=set(rules.reduced_minimum_departments),
    )


@bp.get("/essms/<finess_et>/voisins")
@roles_required(*ANY_ROLE)
def neighbours(finess_et: str) -> ResponseReturnValue:
    radius = _radius()
    report = _neighbour_report(finess_et, radius)
    return render_template(
        "organisations/neighbours.html",
        report=report,
        shown=report.neighbours[:NEIGHBOUR_LIST_LIMIT],
        has_map=report.origin.latitude is not None and report.origin.longitude is not None,
        radius=radius,
        max_radius=current_app.config["NEIGHBOUR_MAX_RADIUS_KM"],
    )


@bp.get("/essms/<finess_et>/voisins.geojson")
@roles_required(*ANY_ROLE)
def neighbours_map(finess_et: str) -> ResponseReturnValue:
    """The neighbours page's map data (same access rule as the page)."""
    report = _neighbour_report(finess_et, _radius())
    data = _neighbours_geojson(report)
    if data is None:
        abort(404, description="Cet établissement n'a pas de coordonnées dans FINESS.")
    return jsonify(data)


@bp.get("/api/editeurs")
@roles_required(*ANY_ROLE)
def editors_api() -> ResponseReturnValue:
    """Autocomplete of the declaration form: names of the editor referential."""
    query = request.args.get("q", "")[:100]
    return jsonify(editeurs=services.editor_suggestions(db.session, query))


# Proposed grappes --------------------------------------------------------------------------


@bp.get("/mes-grappes")
@roles_required(Role.OG)
def proposals() -> ResponseReturnValue:
    if not current_user.is_attached:
        return render_template("organisations/pending.html", user=current_user)
    items = proposal_services.my_proposals(db.session, current_user)
    notices = proposal_services.answer_notices(db.session, current_user)
    return render_template("organisations/proposals.html", items=items, notices=notices)


def _scale() -> Any:
    return current_rules().scale


@bp.route("/mes-grappes/<int:grappe_id>", methods=["GET", "POST"])
@roles_required(*ANY_ROLE)
def proposal(grappe_id: int) -> ResponseReturnValue:
    replaced = proposal_services.replaced_grappe(db.session, current_user, grappe_id)
    if replaced is not None:
        if replaced.successor is not None:
            flash(
                f"La grappe n° {replaced.grappe.number} a été remplacée par un nouveau calcul : "
                f"voici la grappe n° {replaced.successor.number}, qui réunit désormais vos "
                "établissements.",
                "info",
            )
            return redirect(url_for("organisations.proposal", grappe_id=replaced.successor.id))
        return render_template("organisations/proposal_replaced.html", replaced=replaced), 410
    form = AnswerForm()
    if request.method == "POST":
        if current_user.role not in (Role.OG, Role.ADMIN):
            abort(403)
        if form.validate_on_submit():
            try:
                proposal_services.answer(
                    db.session,
                    current_user,
                    grappe_id,
                    form.answer.data or "",
                    form.comment.data,
                    finess_ej=request.form.get("finess_ej") or None,
                )
            except proposal_services.AnswerError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                flash("Votre réponse est enregistrée.", "success")
                return redirect(url_for("organisations.proposal", grappe_id=grappe_id)), 303
    detail = proposal_services.proposal_detail(db.session, current_user, grappe_id, scale=_scale())
    if request.method == "GET" and detail.my_answer is not None:
        form.answer.data = detail.my_answer.answer
        form.comment.data = detail.my_answer.comment
    return render_template(
        "organisations/proposal.html",
        detail=detail,
        has_map=any(m.latitude is not None and m.longitude is not None for m in detail.members),
        colours=_og_colours(detail),
        form=form,
    )


@bp.get("/mes-grappes/<int:grappe_id>/carte.geojson")
@roles_required(*ANY_ROLE)
def proposal_map(grappe_id: int) -> ResponseReturnValue:
    """The proposal page's map data (same access rule as the page)."""
    detail = proposal_services.proposal_detail(db.session, current_user, grappe_id, scale=_scale())
    return jsonify(_grappe_geojson(detail))


# Maps: plain data for matchmaker.maps ----------------------------------------------------


def _neighbours_geojson(report: neighbour_services.NeighbourReport) -> GeoJSON | None:
    """The chosen ESSMS and its neighbours, one colour per OG."""
    origin = report.origin
    if origin.latitude is None or origin.longitude is None:
        return None
    colours: dict[str, str] = {}
    points = [
        MapPoint(
            n.latitude,
            n.longitude,
            n.name,
            (
                n.og_name or n.finess_ej,
                " — ".join(part for part in (n.commune, formatting.km(n.distance_km)) if part),
                n.editor or "Pas de DUI",
            ),
            colours.setdefault(n.finess_ej, colour_for(len(colours) + 1)),
            "neighbour",
        )
        for n in report.neighbours
    ]
    here = MapPoint(
        origin.latitude,
        origin.longitude,
        origin.long_name or origin.short_name,
        ("Établissement choisi",),
        colour_for(0),
        "origin",
    )
    return neighbours_geojson(here, points, report.radius_km)


def _og_colours(detail: proposal_services.ProposalDetail) -> dict[str, str]:
    """One colour per OG of the grappe, the user's own first."""
    colours: dict[str, str] = {}
    for ej in sorted({m.finess_ej for m in detail.members}, key=lambda e: e != detail.acting_for):
        colours[ej] = colour_for(len(colours))
    return colours


def _grappe_geojson(detail: proposal_services.ProposalDetail) -> GeoJSON:
    """The grappe's members coloured by OG (the user's own first, as the page's legend),
    carrier marked."""
    colours = _og_colours(detail)
    points = [
        MapPoint(
            m.latitude,
            m.longitude,
            m.name,
            (
                m.og_name or m.finess_ej,
                " — ".join(
                    part
                    for part in (m.commune, f"{formatting.km(m.distance_km)} du centre")
                    if part
                ),
                "Porteur du projet" if m.is_carrier else "",
            ),
            colours[m.finess_ej],
            "carrier" if m.is_carrier else "member",
        )
        for m in detail.members
        if m.latitude is not None and m.longitude is not None
    ]
    grappe = detail.grappe
    centre = None
    if grappe.centre_latitude is not None and grappe.centre_longitude is not None:
        centre = (grappe.centre_latitude, grappe.centre_longitude)
    return grappe_geojson(points, centre)
