"""The grappes proposed to an OG by published runs, and its answers.

Rules:
- an OG sees the grappes of *published* runs (``SolverRun.published_at`` set) that include
  at least one of its ESSMS; collectif and ARS users of a member's region and
  administrators see them too;
- the OG's attached representatives (or an administrator) accept or decline, with a
  comment, one answer per OG and grappe; they may change it while the campaign is open
  (status ``open`` and, when set, not past ``closes_on``);
- the funding estimate and the checklist come from ``matchmaker.funding`` (pure
  functions): a member is in *montée de version* when it declared a DUI of the grappe's
  editor, in *acquisition* otherwise; the editor is référencé Ségur when one of its
  solutions is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.auth.services import (
    Forbidden,
    can_act_for_organisation,
)
from matchmaker.editors.normalise import normalise_name
from matchmaker.funding.checklist import Checklist, ChecklistGrappe, ChecklistMember, check_grappe
from matchmaker.funding.estimate import (
    FundingError,
    FundingMember,
    GrappeEstimate,
    OgFunding,
    estimate_grappe,
)
from matchmaker.funding.scales import Scale
from matchmaker.grappes.assessment import planned_editor, project_type
from matchmaker.models import (
    Campaign,
    Declaration,
    Editor,
    Embarkation,
    Establishment,
    Grappe,
    GrappeAnswer,
    GrappeMember,
    Organisation,
    Role,
    Solution,
    SolverRun,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.declarations import SONS_ORDERED
from matchmaker.models.grappes import ANSWERS
from matchmaker.organisations.services import NotFound, editor_names

ANSWER_LABELS = {"accepte": "Acceptée", "refuse": "Refusée"}


class AnswerError(ValueError):
    """An answer that cannot be recorded; the message is French."""


@dataclass(frozen=True)
class ProposalSummary:
    grappe: Grappe
    run: SolverRun
    campaign: Campaign | None
    own_members: int
    answer: GrappeAnswer | None


@dataclass(frozen=True)
class MemberView:
    finess_et: str
    name: str
    finess_ej: str
    og_name: str | None
    commune: str | None
    department: str
    champ: str | None
    declared: bool
    dui_status: str | None
    sons_status: str | None
    editor: str | None
    distance_km: float
    is_carrier: bool
    is_own: bool
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class OgAnswer:
    finess_ej: str
    og_name: str | None
    essms: int
    answer: str | None
    comment: str | None
    answered_at: datetime | None

    @property
    def label(self) -> str:
        return ANSWER_LABELS.get(self.answer or "", "En attente")


@dataclass(frozen=True)
class ProposalDetail:
    grappe: Grappe
    run: SolverRun
    campaign: Campaign | None
    members: list[MemberView]
    answers: list[OgAnswer]
    estimate: GrappeEstimate | None
    estimate_error: str | None
    own_share: OgFunding | None
    checklist: Checklist
    acting_for: str | None
    is_open: bool
    carrier_name: str | None

    @property
    def my_answer(self) -> OgAnswer | None:
        return next((a for a in self.answers if a.finess_ej == self.acting_for), None)


def campaign_is_open(campaign: Campaign | None, today: date | None = None) -> bool:
    """Answers may change while the campaign is open and not past its closing date."""
    if campaign is None:
        return True
    today = today or utcnow().date()
    return campaign.status == "open" and (campaign.closes_on is None or today <= campaign.closes_on)


def my_proposals(session: Session, user: User) -> list[ProposalSummary]:
    """The grappes of published runs that include an ESSMS of the user's OG."""
    if not user.is_attached or user.finess_ej is None:
        return []
    rows = session.execute(
        select(Grappe, SolverRun, Campaign)
        .join(SolverRun, SolverRun.id == Grappe.run_id)
        .outerjoin(Campaign, Campaign.id == SolverRun.campaign_id)
        .where(
            SolverRun.published_at.is_not(None),
            Grappe.id.in_(
                select(GrappeMember.grappe_id).where(GrappeMember.finess_ej == user.finess_ej)
            ),
        )
        .order_by(SolverRun.published_at.desc(), Grappe.number)
    ).all()
    answers = {
        a.grappe_id: a
        for a in session.scalars(
            select(GrappeAnswer).where(
                GrappeAnswer.finess_ej == user.finess_ej,
                GrappeAnswer.grappe_id.in_([g.id for g, _, _ in rows]),
            )
        )
    }
    return [
        ProposalSummary(
            grappe=grappe,
            run=run,
            campaign=campaign,
            own_members=sum(1 for m in grappe.members if m.finess_ej == user.finess_ej),
            answer=answers.get(grappe.id),
        )
        for grappe, run, campaign in rows
    ]


