"""Human adjustments of a run: move an ESSMS (with its OG) to another grappe, remove it,
pin two ESSMS together or apart, freeze a grappe, change a grappe's carrier.

Each adjustment is applied to the run as a solver ``Solution`` first, then checked with the
solver's own validator (``solver.validate``): it is refused, with the broken rule, when it
introduces a violation the run did not already have (a grappe falling under the minimum,
two editors, an OG split, a lock broken…). Accepted, it is written to the run's rows,
recorded as a ``Lock`` that later runs of the campaign respect, and in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.campaigns.services import CampaignError, check_manage
from matchmaker.campaigns.solution_edits import move_members
from matchmaker.grappes.candidates import stored_candidates
from matchmaker.grappes.carriers import CHOSEN_CARRIER
from matchmaker.grappes.locks import grappe_key, solver_locks
from matchmaker.grappes.params import params_of
from matchmaker.grappes.storage import solution_of
from matchmaker.models import Campaign, Exclusion, Grappe, GrappeMember, Lock, SolverRun, User
from matchmaker.vocabulary import LockKind, RunStatus
from solver import types as st
from solver.validate import Violation, validate

Action = Literal["move", "remove", "together", "apart", "freeze", "carrier"]
ACTIONS: dict[str, str] = {
    "move": "Déplacer un ESSMS vers une grappe",
    "remove": "Retirer un ESSMS des grappes",
    "together": "Garder deux ESSMS ensemble",
    "apart": "Séparer deux ESSMS",
    "freeze": "Figer une grappe",
    "carrier": "Changer le porteur d'une grappe",
}


class AdjustmentRefused(CampaignError):
    """The adjustment would break a hard rule; the message names it."""


@dataclass(frozen=True)
class Adjustment:
    """One adjustment as the form sends it."""

    action: str
    finess_et: str | None = None
    other_finess_et: str | None = None
    grappe_id: int | None = None
    carrier_ej: str | None = None
    with_og: bool = True


def adjust(
    session: Session, user: User, campaign: Campaign, run: SolverRun, adjustment: Adjustment
) -> str:
    """Check and apply ``adjustment`` to ``run``; returns the French confirmation. Raises
    :class:`AdjustmentRefused` (nothing changed) when it breaks a rule."""
    check_manage(session, user, campaign)
    if run.campaign_id != campaign.id or run.status != RunStatus.SUCCEEDED:
        raise CampaignError("Seul un calcul terminé de cette campagne peut être ajusté.")
    if run.published_at is not None:
        raise CampaignError("Ce calcul est publié : relancez un calcul pour l'ajuster.")
    if adjustment.action not in ACTIONS:
        raise CampaignError(f"Ajustement inconnu : « {adjustment.action} ».")
    # The run is checked against what its solver saw, not today's declarations.
    candidates = stored_candidates(session, run)
    params = params_of(run)
    locks = list(solver_locks(session, campaign.id))
    before = solution_of(run)
    plan = _plan(run, before, candidates, params, adjustment)
    new_locks = [*locks, *plan.solver_locks]
    introduced = _introduced(
        validate(candidates.values(), params, locks, before),
        validate(candidates.values(), params, new_locks, plan.solution),
    )
    if introduced:
        raise AdjustmentRefused(
            "Ajustement refusé : " + " ; ".join(_describe(v, run) for v in introduced) + "."
        )
    _write(session, run, plan, candidates)
    for lock in plan.lock_rows:
        lock.campaign_id = campaign.id
        lock.created_by_user_id = user.id
        session.add(lock)
    session.flush()
    record(
        session,
        user,
        f"adjust.{adjustment.action}",
        object_type="run",
        object_id=run.id,
        campaign_id=campaign.id,
        finess_et=adjustment.finess_et,
        other_finess_et=adjustment.other_finess_et,
        grappe_id=adjustment.grappe_id,
        carrier_ej=adjustment.carrier_ej,
        moved=list(plan.moved),
    )
    return plan.message


# --- planning an adjustment on the solution --------------------------------------------------


@dataclass
class _Plan:
    solution: st.Solution
    solver_locks: list[st.Lock]
    lock_rows: list[Lock]
    message: str
    moved: tuple[str, ...] = ()
    carrier: tuple[str, str] | None = None
    frozen_key: str | None = None


def _plan(
    run: SolverRun,
    solution: st.Solution,
    candidates: dict[str, st.Candidate],
    params: st.SolveParams,
    adj: Adjustment,
) -> _Plan:
    by_key = {g.key: g for g in solution.grappes}
    where = solution.grappe_of()
    target = _grappe(run, adj.grappe_id) if adj.grappe_id is not None else None
    if adj.action in ("move", "remove", "together", "apart"):
        _known(_require(adj.finess_et, "Indiquez le FINESS de l'ESSMS."), candidates, where)
    if adj.action == "move":
        if target is None:
            raise CampaignError("Choisissez la grappe de destination.")
        key = grappe_key(target)
        moving = _with_og(adj, candidates, where)
        if all(where.get(f) == key for f in moving):
            raise CampaignError("Cet ESSMS est déjà dans cette grappe.")
        new = move_members(solution, moving, key, candidates, params)
        return _Plan(
            new,
            [st.MustJoin(f, key) for f in moving],
            [Lock(kind=LockKind.MUST_JOIN, finess_et=f, grappe_id=target.id) for f in moving],
            f"{len(moving)} ESSMS déplacé(s) vers la grappe n° {target.number}.",
            moved=tuple(moving),
        )
    if adj.action == "remove":
        moving = _with_og(adj, candidates, where)
        if not any(f in where for f in moving):
            raise CampaignError("Cet ESSMS n'est dans aucune grappe.")
        new = move_members(solution, moving, None, candidates, params)
        return _Plan(
            new,
            [st.Exclude(f) for f in moving],
            [Lock(kind=LockKind.EXCLUDE, finess_et=f) for f in moving],
            f"{len(moving)} ESSMS retiré(s) des grappes.",
            moved=tuple(moving),
        )
    if adj.action in ("together", "apart"):
        other = _require(adj.other_finess_et, "Indiquez le FINESS du second ESSMS.")
        _known(other, candidates, where)
        if other == adj.finess_et:
            raise CampaignError("Indiquez deux ESSMS différents.")
        assert adj.finess_et is not None
        lock: st.Lock = (st.Together if adj.action == "together" else st.Apart)(
            adj.finess_et, other
        )
        verb = "resteront ensemble" if adj.action == "together" else "seront séparés"
        return _Plan(
            solution,
            [lock],
            [Lock(kind=adj.action, finess_et=adj.finess_et, other_finess_et=other)],
            f"{adj.finess_et} et {other} {verb} dans les prochains calculs.",
        )
    if target is None:
        raise CampaignError("Choisissez la grappe.")
    key = grappe_key(target)
    grappe = by_key[key]
    if adj.action == "freeze":
        frozen = st.FrozenGrappe(key, grappe.editor, tuple(m.finess_et for m in grappe.members))
        new = replace(
            solution,
            grappes=tuple(replace(g, frozen=True) if g.key == key else g for g in solution.grappes),
        )
        return _Plan(
            new,
            [frozen],
            [Lock(kind=LockKind.FREEZE, grappe_id=target.id)],
            f"Grappe n° {target.number} figée.",
            frozen_key=key,
        )
    carrier = _require(adj.carrier_ej, "Choisissez l'OG porteur.")
    new = replace(
        solution,
        grappes=tuple(
            replace(g, carrier_ej=carrier, carrier_reason=CHOSEN_CARRIER) if g.key == key else g
            for g in solution.grappes
        ),
    )
    return _Plan(
        new,
        [],
        [Lock(kind=LockKind.CARRIER, grappe_id=target.id, carrier_ej=carrier)],
        f"Porteur de la grappe n° {target.number} changé.",
        carrier=(key, carrier),
    )


def _with_og(
    adj: Adjustment, candidates: dict[str, st.Candidate], where: dict[str, str]
) -> list[str]:
    """The ESSMS to move: the one named, and with ``with_og`` the other ESSMS of its OG
    that sit in the same place (same grappe, or left out)."""
    assert adj.finess_et is not None
    if not adj.with_og:
        return [adj.finess_et]
    first = candidates[adj.finess_et]
    place = where.get(adj.finess_et)
    return sorted(
        f
        for f, c in candidates.items()
        if c.finess_ej == first.finess_ej
        and where.get(f) == place
        and (c.sons_editor or c.editor) == (first.sons_editor or first.editor)
    )


def _introduced(before: list[Violation], after: list[Violation]) -> list[Violation]:
    seen = {(v.rule, v.subject) for v in before}
    return [v for v in after if (v.rule, v.subject) not in seen]


_RULES = {
    "min_size": "la grappe passerait sous la taille minimale",
    "max_size": "la grappe dépasserait la taille maximale",
    "editor": "règle d'éditeur unique",
    "og_together": "les ESSMS d'un même OG et d'un même éditeur doivent rester ensemble",
    "carrier": "le porteur doit être un OG membre de la grappe",
    "max_distance": "distance maximale au centre dépassée",
    "lock_frozen": "la grappe est figée",
    "lock_together": "deux ESSMS gardés ensemble seraient séparés",
    "lock_apart": "deux ESSMS séparés seraient ensemble",
    "lock_exclude": "un ESSMS retiré serait replacé",
    "lock_must_join": "un ESSMS placé à la main changerait de grappe",
    "unknown_essms": "ESSMS hors des candidats de la campagne",
}


def _describe(violation: Violation, run: SolverRun) -> str:
    rule = _RULES.get(violation.rule, violation.rule)
    subject = violation.subject
    if subject.startswith("g") and subject[1:].isdigit():
        number = next((g.number for g in run.grappes if g.id == int(subject[1:])), None)
        if number is not None:
            subject = f"grappe n° {number}"
    return f"{rule} ({subject} : {violation.message})"


# --- writing the accepted adjustment ----------------------------------------------------------


def _write(
    session: Session, run: SolverRun, plan: _Plan, candidates: dict[str, st.Candidate]
) -> None:
    rows = {grappe_key(g): g for g in run.grappes}
    wanted = {g.key: g for g in plan.solution.grappes}
    for key, row in rows.items():
        result = wanted.get(key)
        if result is None:
            run.grappes.remove(row)
            continue
        if plan.frozen_key == key:
            row.frozen = True
        if plan.carrier and plan.carrier[0] == key:
            row.carrier_ej = result.carrier_ej
            row.carrier_reason = result.carrier_reason
        current = {m.finess_et: m for m in row.members}
        target = {m.finess_et: m for m in result.members}
        if (
            set(current) == set(target)
            and all(current[f].distance_km == target[f].distance_km for f in target)
            and not plan.carrier
        ):
            continue
        for finess, old in current.items():
            if finess not in target:
                row.members.remove(old)
        session.flush()
        for finess, result_member in target.items():
            member = current.get(finess)
            if member is None:
                member = GrappeMember(finess_et=finess, finess_ej=result_member.finess_ej)
                row.members.append(member)
            member.distance_km = result_member.distance_km
            member.is_carrier = member.finess_ej == row.carrier_ej
        row.centre_finess_et = result.centre
        centre = candidates.get(result.centre)
        if centre is not None:
            row.centre_latitude, row.centre_longitude = centre.latitude, centre.longitude
        row.total_km = result.total_km
        row.mean_km = result.mean_km
        row.max_km = max((m.distance_km for m in result.members), default=0.0)
        row.og_count = len({m.finess_ej for m in result.members})
        row.small_og_count = result.n_small_og
    excluded_now = {e.finess_et: e for e in plan.solution.exclusions}
    for stale in list(run.exclusions):
        if stale.finess_et not in excluded_now:
            run.exclusions.remove(stale)
    stored = {e.finess_et for e in run.exclusions}
    for finess, exclusion in excluded_now.items():
        if finess not in stored:
            run.exclusions.append(
                Exclusion(
                    finess_et=finess, reason_code=exclusion.reason_code, reason=exclusion.reason
                )
            )
    run.covered_count = sum(len(g.members) for g in plan.solution.grappes)
    session.flush()


def _grappe(run: SolverRun, grappe_id: int) -> Grappe:
    grappe = next((g for g in run.grappes if g.id == grappe_id), None)
    if grappe is None:
        raise CampaignError("Cette grappe n'appartient pas à ce calcul.")
    return grappe


def _require(value: str | None, message: str) -> str:
    if not value or not value.strip():
        raise CampaignError(message)
    return value.strip()


def _known(finess: str, candidates: dict[str, st.Candidate], where: dict[str, str]) -> None:
    if finess not in candidates:
        raise CampaignError(f"{finess} n'est pas un candidat de ce calcul.")


def locks_of(session: Session, campaign: Campaign) -> list[Lock]:
    """The campaign's active locks, oldest first."""
    return list(
        session.scalars(
            select(Lock)
            .where(Lock.campaign_id == campaign.id, Lock.active.is_(True))
            .order_by(Lock.id)
        )
    )
