"""A stored grappe's funding estimate and recevabilité checklist.

Reads the members, their OG, their current declaration in the run's campaign and the
embarkation lists, and hands plain inputs to the pure rules of ``matchmaker.funding``.
The rules that decide a member's project type and planned editor live here
(``project_type``, ``planned_editor``) and are shared by the console, the organisations'
proposal page and the ``funding`` command.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from matchmaker.editors.normalise import normalise_name
from matchmaker.funding.checklist import (
    Checklist,
    ChecklistGrappe,
    ChecklistMember,
    check_grappe,
)
from matchmaker.funding.estimate import FundingMember, GrappeEstimate, estimate_grappe
from matchmaker.funding.scales import ProjectType, Scale, load_scale
from matchmaker.models import (
    Declaration,
    Editor,
    Embarkation,
    Establishment,
    Grappe,
    GrappeMember,
    Organisation,
    Solution,
)


@dataclass(frozen=True)
class Assessment:
    """What carriers and ARS ask of a grappe: how much, and would it be admissible."""

    estimate: GrappeEstimate
    checklist: Checklist
    editor_referenced: bool | None


@dataclass(frozen=True)
class _MemberFacts:
    finess_et: str
    finess_ej: str
    department: str
    is_essms: bool
    og_essms: int
    dui_status: str | None
    editor: str | None
    sons_editor: str | None
    already_funded: bool


def editor_is_referenced(session: Session, editor_name: str | None) -> bool | None:
    """True when the editor has a solution référencée Ségur; None when the editor is
    unknown to the referential (an unmatched name, or an open grappe)."""
    if not editor_name:
        return None
    editor_id = session.scalar(select(Editor.id).where(Editor.name == editor_name))
    if editor_id is None:
        return None
    referenced = session.scalar(
        select(Solution.id).where(Solution.editor_id == editor_id, Solution.reference_segur)
    )
    return referenced is not None


def _facts(session: Session, grappe: Grappe) -> list[_MemberFacts]:
    campaign_id = grappe.run.campaign_id
    declared_editor = aliased(Editor)
    sons_editor = aliased(Editor)
    rows = session.execute(
        select(
            GrappeMember.finess_et,
            Establishment.finess_ej,
            Establishment.department,
            Establishment.is_essms,
            Organisation.essms_count,
            Declaration.dui_status,
            declared_editor.name,
            Declaration.editor_raw,
            sons_editor.name,
            Declaration.sons_editor_raw,
            Declaration.already_funded,
        )
        .join(Establishment, Establishment.finess_et == GrappeMember.finess_et)
        .join(Organisation, Organisation.finess_ej == Establishment.finess_ej)
        .outerjoin(
            Declaration,
            and_(
                Declaration.finess_et == GrappeMember.finess_et,
                Declaration.campaign_id == campaign_id,
                Declaration.is_current.is_(True),
            ),
        )
        .outerjoin(declared_editor, declared_editor.id == Declaration.editor_id)
        .outerjoin(sons_editor, sons_editor.id == Declaration.sons_editor_id)
        .where(GrappeMember.grappe_id == grappe.id)
        .order_by(GrappeMember.finess_et)
    ).all()
    members = [row[0] for row in rows]
    embarked: dict[str, dict[str, str | None]] = {}
    for finess, scheme, name, raw in session.execute(
        select(Embarkation.finess_et, Embarkation.scheme, Editor.name, Embarkation.editor_raw)
        .outerjoin(Editor, Editor.id == Embarkation.editor_id)
        .where(Embarkation.finess_et.in_(members))
    ):
        embarked.setdefault(finess, {})[scheme] = name or raw
    facts = []
    for (
        finess,
        finess_ej,
        department,
        is_essms,
        og_essms,
        dui_status,
        editor_name,
        editor_raw,
        sons_name,
        sons_raw,
        already_funded,
    ) in rows:
        schemes = embarked.get(finess, {})
        facts.append(
            _MemberFacts(
                finess_et=finess,
                finess_ej=finess_ej,
                department=department,
                is_essms=is_essms,
                og_essms=og_essms or 1,
                dui_status=dui_status,
                editor=editor_name or editor_raw,
                sons_editor=sons_name or sons_raw or schemes.get("sons"),
                already_funded=bool(already_funded) or "esms_numerique" in schemes,
            )
        )
    return facts


def has_dui(dui_status: str | None) -> bool:
    """The ESSMS declared a DUI (référencé or not)."""
    return dui_status not in (None, "aucun")


def same_editor(declared: str | None, grappe_editor: str | None) -> bool:
    """Two spellings name the same editor (compared by their normalised key)."""
    return bool(declared and grappe_editor) and normalise_name(declared or "") == normalise_name(
        grappe_editor or ""
    )


def project_type(
    dui_status: str | None, declared_editor: str | None, grappe_editor: str | None
) -> ProjectType:
    """Montée de version when the ESSMS already has a DUI of the grappe's editor (it
    upgrades to the référencé version); acquisition without DUI or when changing editor.
    The one rule every page and export uses."""
    if has_dui(dui_status) and same_editor(declared_editor, grappe_editor):
        return ProjectType.MONTEE_VERSION
    return ProjectType.ACQUISITION


def planned_editor(
    dui_status: str | None, declared_editor: str | None, grappe_editor: str | None
) -> str | None:
    """The editor an ESSMS will use, as checklist point 9 sees it: its own with a DUI (so a
    member of another editor shows), the grappe's otherwise."""
    if has_dui(dui_status) and declared_editor:
        return declared_editor
    return grappe_editor


def assess(session: Session, grappe: Grappe, scale: Scale | None = None) -> Assessment:
    """Funding estimate and checklist of a stored grappe."""
    scale = scale or load_scale()
    facts = _facts(session, grappe)
    editor = grappe.editor_name or None
    referenced = editor_is_referenced(session, editor)
    estimate = estimate_grappe(
        [
            FundingMember(
                f.finess_et,
                f.finess_ej,
                project_type(f.dui_status, f.editor, editor),
                f.department,
            )
            for f in facts
        ],
        editor_referenced=bool(referenced) if referenced is not None else True,
        scale=scale,
        og_essms_counts={f.finess_ej: max(f.og_essms, 1) for f in facts},
    )
    carrier = session.get(Organisation, grappe.carrier_ej) if grappe.carrier_ej else None
    checklist = check_grappe(
        ChecklistGrappe(
            members=[
                ChecklistMember(
                    finess_et=f.finess_et,
                    is_essms=f.is_essms,
                    department=f.department,
                    editor=planned_editor(f.dui_status, f.editor, editor),
                    sons_editor=f.sons_editor,
                    already_funded_esms_numerique=f.already_funded,
                )
                for f in facts
            ],
            editor=editor,
            editor_referenced=referenced,
            carrier_siret=carrier.siret if carrier else None,
            carrier_ej=grappe.carrier_ej,
            new_operation=None,
        ),
        scale=scale,
    )
    return Assessment(estimate=estimate, checklist=checklist, editor_referenced=referenced)