def _published_grappe(session: Session, grappe_id: int) -> tuple[Grappe, SolverRun]:
    grappe = session.get(Grappe, grappe_id)
    if grappe is None or grappe.run.published_at is None:
        raise NotFound(str(grappe_id))
    return grappe, grappe.run


def can_view_grappe(session: Session, user: User, grappe: Grappe) -> bool:
    """Its member OG, the collectif and ARS users of a member's region, administrators."""
    if user.role == Role.ADMIN:
        return True
    ejs = {m.finess_ej for m in grappe.members}
    if user.role == Role.OG:
        return user.is_attached and user.finess_ej in ejs
    if user.role in (Role.COLLECTIF, Role.ARS) and user.region:
        regions = set(
            session.scalars(
                select(Establishment.region)
                .where(Establishment.finess_et.in_([m.finess_et for m in grappe.members]))
                .distinct()
            )
        )
        return user.region in regions
    return False


def _editor_referenced(session: Session, grappe: Grappe) -> bool | None:
    """Référencé Ségur when one of the editor's solutions is; unknown without an editor."""
    editor_id = grappe.editor_id
    if editor_id is None and grappe.editor_name:
        editor_id = session.scalar(
            select(Editor.id).where(Editor.key == normalise_name(grappe.editor_name))
        )
    if editor_id is None:
        return None
    flags = list(
        session.scalars(select(Solution.reference_segur).where(Solution.editor_id == editor_id))
    )
    if not flags:
        return None
    return any(flags)


@dataclass(frozen=True)
class _Facts:
    """What the database knows about a grappe's members, loaded in a few queries."""

    establishments: dict[str, Establishment]
    organisations: dict[str, Organisation]
    declarations: dict[str, Declaration]
    editor_names: dict[int, str]
    funded: set[str]

    def declared_editor(self, finess_et: str) -> str | None:
        declaration = self.declarations.get(finess_et)
        if declaration is None:
            return None
        return self.editor_names.get(declaration.editor_id or -1) or declaration.editor_raw

    def department(self, member: GrappeMember) -> str:
        establishment = self.establishments.get(member.finess_et)
        return establishment.department if establishment else member.finess_et[:2]


def _facts(session: Session, grappe: Grappe, campaign_id: int | None) -> _Facts:
    finess_ets = [m.finess_et for m in grappe.members]
    ejs = {m.finess_ej for m in grappe.members}
    declarations: dict[str, Declaration] = {}
    if campaign_id is not None:
        current = session.scalars(
            select(Declaration).where(
                Declaration.campaign_id == campaign_id,
                Declaration.is_current.is_(True),
                Declaration.finess_et.in_(finess_ets),
            )
        )
        declarations = {d.finess_et: d for d in current}
    return _Facts(
        establishments={
            e.finess_et: e
            for e in session.scalars(
                select(Establishment).where(Establishment.finess_et.in_(finess_ets))
            )
        },
        organisations={
            o.finess_ej: o
            for o in session.scalars(select(Organisation).where(Organisation.finess_ej.in_(ejs)))
        },
        declarations=declarations,
        editor_names=editor_names(
            session,
            [d.editor_id for d in declarations.values()]
            + [d.sons_editor_id for d in declarations.values()],
        ),
        funded=set(
            session.scalars(
                select(Embarkation.finess_et).where(
                    Embarkation.finess_et.in_(finess_ets), Embarkation.scheme == "esms_numerique"
                )
            )
        ),
    )


