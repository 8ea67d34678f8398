"""A grappe's identity across the runs of a campaign, and the answers that carry over.

**When two grappes are « the same ».** A grappe of a new run continues a grappe of the
campaign's published run when both have the same editor (compared by normalised name; two
grappes whose editor is still to be chosen count as the same) and they share a strict
majority of each other's ESSMS: more than half of the old grappe's ESSMS are in the new
one, and more than half of the new one's ESSMS come from the old one. A strict majority on
both sides makes the match one-to-one. The continuing grappe keeps the old grappe's number
(« Grappe n° 7 » stays n° 7) and records it in ``previous_grappe_id``; new grappes take
the numbers after the largest one of the published run.

**When an answer carries over.** At publication, an OG's answer to a grappe of the
previously published run is copied to the grappe that continues it when every ESSMS of the
OG that was in the old grappe is in the continuing one (same editor by the rule above). The
copy records the answer it came from (``carried_from_id``). Otherwise the old answer stays
where it was (the history of the old run) and the OG is told, by e-mail and on its page,
what changed and that it must answer again (:func:`answer_changes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from matchmaker.models import Campaign, Grappe, GrappeAnswer, SolverRun


def same_grappe(old: Grappe, new: Grappe) -> bool:
    """``new`` continues ``old``: same editor, strict majority of each other's ESSMS."""
    if normalise_name(old.editor_name or "") != normalise_name(new.editor_name or ""):
        return False
    before = {m.finess_et for m in old.members}
    after = {m.finess_et for m in new.members}
    common = len(before & after)
    return 2 * common > len(before) and 2 * common > len(after)


def published_run(session: Session, campaign_id: int | None) -> SolverRun | None:
    """The campaign's published run, if any."""
    if campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.published_run_id is None:
        return None
    return session.get(SolverRun, campaign.published_run_id)


def link_to_published(session: Session, run: SolverRun) -> None:
    """Number ``run``'s grappes after the campaign's published run (see the module rule);
    nothing changes when ``run`` is the published run or none is published."""
    reference = published_run(session, run.campaign_id)
    if reference is None or reference.id == run.id:
        return
    link(session, run, reference)


def link(session: Session, run: SolverRun, reference: SolverRun) -> None:
    """Give each grappe of ``run`` that continues one of ``reference`` its number and link;
    number the others after ``reference``'s largest number, in the solver's order."""
    previous: dict[int, Grappe] = {}
    taken: set[int] = set()
    for grappe in run.grappes:
        match = next(
            (old for old in reference.grappes if old.id not in taken and same_grappe(old, grappe)),
            None,
        )
        if match is not None:
            previous[grappe.id] = match
            taken.add(match.id)
    next_number = max((g.number for g in reference.grappes), default=0) + 1
    numbers: dict[int, int] = {}
    for grappe in sorted(run.grappes, key=lambda g: g.number):
        if grappe.id in previous:
            numbers[grappe.id] = previous[grappe.id].number
        else:
            numbers[grappe.id] = next_number
            next_number += 1
    _renumber_near_misses(run, {g.number: numbers[g.id] for g in run.grappes})
    # Two steps: numbers are unique within a run at every flush.
    for index, grappe in enumerate(run.grappes, start=1):
        grappe.number = -index
    session.flush()
    for grappe in run.grappes:
        grappe.number = numbers[grappe.id]
        match = previous.get(grappe.id)
        grappe.previous_grappe_id = match.id if match else None
    session.flush()
    run.grappes.sort(key=lambda g: g.number)


def _renumber_near_misses(run: SolverRun, renumbered: dict[int, int]) -> None:
    """The near misses of the run's exclusions name grappes by number (« grappe n° 3 »):
    they follow the grappes' new numbers, in one pass so that no number is mapped twice."""

    def replace(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"grappe n° {renumbered.get(number, number)}"

    for exclusion in run.exclusions:
        if exclusion.near_miss:
            exclusion.near_miss = _GRAPPE_NUMBER.sub(replace, exclusion.near_miss)


_GRAPPE_NUMBER = re.compile(r"grappe n° (\d+)")


@dataclass(frozen=True)
class AnswerChange:
    """An OG's answer to the old run that does not carry over, and what changed."""

    finess_ej: str
    old_grappe: Grappe
    answer: GrappeAnswer
    #: French sentences: what happened to the grappe and where the OG's ESSMS are now.
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def carry_answers(session: Session, run: SolverRun, reference: SolverRun) -> list[AnswerChange]:
    """Copy to ``run`` the answers to ``reference``'s grappes that carry over; return the
    others with what changed (see the module rule). Flushes."""
    carried, changes = _sort_answers(session, run, reference)
    for grappe, answer in carried:
        if any(a.finess_ej == answer.finess_ej for a in grappe.answers):
            continue
        grappe.answers.append(
            GrappeAnswer(
                finess_ej=answer.finess_ej,
                answer=answer.answer,
                comment=answer.comment,
                answered_by_user_id=answer.answered_by_user_id,
                answered_at=answer.answered_at,
                carried_from_id=answer.id,
            )
        )
    session.flush()
    return changes


def answer_changes(session: Session, run: SolverRun, reference: SolverRun) -> list[AnswerChange]:
    """The answers to ``reference`` that do not carry over to ``run``, with what changed."""
    return _sort_answers(session, run, reference)[1]


def _sort_answers(
    session: Session, run: SolverRun, reference: SolverRun
) -> tuple[list[tuple[Grappe, GrappeAnswer]], list[AnswerChange]]:
    successor = {g.previous_grappe_id: g for g in run.grappes if g.previous_grappe_id}
    holder = {m.finess_et: g for g in run.grappes for m in g.members}
    answers = session.scalars(
        select(GrappeAnswer)
        .where(GrappeAnswer.grappe_id.in_([g.id for g in reference.grappes]))
        .order_by(GrappeAnswer.id)
    )
    old_by_id = {g.id: g for g in reference.grappes}
    carried: list[tuple[Grappe, GrappeAnswer]] = []
    changes: list[AnswerChange] = []
    for answer in answers:
        old = old_by_id[answer.grappe_id]
        own = sorted(m.finess_et for m in old.members if m.finess_ej == answer.finess_ej)
        new = successor.get(old.id)
        if new is not None and set(own) <= {m.finess_et for m in new.members}:
            carried.append((new, answer))
            continue
        changes.append(
            AnswerChange(answer.finess_ej, old, answer, _what_changed(old, new, own, holder))
        )
    return carried, changes


def _what_changed(
    old: Grappe, new: Grappe | None, own: list[str], holder: dict[str, Grappe]
) -> tuple[str, ...]:
    label = _label(old)
    lines = []
    if new is None:
        lines.append(f"La grappe {label} n'est plus proposée : le nouveau calcul l'a recomposée.")
    else:
        lines.append(f"Certains de vos ESSMS ne sont plus dans la grappe {label}.")
    for finess_et in own:
        now = holder.get(finess_et)
        where = f"dans la grappe {_label(now)}" if now else "dans aucune grappe de ce calcul"
        lines.append(f"ESSMS {finess_et} : désormais {where}.")
    lines.append("Votre réponse précédente reste dans l'historique ; merci de répondre à nouveau.")
    return tuple(lines)


def _label(grappe: Grappe) -> str:
    return f"n° {grappe.number} ({grappe.editor_name or 'éditeur à choisir'})"
