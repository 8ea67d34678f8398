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
from matchmaker.domain_errors import Invalid
from matchmaker.funding.checklist import Checklist
from matchmaker.funding.estimate import GrappeEstimate, OgFunding
from matchmaker.funding.scales import Scale
from matchmaker.grappes import identity
from matchmaker.grappes.read_model import GrappeView, MemberView, grappe_view
from matchmaker.models import (
    Campaign,
    Establishment,
    Grappe,
    GrappeAnswer,
    GrappeMember,
    Role,
    SolverRun,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.models.grappes import ANSWERS
from matchmaker.organisations.services import NotFound
from matchmaker.vocabulary import Answer, CampaignStatus

ANSWER_LABELS = {answer.value: answer.label.capitalize() for answer in Answer}


class AnswerError(Invalid, ValueError):
    """An answer that cannot be recorded; the message is French."""


@dataclass(frozen=True)
class ProposalSummary:
    grappe: Grappe
    run: SolverRun
    campaign: Campaign | None
    own_members: int
    answer: GrappeAnswer | None


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
    return campaign.status == CampaignStatus.OPEN and (
        campaign.closes_on is None or today <= campaign.closes_on
    )


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


def answer_notices(session: Session, user: User) -> list[identity.AnswerChange]:
    """The user's OG's answers to a replaced run that did not carry over to the published
    run, with what changed, until the OG answers the grappes that now hold its ESSMS."""
    if not user.is_attached or user.finess_ej is None:
        return []
    runs = session.scalars(
        select(SolverRun).where(
            SolverRun.published_at.is_not(None), SolverRun.replaced_run_id.is_not(None)
        )
    )
    notices = []
    for run in runs:
        reference = session.get(SolverRun, run.replaced_run_id)
        if reference is None:
            continue
        answered = set(
            session.scalars(
                select(GrappeAnswer.grappe_id).where(
                    GrappeAnswer.finess_ej == user.finess_ej,
                    GrappeAnswer.grappe_id.in_([g.id for g in run.grappes]),
                )
            )
        )
        holders = {m.finess_et: g.id for g in run.grappes for m in g.members}
        for change in identity.answer_changes(session, run, reference):
            if change.finess_ej != user.finess_ej:
                continue
            own = {m.finess_et for m in change.old_grappe.members if m.finess_ej == user.finess_ej}
            now = {holders[f] for f in own if f in holders}
            if now and now <= answered:
                continue
            notices.append(change)
    return notices


@dataclass(frozen=True)
class Replaced:
    """A grappe of a run that another publication replaced: where its ESSMS are now."""

    grappe: Grappe
    successor: Grappe | None


def replaced_grappe(session: Session, user: User, grappe_id: int) -> Replaced | None:
    """For a grappe of a run that was published and then replaced: the grappe of the
    campaign's published run that now holds the most of its ESSMS (the user's OG's own
    ESSMS for an OG), or no successor. None when the grappe was never replaced."""
    grappe = session.get(Grappe, grappe_id)
    if grappe is None or grappe.run.published_at is not None:
        return None
    replaced = session.scalar(
        select(SolverRun.id).where(SolverRun.replaced_run_id == grappe.run_id).limit(1)
    )
    if replaced is None:
        return None
    if not can_view_grappe(session, user, grappe):
        raise Forbidden("Cette grappe ne concerne pas votre organisme.")
    mine = user.finess_ej if user.role == Role.OG else None
    wanted = {m.finess_et for m in grappe.members if mine is None or m.finess_ej == mine}
    current = identity.published_run(session, grappe.run.campaign_id)
    best, best_count = None, 0
    for candidate in current.grappes if current is not None else []:
        count = len(wanted & {m.finess_et for m in candidate.members})
        if count > best_count:
            best, best_count = candidate, count
    return Replaced(grappe, best)


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
    if user.role in (Role.COLLECTIF, Role.ARS) and user.regions:
        regions = set(
            session.scalars(
                select(Establishment.region)
                .where(Establishment.finess_et.in_([m.finess_et for m in grappe.members]))
                .distinct()
            )
        )
        return bool(user.regions & regions)
    return False


def _answers(view: GrappeView) -> list[OgAnswer]:
    answers = []
    for ej in sorted({m.finess_ej for m in view.members}):
        current = view.answers.get(ej)
        mine = [m for m in view.members if m.finess_ej == ej]
        answers.append(
            OgAnswer(
                finess_ej=ej,
                og_name=mine[0].og_name,
                essms=len(mine),
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
    acting_for = user.finess_ej if user.role == Role.OG and user.is_attached else None
    view = grappe_view(session, grappe, scale).for_og(acting_for)
    own_share = None
    if view.estimate is not None and acting_for is not None:
        own_share = next((og for og in view.estimate.ogs if og.finess_ej == acting_for), None)
    return ProposalDetail(
        grappe=grappe,
        run=run,
        campaign=campaign,
        members=view.members,
        answers=_answers(view),
        estimate=view.estimate,
        estimate_error=view.estimate_error,
        own_share=own_share,
        checklist=view.checklist,
        acting_for=acting_for,
        is_open=campaign_is_open(campaign),
        carrier_name=view.carrier_name or None,
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
    current.answer = Answer(value)
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