def _member_view(member: GrappeMember, facts: _Facts, acting_for: str | None) -> MemberView:
    establishment = facts.establishments.get(member.finess_et)
    declaration = facts.declarations.get(member.finess_et)
    organisation = facts.organisations.get(member.finess_ej)
    champ = declaration.champ if declaration and declaration.champ else None
    return MemberView(
        finess_et=member.finess_et,
        name=(establishment.long_name or establishment.short_name)
        if establishment
        else member.finess_et,
        finess_ej=member.finess_ej,
        og_name=organisation.name if organisation else None,
        commune=establishment.commune if establishment else None,
        department=facts.department(member),
        champ=champ or (establishment.champ if establishment else None),
        declared=declaration is not None,
        dui_status=declaration.dui_status if declaration else None,
        sons_status=declaration.sons_status if declaration else None,
        editor=facts.declared_editor(member.finess_et),
        distance_km=member.distance_km,
        is_carrier=member.is_carrier,
        is_own=member.finess_ej == acting_for,
        latitude=establishment.latitude if establishment else None,
        longitude=establishment.longitude if establishment else None,
    )


def _funding_member(member: GrappeMember, facts: _Facts, grappe: Grappe) -> FundingMember:
    declaration = facts.declarations.get(member.finess_et)
    kind = project_type(
        declaration.dui_status if declaration else None,
        facts.declared_editor(member.finess_et),
        grappe.editor_name or None,
    )
    return FundingMember(member.finess_et, member.finess_ej, kind, facts.department(member))


def _checklist_member(
    member: GrappeMember, facts: _Facts, grappe: Grappe, label: str
) -> ChecklistMember:
    establishment = facts.establishments.get(member.finess_et)
    declaration = facts.declarations.get(member.finess_et)
    sons_editor = None
    if declaration is not None and declaration.sons_status in SONS_ORDERED:
        sons_editor = (
            facts.editor_names.get(declaration.sons_editor_id or -1) or declaration.sons_editor_raw
        )
    return ChecklistMember(
        finess_et=member.finess_et,
        is_essms=establishment.is_essms if establishment else None,
        department=facts.department(member),
        editor=planned_editor(
            declaration.dui_status if declaration else None,
            facts.declared_editor(member.finess_et),
            grappe.editor_name or None,
        ),
        sons_editor=sons_editor,
        already_funded_esms_numerique=member.finess_et in facts.funded
        or bool(declaration is not None and declaration.already_funded),
        european_funding=None,
        label=label,
    )


def _answers(grappe: Grappe, facts: _Facts) -> list[OgAnswer]:
    stored = {a.finess_ej: a for a in grappe.answers}
    answers = []
    for ej in sorted({m.finess_ej for m in grappe.members}):
        current = stored.get(ej)
        organisation = facts.organisations.get(ej)
        answers.append(
            OgAnswer(
                finess_ej=ej,
                og_name=organisation.name if organisation else None,
                essms=sum(1 for m in grappe.members if m.finess_ej == ej),
                answer=current.answer if current else None,
                comment=current.comment if current else None,
                answered_at=current.answered_at if current else None,
            )
        )
    return answers


