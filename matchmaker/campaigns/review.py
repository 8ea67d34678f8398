"""What the review pages show about a run: its figures, each grappe with its members,
funding estimate and checklist, those left out with their reasons, and a comparison of
two runs. Plain dataclasses built from the database; templates only print them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns.maps import MapGrappe, MapLeftOut, MapMember
from matchmaker.funding.checklist import (
    Checklist,
    ChecklistGrappe,
    ChecklistMember,
    check_grappe,
)
from matchmaker.funding.estimate import FundingError, FundingMember, estimate_grappe
from matchmaker.funding.results import GrappeEstimate
from matchmaker.funding.scales import ProjectType, Scale, load_scale
from matchmaker.grappes.assessment import planned_editor, project_type
from matchmaker.models import (
    Declaration,
    Editor,
    Embarkation,
    Establishment,
    Exclusion,
    Grappe,
    GrappeAnswer,
    Organisation,
    Solution,
    SolverRun,
)

#: Text of a grappe without editor (its members choose one together).
OPEN_EDITOR = "à choisir ensemble"


@dataclass(frozen=True)
class MemberView:
    """One ESSMS of a grappe, as the pages and exports show it."""

    finess_et: str
    name: str
    finess_ej: str
    og_name: str
    category: str
    champ: str
    department: str
    commune: str
    latitude: float | None
    longitude: float | None
    distance_km: float
    is_carrier: bool
    dui_status: str
    dui_editor: str
    sons_status: str
    project_type: ProjectType
    small_og: bool


@dataclass
class GrappeView:
    """A grappe with everything the review shows."""

    grappe: Grappe
    members: list[MemberView]
    carrier_name: str
    carrier_siret: str | None
    editor_referenced: bool | None
    estimate: GrappeEstimate | None
    estimate_error: str | None
    checklist: Checklist
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def editor_label(self) -> str:
        return self.grappe.editor_name or OPEN_EDITOR

    @property
    def accepted(self) -> int:
        return sum(1 for answer in self.answers.values() if answer == "accepte")

    @property
    def refused(self) -> int:
        return sum(1 for answer in self.answers.values() if answer == "refuse")

    @property
    def og_total(self) -> int:
        return len({member.finess_ej for member in self.members})

    @property
    def all_accepted(self) -> bool:
        return self.og_total > 0 and self.accepted == self.og_total


@dataclass(frozen=True)
class LeftOutView:
    """An ESSMS left out of every grappe, with why and its near-miss."""

    finess_et: str
    name: str
    finess_ej: str
    og_name: str
    department: str
    commune: str
    latitude: float | None
    longitude: float | None
    reason_code: str
    reason: str
    near_miss: str | None
    editor: str


@cache
def default_scale() -> Scale:
    """The funding scale of the default instruction (read once)."""
    return load_scale()


def grappe_views(session: Session, run: SolverRun, scale: Scale | None = None) -> list[GrappeView]:
    """Every grappe of ``run`` with its members, funding estimate and checklist."""
    scale = scale or default_scale()
    finess = [m.finess_et for g in run.grappes for m in g.members]
    facts = _facts(session, finess, run.campaign_id)
    referenced = _referenced_editors(session)
    carriers = {
        o.finess_ej: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.finess_ej.in_({g.carrier_ej for g in run.grappes if g.carrier_ej})
            )
        )
    }
    answers: dict[int, dict[str, str]] = {}
    for answer in session.scalars(
        select(GrappeAnswer).where(GrappeAnswer.grappe_id.in_([g.id for g in run.grappes]))
    ):
        answers.setdefault(answer.grappe_id, {})[answer.finess_ej] = answer.answer
    views = []
    for grappe in run.grappes:
        editor_ref = referenced.get(grappe.editor_name) if grappe.editor_name else None
        members = [
            _member_view(
                facts.get(m.finess_et),
                m.finess_et,
                m.finess_ej,
                m.distance_km,
                m.is_carrier,
                grappe.editor_name,
                scale,
            )
            for m in grappe.members
        ]
        carrier = carriers.get(grappe.carrier_ej or "")
        estimate, error = _estimate(members, editor_ref, scale, facts)
        views.append(
            GrappeView(
                grappe=grappe,
                members=members,
                carrier_name=(carrier.name or carrier.finess_ej) if carrier else "",
                carrier_siret=carrier.siret if carrier else None,
                editor_referenced=editor_ref,
                estimate=estimate,
                estimate_error=error,
                checklist=_checklist(grappe, members, editor_ref, carrier, facts, scale),
                answers=answers.get(grappe.id, {}),
            )
        )
    return views


def left_out(session: Session, run: SolverRun) -> list[LeftOutView]:
    """The run's exclusions with the ESSMS's name, place and editor."""
    rows = session.execute(
        select(Exclusion, Establishment, Organisation.name)
        .join(Establishment, Establishment.finess_et == Exclusion.finess_et)
        .join(Organisation, Organisation.finess_ej == Establishment.finess_ej)
        .where(Exclusion.run_id == run.id)
        .order_by(Establishment.department, Exclusion.finess_et)
    )
    declared = _declared_editors(session, run.campaign_id)
    return [
        LeftOutView(
            finess_et=e.finess_et,
            name=est.long_name or est.short_name,
            finess_ej=est.finess_ej,
            og_name=og_name or est.finess_ej,
            department=est.department,
            commune=est.commune or "",
            latitude=est.latitude,
            longitude=est.longitude,
            reason_code=e.reason_code,
            reason=e.reason,
            near_miss=e.near_miss,
            editor=declared.get(e.finess_et, ""),
        )
        for e, est, og_name in rows
    ]


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    establishment: Establishment
    og_name: str
    og_essms: int
    declaration: Declaration | None
    sons_editor: str | None
    funded: bool
    #: The declared editor: the referential's name when matched, else as typed.
    declared_editor: str = ""


def _facts(session: Session, finess: list[str], campaign_id: int | None) -> dict[str, _Facts]:
    if not finess:
        return {}
    rows = session.execute(
        select(Establishment, Organisation.name, Organisation.essms_count)
        .join(Organisation, Organisation.finess_ej == Establishment.finess_ej)
        .where(Establishment.finess_et.in_(finess))
    )
    declarations: dict[str, Declaration] = {}
    if campaign_id is not None:
        for current in session.scalars(
            select(Declaration).where(
                Declaration.campaign_id == campaign_id,
                Declaration.is_current.is_(True),
                Declaration.finess_et.in_(finess),
            )
        ):
            declarations[current.finess_et] = current
    sons: dict[str, str | None] = {}
    funded: set[str] = set()
    for embarkation in session.scalars(
        select(Embarkation).where(Embarkation.finess_et.in_(finess))
    ):
        if embarkation.scheme == "sons":
            sons[embarkation.finess_et] = embarkation.editor_raw
        else:
            funded.add(embarkation.finess_et)
    names = dict(session.execute(select(Editor.id, Editor.name)).all())
    facts = {}
    for est, og_name, og_essms in rows:
        declaration = declarations.get(est.finess_et)
        declared = ""
        if declaration is not None:
            declared = names.get(declaration.editor_id or -1) or declaration.editor_raw or ""
        facts[est.finess_et] = _Facts(
            est,
            og_name or est.finess_ej,
            og_essms or 0,
            declaration,
            sons.get(est.finess_et),
            est.finess_et in funded,
            declared,
        )
    return facts


def _referenced_editors(session: Session) -> dict[str, bool]:
    """Editor name → one of its solutions is référencée Ségur."""
    out: dict[str, bool] = {}
    for name, referenced in session.execute(
        select(Editor.name, Solution.reference_segur).outerjoin(
            Solution, Solution.editor_id == Editor.id
        )
    ):
        out[name] = out.get(name, False) or bool(referenced)
    return out


def _declared_editors(session: Session, campaign_id: int | None) -> dict[str, str]:
    if campaign_id is None:
        return {}
    rows = session.execute(
        select(Declaration.finess_et, Editor.name, Declaration.editor_raw)
        .outerjoin(Editor, Editor.id == Declaration.editor_id)
        .where(Declaration.campaign_id == campaign_id, Declaration.is_current.is_(True))
    )
    return {finess: name or raw or "" for finess, name, raw in rows}


_DUI_LABELS = {
    "aucun": "sans DUI",
    "non_reference": "DUI non référencé",
    "reference_segur": "DUI référencé Ségur",
}
_SONS_LABELS = {"aucun": "non", "commande": "commandé", "realise": "réalisé"}


def _member_view(
    facts: _Facts | None,
    finess_et: str,
    finess_ej: str,
    distance_km: float,
    is_carrier: bool,
    grappe_editor: str,
    scale: Scale,
) -> MemberView:
    est = facts.establishment if facts else None
    declaration = facts.declaration if facts else None
    dui = (declaration.dui_status if declaration else None) or "aucun"
    dui_editor = facts.declared_editor if facts else ""
    sons = (declaration.sons_status if declaration else None) or (
        "commande" if facts and facts.sons_editor else "aucun"
    )
    department = est.department if est else ""
    overseas = scale.is_overseas_corsica(department)
    og_essms = facts.og_essms if facts else 0
    return MemberView(
        finess_et=finess_et,
        name=(est.long_name or est.short_name) if est else finess_et,
        finess_ej=finess_ej,
        og_name=facts.og_name if facts else finess_ej,
        category=(est.category_label or "") if est else "",
        champ=((declaration.champ if declaration else None) or (est.champ if est else "") or ""),
        department=department,
        commune=(est.commune or "") if est else "",
        latitude=est.latitude if est else None,
        longitude=est.longitude if est else None,
        distance_km=distance_km,
        is_carrier=is_carrier,
        dui_status=_DUI_LABELS.get(dui, dui),
        dui_editor=dui_editor,
        sons_status=_SONS_LABELS.get(sons, sons),
        project_type=project_type(dui, dui_editor, grappe_editor),
        small_og=bool(og_essms) and scale.small_og.is_small(og_essms, overseas),
    )


def _estimate(
    members: list[MemberView],
    editor_referenced: bool | None,
    scale: Scale,
    facts: dict[str, _Facts],
) -> tuple[GrappeEstimate | None, str | None]:
    counts = Counter(m.finess_ej for m in members)
    og_counts = {}
    for m in members:
        fact = facts.get(m.finess_et)
        og_counts[m.finess_ej] = max(fact.og_essms if fact else 0, counts[m.finess_ej])
    try:
        estimate = estimate_grappe(
            [
                FundingMember(m.finess_et, m.finess_ej, m.project_type, m.department)
                for m in members
            ],
            editor_referenced=bool(editor_referenced),
            scale=scale,
            og_essms_counts=og_counts,
        )
    except FundingError as error:
        return None, str(error)
    return estimate, None


def _checklist(
    grappe: Grappe,
    members: list[MemberView],
    editor_referenced: bool | None,
    carrier: Organisation | None,
    facts: dict[str, _Facts],
    scale: Scale,
) -> Checklist:
    items = []
    for m in members:
        fact = facts.get(m.finess_et)
        declaration = fact.declaration if fact else None
        sons_editor = None
        if declaration is not None and declaration.sons_status in ("commande", "realise"):
            sons_editor = declaration.sons_editor_raw
        elif fact is not None:
            sons_editor = fact.sons_editor
        funded = bool(fact and (fact.funded or (declaration and declaration.already_funded)))
        items.append(
            ChecklistMember(
                finess_et=m.finess_et,
                is_essms=fact.establishment.is_essms if fact else None,
                department=m.department or None,
                editor=planned_editor(
                    declaration.dui_status if declaration else None,
                    fact.declared_editor if fact else None,
                    grappe.editor_name or None,
                ),
                sons_editor=sons_editor,
                already_funded_esms_numerique=funded,
                european_funding=None,
                label=m.name,
            )
        )
    return check_grappe(
        ChecklistGrappe(
            members=items,
            editor=grappe.editor_name or None,
            editor_referenced=editor_referenced,
            carrier_siret=carrier.siret if carrier else None,
            new_operation=None,
        ),
        scale=scale,
    )


def map_grappes(views: list[GrappeView]) -> list[MapGrappe]:
    """The grappes as the map draws them (members without coordinates are skipped)."""
    return [
        MapGrappe(
            number=v.grappe.number,
            editor=v.editor_label,
            carrier=v.carrier_name,
            centre_latitude=v.grappe.centre_latitude,
            centre_longitude=v.grappe.centre_longitude,
            members=[
                MapMember(m.finess_et, m.name, m.latitude, m.longitude, m.distance_km, m.is_carrier)
                for m in v.members
                if m.latitude is not None and m.longitude is not None
            ],
        )
        for v in views
    ]


def map_left_out(items: list[LeftOutView]) -> list[MapLeftOut]:
    """The left-out ESSMS as the map draws them (those without coordinates are skipped)."""
    return [
        MapLeftOut(x.finess_et, x.name, x.latitude, x.longitude, x.reason, x.near_miss, x.editor)
        for x in items
        if x.latitude is not None and x.longitude is not None
    ]
