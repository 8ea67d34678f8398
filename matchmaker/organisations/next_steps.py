"""What an OG should do next, for its home page: the proposals waiting for its answer, the
declarations to complete, and its ESSMS grouped by state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Grappe, GrappeMember, SolverRun, User
from matchmaker.organisations.proposals import ProposalSummary, campaign_is_open, my_proposals
from matchmaker.organisations.services import EssmsRow, OrganisationOverview
from matchmaker.vocabulary import GrappeStatus

#: The states of an ESSMS, in the order the page lists them (what is furthest first).
STATES = (
    (GrappeStatus.CONSTITUEE, "Dans une grappe constituée"),
    (GrappeStatus.PROPOSEE, "Proposé dans une grappe"),
    ("interesse", "Déclaré et intéressé"),
    ("declare", "Déclaré"),
    ("a_completer", "Déclaration à compléter"),
    ("a_declarer", "À déclarer"),
    ("hors_campagne", "Aucune campagne ouverte"),
)
STATE_LABELS = dict(STATES)


@dataclass(frozen=True)
class StateGroup:
    state: str
    label: str
    rows: list[EssmsRow] = field(default_factory=list)


@dataclass(frozen=True)
class NextSteps:
    waiting: list[ProposalSummary]
    to_declare: list[EssmsRow]
    to_complete: list[EssmsRow]
    groups: list[StateGroup]

    @property
    def nothing_to_do(self) -> bool:
        return not (self.waiting or self.to_declare or self.to_complete)


def _grappe_states(session: Session, finess_ets: Sequence[str]) -> dict[str, str]:
    """ESSMS → « constituee » or « proposee », from the grappes of published runs."""
    states: dict[str, str] = {}
    rows = session.execute(
        select(GrappeMember.finess_et, Grappe.status)
        .join(Grappe, Grappe.id == GrappeMember.grappe_id)
        .join(SolverRun, SolverRun.id == Grappe.run_id)
        .where(SolverRun.published_at.is_not(None), GrappeMember.finess_et.in_(finess_ets))
    )
    for finess_et, status in rows:
        if states.get(finess_et) != GrappeStatus.CONSTITUEE:
            states[finess_et] = status
    return states


def _state(row: EssmsRow, in_grappe: dict[str, str]) -> str:
    finess_et = row.establishment.finess_et
    if finess_et in in_grappe:
        return in_grappe[finess_et]
    if row.campaign is None:
        return "hors_campagne"
    if row.declaration is None:
        return "a_declarer"
    if not row.declaration.dui_status:
        return "a_completer"
    return "interesse" if row.interested else "declare"


def next_steps(session: Session, user: User, view: OrganisationOverview) -> NextSteps:
    """The OG's next steps, as its representative sees them."""
    proposals = [
        p
        for p in my_proposals(session, user)
        if p.grappe.status == GrappeStatus.PROPOSEE
        and p.answer is None
        and campaign_is_open(p.campaign)
        and user.finess_ej == view.organisation.finess_ej
    ]
    in_grappe = _grappe_states(session, [row.establishment.finess_et for row in view.rows])
    by_state: dict[str, list[EssmsRow]] = {}
    for row in view.rows:
        by_state.setdefault(_state(row, in_grappe), []).append(row)
    groups = [
        StateGroup(state, label, by_state[state]) for state, label in STATES if state in by_state
    ]
    return NextSteps(
        waiting=proposals,
        to_declare=by_state.get("a_declarer", []),
        to_complete=by_state.get("a_completer", []),
        groups=groups,
    )