def proposal_detail(
    session: Session, user: User, grappe_id: int, *, scale: Scale
) -> ProposalDetail:
    """Everything the proposal page shows, for a user allowed to see the grappe."""
    grappe, run = _published_grappe(session, grappe_id)
    if not can_view_grappe(session, user, grappe):
        raise Forbidden("Cette grappe ne concerne pas votre organisme.")
    campaign = session.get(Campaign, run.campaign_id) if run.campaign_id else None
    facts = _facts(session, grappe, run.campaign_id)
    acting_for = user.finess_ej if user.role == Role.OG and user.is_attached else None
    members = [_member_view(m, facts, acting_for) for m in grappe.members]
    referenced = _editor_referenced(session, grappe)

    estimate: GrappeEstimate | None = None
    estimate_error: str | None = None
    try:
        estimate = estimate_grappe(
            [_funding_member(m, facts, grappe) for m in grappe.members],
            editor_referenced=bool(referenced),
            scale=scale,
            og_essms_counts={
                ej: max(og.essms_count or 0, sum(1 for m in grappe.members if m.finess_ej == ej))
                for ej, og in facts.organisations.items()
            },
        )
    except FundingError as error:
        estimate_error = str(error)
    own_share = None
    if estimate is not None and acting_for is not None:
        own_share = next((og for og in estimate.ogs if og.finess_ej == acting_for), None)

    carrier = facts.organisations.get(grappe.carrier_ej or "")
    checklist = check_grappe(
        ChecklistGrappe(
            members=[
                _checklist_member(m, facts, grappe, view.name)
                for m, view in zip(grappe.members, members, strict=True)
            ],
            editor=grappe.editor_name or None,
            editor_referenced=referenced,
            carrier_siret=carrier.siret if carrier else None,
            carrier_ej=grappe.carrier_ej,
            new_operation=None,
        ),
        scale=scale,
    )
    return ProposalDetail(
        grappe=grappe,
        run=run,
        campaign=campaign,
        members=members,
        answers=_answers(grappe, facts),
        estimate=estimate,
        estimate_error=estimate_error,
        own_share=own_share,
        checklist=checklist,
        acting_for=acting_for,
        is_open=campaign_is_open(campaign),
        carrier_name=(carrier.name or carrier.finess_ej) if carrier else None,
    )


def answer(
    session: Session,
    user: User,
    grappe_id: int,
    value: str,
    comment: str | None,
    *,
    finess_ej: str | None = None,
    now: datetime | None = None,
) -> GrappeAnswer:
    """Record the OG's answer to a proposed grappe (replacing its previous one).

    ``finess_ej`` defaults to the user's OG; only those who act for that OG may answer,
    only for a grappe that includes one of its ESSMS, only while the campaign is open.
    """
    if value not in ANSWERS:
        raise AnswerError(f"Réponse inconnue : {value}.")
    grappe, run = _published_grappe(session, grappe_id)
    target = finess_ej or user.finess_ej
    if target is None or not can_act_for_organisation(user, target):
        raise Forbidden("Vous ne pouvez pas répondre pour cet organisme.")
    if target not in {m.finess_ej for m in grappe.members}:
        raise Forbidden("Cette grappe ne comprend aucun établissement de cet organisme.")
    campaign = session.get(Campaign, run.campaign_id) if run.campaign_id else None
    if not campaign_is_open(campaign):
        raise AnswerError("La campagne est close : les réponses ne peuvent plus changer.")
    text = comment.strip() if comment and comment.strip() else None
    current = session.scalar(
        select(GrappeAnswer).where(
            GrappeAnswer.grappe_id == grappe.id, GrappeAnswer.finess_ej == target
        )
    )
    moment = now or utcnow()
    if current is None:
        current = GrappeAnswer(grappe_id=grappe.id, finess_ej=target)
        session.add(current)
    previous = current.answer
    current.answer = value
    current.comment = text
    current.answered_by_user_id = user.id
    current.answered_at = moment
    session.flush()
    record(
        session,
        user,
        "grappe.answer",
        object_type="grappe",
        object_id=grappe.id,
        campaign_id=run.campaign_id,
        finess_ej=target,
        answer=value,
        previous=previous,
        comment=text,
    )
    return current
