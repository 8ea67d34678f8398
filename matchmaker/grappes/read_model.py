"""The one read model of a stored grappe: its members with the facts the solver saw, its
funding estimate and its recevabilité checklist.

Every reader goes through here: the console's review and grappe pages
(``campaigns/run_views.py``), the organisations' proposal page
(``organisations/proposals.py``), ``grappes funding --run`` (:func:`assess`) and the
XLSX/CSV exports. The facts of a member (editor, DUI, SONS, champ, OG size, small
OG, funding) come from the run's snapshot (``RunCandidate``), so that a stored run keeps
showing what it was computed from; runs stored before snapshots existed read today's facts
by the same rules (:func:`matchmaker.grappes.candidates.facts_of`). Names, communes and
categories are identity, read from FINESS as it is today.

The rules that decide a member's project type and planned editor live here too
(:func:`project_type`, :func:`planned_editor`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from flask import has_app_context
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from importers.editor_names import normalise_name
from matchmaker.extensions import current_rules
from matchmaker.funding.checklist import (
    Checklist,
    ChecklistGrappe,
    ChecklistMember,
    check_grappe,
)
from matchmaker.funding.estimate import FundingError, FundingMember, estimate_grappe
from matchmaker.funding.results import GrappeEstimate
from matchmaker.funding.scales import ProjectType, Scale
from matchmaker.grappes.candidates import CandidateFacts, facts_of, is_small_og
from matchmaker.grappes.params import params_of
from matchmaker.models import (
    Editor,
    Establishment,
    Exclusion,
    Grappe,
    GrappeAnswer,
    GrappeMember,
    Organisation,
    RunCandidate,
    Solution,
    SolverRun,
)
from matchmaker.rules import build_rules
from matchmaker.vocabulary import Answer, DuiStatus, SonsStatus

#: Text of a grappe without editor (its members choose one together).
OPEN_EDITOR = "à choisir ensemble"

DUI_LABELS = DuiStatus.labels()
SONS_LABELS = SonsStatus.labels()


# --- the rules of a member's project ----------------------------------------------------------


def has_dui(dui_status: str | None) -> bool:
    """The ESSMS declared a DUI (référencé or not)."""
    return dui_status not in (None, DuiStatus.AUCUN)


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


# --- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFacts:
    """What the solver saw of an ESSMS, and whether its OG was small by the run's rules."""

    facts: CandidateFacts
    small_og: bool
    isolated: bool = False


#: ESSMS whose facts are read in one query; beyond 20 times as many, the whole snapshot.
FEW = 500


def run_facts(
    session: Session, run: SolverRun, finess: Iterable[str] | None = None
) -> dict[str, MemberFacts]:
    """The facts of the run's ESSMS (``finess``: only those), from the run's snapshot; for
    an ESSMS the snapshot lacks (a run stored before snapshots), today's facts."""
    wanted = None if finess is None else set(finess)
    rows: Iterable[RunCandidate]
    if wanted is not None and len(wanted) <= 20 * FEW:
        # A query per FEW ESSMS: a page of grappes reads its members' rows only.
        ordered = sorted(wanted)
        rows = [
            row
            for start in range(0, len(ordered), FEW)
            for row in session.scalars(
                select(RunCandidate).where(
                    RunCandidate.run_id == run.id,
                    RunCandidate.finess_et.in_(ordered[start : start + FEW]),
                )
            )
        ]
    else:
        rows = run.candidates
    out = {
        row.finess_et: MemberFacts(CandidateFacts.of_snapshot(row), row.small_og, row.isolated)
        for row in rows
        if wanted is None or row.finess_et in wanted
    }
    missing = (wanted or set()) - out.keys()
    if missing:
        params = params_of(run)
        for finess_et, facts in facts_of(session, run.campaign_id, missing).items():
            small = is_small_og(facts.og_size, facts.department, params)
            out[finess_et] = MemberFacts(facts, small)
    return out


def default_scale() -> Scale:
    """The programme's funding scale: the current app's rules (``matchmaker.rules``), else
    the scale file of the environment's settings."""
    return current_rules().scale if has_app_context() else build_rules().scale


def referenced_editors(session: Session) -> dict[str, bool]:
    """Normalised editor name → one of its solutions is référencée Ségur (editors of the
    referential only: an unknown name is absent, so « cannot tell »)."""
    out: dict[str, bool] = {}
    for name, referenced in session.execute(
        select(Editor.name, Solution.reference_segur).outerjoin(
            Solution, Solution.editor_id == Editor.id
        )
    ):
        key = normalise_name(name)
        out[key] = out.get(key, False) or bool(referenced)
    return out


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    """One ESSMS of a grappe, as every page and export shows it."""

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
    is_essms: bool
    declared: bool
    #: Codes: ``aucun``/``non_reference``/``reference_segur``; ``aucun``/``commande``/…
    dui_status: str
    dui_editor: str
    sons_status: str
    sons_editor: str | None
    already_funded: bool
    og_size: int
    small_og: bool
    #: Too few compatible ESSMS nearby, as the solver saw it (False for older runs).
    isolated: bool
    project_type: ProjectType
    planned_editor: str | None
    #: The member belongs to the OG the reader acts for (proposal page).
    is_own: bool = False

    @property
    def dui_label(self) -> str:
        return DUI_LABELS.get(self.dui_status, self.dui_status)

    @property
    def sons_label(self) -> str:
        return SONS_LABELS.get(self.sons_status, self.sons_status)


@dataclass
class GrappeView:
    """A stored grappe with everything pages and exports show: members, carrier, funding
    estimate, checklist and the OG's answers."""

    grappe: Grappe
    members: list[MemberView]
    carrier: Organisation | None
    editor_referenced: bool | None
    estimate: GrappeEstimate | None
    estimate_error: str | None
    checklist: Checklist
    answers: dict[str, GrappeAnswer] = field(default_factory=dict)

    @property
    def editor_label(self) -> str:
        return self.grappe.editor_name or OPEN_EDITOR

    @property
    def carrier_name(self) -> str:
        return (self.carrier.name or self.carrier.finess_ej) if self.carrier else ""

    @property
    def carrier_siret(self) -> str | None:
        return self.carrier.siret if self.carrier else None

    @property
    def accepted(self) -> int:
        return sum(1 for answer in self.answers.values() if answer.answer == Answer.ACCEPTE)

    @property
    def refused(self) -> int:
        return sum(1 for answer in self.answers.values() if answer.answer == Answer.REFUSE)

    @property
    def og_total(self) -> int:
        return len({member.finess_ej for member in self.members})

    @property
    def small_og_total(self) -> int:
        """« Petits OG »: distinct small OG among the members (not their ESSMS)."""
        return len({member.finess_ej for member in self.members if member.small_og})

    @property
    def all_accepted(self) -> bool:
        return self.og_total > 0 and self.accepted == self.og_total

    def for_og(self, finess_ej: str | None) -> GrappeView:
        """The same view with the members of ``finess_ej`` marked as the reader's own."""
        members = [replace(m, is_own=m.finess_ej == finess_ej) for m in self.members]
        return replace(self, members=members)


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


def grappe_views(
    session: Session,
    run: SolverRun,
    scale: Scale | None = None,
    grappes: Iterable[Grappe] | None = None,
) -> list[GrappeView]:
    """The run's grappes (``grappes``: only those) with members, funding and checklist."""
    scale = scale or default_scale()
    chosen = list(run.grappes if grappes is None else grappes)
    # Their member lists in one query per FEW grappes (not one per grappe).
    ids = [g.id for g in chosen]
    for start in range(0, len(ids), FEW):
        session.scalars(
            select(Grappe)
            # Without their establishments: those are read once below, with their OG.
            .options(selectinload(Grappe.members).lazyload(GrappeMember.establishment))
            .where(Grappe.id.in_(ids[start : start + FEW]))
        ).all()
    finess = [m.finess_et for g in chosen for m in g.members]
    facts = run_facts(session, run, finess)
    # The members' establishments and OG in a query per FEW members (not one per member).
    establishments: dict[str, Establishment] = {}
    for start in range(0, len(finess), FEW):
        establishments.update(
            (est.finess_et, est)
            for est in session.scalars(
                select(Establishment)
                .options(joinedload(Establishment.organisation))
                .where(Establishment.finess_et.in_(finess[start : start + FEW]))
            )
        )
    referenced = referenced_editors(session)
    carriers = {
        o.finess_ej: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.finess_ej.in_({g.carrier_ej for g in chosen if g.carrier_ej})
            )
        )
    }
    answers: dict[int, dict[str, GrappeAnswer]] = {}
    for answer in session.scalars(
        select(GrappeAnswer).where(GrappeAnswer.grappe_id.in_([g.id for g in chosen]))
    ):
        answers.setdefault(answer.grappe_id, {})[answer.finess_ej] = answer
    views = []
    for grappe in chosen:
        editor = grappe.editor_name or None
        editor_ref = referenced.get(normalise_name(editor)) if editor else None
        members = [
            _member_view(m, establishments.get(m.finess_et), facts.get(m.finess_et), editor)
            for m in grappe.members
        ]
        carrier = carriers.get(grappe.carrier_ej or "")
        estimate, error = _estimate(members, editor_ref, scale)
        views.append(
            GrappeView(
                grappe=grappe,
                members=members,
                carrier=carrier,
                editor_referenced=editor_ref,
                estimate=estimate,
                estimate_error=error,
                checklist=_checklist(
                    members, editor, editor_ref, carrier, grappe.carrier_ej, scale
                ),
                answers=answers.get(grappe.id, {}),
            )
        )
    return views


def member_counts(session: Session, run: SolverRun) -> tuple[int, int]:
    """The ESSMS in the run's grappes, and how many of them belong to a small OG by the
    same facts as the views (``MemberView.small_og``), counted in the database: the run
    page's figures without loading every grappe. Members the snapshot lacks (runs stored
    before snapshots) are judged by :func:`run_facts`."""
    snapshot = and_(RunCandidate.run_id == run.id, RunCandidate.finess_et == GrappeMember.finess_et)
    in_run = (
        select(GrappeMember.finess_et)
        .join(Grappe, Grappe.id == GrappeMember.grappe_id)
        .outerjoin(RunCandidate, snapshot)
        .where(Grappe.run_id == run.id)
    )
    members, snapshotted, small = session.execute(
        in_run.with_only_columns(
            func.count(GrappeMember.id),
            func.count(RunCandidate.id),
            func.count(RunCandidate.id).filter(RunCandidate.small_og.is_(True)),
        )
    ).one()
    small = int(small or 0)
    if snapshotted < members:
        missing = list(session.scalars(in_run.where(RunCandidate.id.is_(None))))
        facts = run_facts(session, run, missing)
        small += sum(1 for f in missing if f in facts and facts[f].small_og)
    return int(members), small


@dataclass(frozen=True)
class GrappeChoice:
    """A grappe of a run as a form's choice lists it (no members loaded)."""

    id: int
    number: int
    editor_name: str

    @property
    def editor_label(self) -> str:
        return self.editor_name or OPEN_EDITOR


def grappe_choices(session: Session, run: SolverRun) -> list[GrappeChoice]:
    """The run's grappes by number, as light rows (one query, no ORM objects)."""
    return [
        GrappeChoice(id, number, editor_name or "")
        for id, number, editor_name in session.execute(
            select(Grappe.id, Grappe.number, Grappe.editor_name)
            .where(Grappe.run_id == run.id)
            .order_by(Grappe.number)
        )
    ]


def grappes_slice(session: Session, run: SolverRun, offset: int, limit: int) -> list[Grappe]:
    """The run's grappes by number from ``offset``, at most ``limit`` (a page of them)."""
    return list(
        session.scalars(
            select(Grappe)
            .where(Grappe.run_id == run.id)
            .order_by(Grappe.number)
            .offset(offset)
            .limit(limit)
        )
    )


def grappe_totals(session: Session, run: SolverRun) -> tuple[int, float]:
    """How many grappes the run has and their total km (one aggregate query)."""
    count, total_km = session.execute(
        select(func.count(Grappe.id), func.coalesce(func.sum(Grappe.total_km), 0.0)).where(
            Grappe.run_id == run.id
        )
    ).one()
    return int(count), float(total_km)


def grappe_view(session: Session, grappe: Grappe, scale: Scale | None = None) -> GrappeView:
    """One stored grappe's view."""
    [view] = grappe_views(session, grappe.run, scale, [grappe])
    return view


@dataclass(frozen=True)
class Assessment:
    """What carriers and ARS ask of a grappe (``grappes funding``): how much, and would it
    be admissible."""

    estimate: GrappeEstimate
    checklist: Checklist
    editor_referenced: bool | None


def assess(session: Session, grappe: Grappe, scale: Scale | None = None) -> Assessment:
    """Funding estimate and checklist of a stored grappe, from what its run's solver saw;
    ``FundingError`` when the grappe cannot be estimated."""
    view = grappe_view(session, grappe, scale)
    if view.estimate is None:
        raise FundingError(view.estimate_error or "Estimation impossible.")
    return Assessment(
        estimate=view.estimate, checklist=view.checklist, editor_referenced=view.editor_referenced
    )


def left_out(
    session: Session,
    run: SolverRun,
    *,
    reason: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[LeftOutView]:
    """The run's exclusions with the ESSMS's name and place, and the editor the solver saw,
    by department then FINESS: every one, or those of ``reason`` (a reason code), from
    ``offset``, at most ``limit`` (a page of a national run's thousands)."""
    query = (
        select(Exclusion, Establishment)
        .join(Establishment, Establishment.finess_et == Exclusion.finess_et)
        .where(Exclusion.run_id == run.id)
        .order_by(Establishment.department, Exclusion.finess_et)
        .offset(offset)
        .limit(limit)
    )
    if reason is not None:
        query = query.where(Exclusion.reason_code == reason)
    rows = session.execute(query.options(joinedload(Establishment.organisation))).all()
    facts = run_facts(session, run, [e.finess_et for e, _ in rows])
    out = []
    for e, est in rows:
        seen = facts.get(e.finess_et)
        out.append(
            LeftOutView(
                finess_et=e.finess_et,
                name=est.long_name or est.short_name,
                finess_ej=est.finess_ej,
                og_name=est.organisation.name or est.finess_ej,
                department=est.department,
                commune=est.commune or "",
                latitude=est.latitude,
                longitude=est.longitude,
                reason_code=e.reason_code,
                reason=e.reason,
                near_miss=e.near_miss,
                editor=(seen.facts.editor or "") if seen else "",
            )
        )
    return out


#: Exclusions read per query by :func:`iter_left_out`.
LEFT_OUT_BATCH = 1_000


def iter_left_out(session: Session, run: SolverRun) -> Iterator[LeftOutView]:
    """Every exclusion of :func:`left_out`, read ``LEFT_OUT_BATCH`` at a time (exports)."""
    offset = 0
    while batch := left_out(session, run, offset=offset, limit=LEFT_OUT_BATCH):
        yield from batch
        offset += len(batch)


def left_out_reasons(session: Session, run: SolverRun) -> dict[str, int]:
    """How many ESSMS the run left out for each reason code (most frequent first)."""
    count = func.count(Exclusion.id)
    rows = session.execute(
        select(Exclusion.reason_code, count)
        .where(Exclusion.run_id == run.id)
        .group_by(Exclusion.reason_code)
        .order_by(count.desc(), Exclusion.reason_code)
    )
    return {code: int(number) for code, number in rows}


# --- internals ------------------------------------------------------------------------------


def _member_view(
    member: GrappeMember,
    est: Establishment | None,
    seen: MemberFacts | None,
    grappe_editor: str | None,
) -> MemberView:
    est = est or member.establishment
    facts = seen.facts if seen else None
    dui = facts.dui_status if facts else DuiStatus.AUCUN
    editor = facts.editor if facts else None
    return MemberView(
        finess_et=member.finess_et,
        name=est.long_name or est.short_name,
        finess_ej=member.finess_ej,
        og_name=est.organisation.name or member.finess_ej,
        category=est.category_label or "",
        champ=(facts.champ if facts else est.champ) or "",
        department=facts.department if facts else est.department,
        commune=est.commune or "",
        latitude=est.latitude,
        longitude=est.longitude,
        distance_km=member.distance_km,
        is_carrier=member.is_carrier,
        is_essms=facts.is_essms if facts else est.is_essms,
        declared=bool(facts and facts.declared),
        dui_status=dui,
        dui_editor=editor or "",
        sons_status=(facts.sons_status if facts else None) or SonsStatus.AUCUN,
        sons_editor=facts.sons_editor if facts else None,
        already_funded=bool(facts and facts.already_funded),
        og_size=facts.og_size if facts else 1,
        small_og=bool(seen and seen.small_og),
        isolated=bool(seen and seen.isolated),
        project_type=project_type(dui, editor, grappe_editor),
        planned_editor=planned_editor(dui, editor, grappe_editor),
    )


def _estimate(
    members: list[MemberView], editor_referenced: bool | None, scale: Scale
) -> tuple[GrappeEstimate | None, str | None]:
    in_grappe = Counter(m.finess_ej for m in members)
    og_counts = {m.finess_ej: max(m.og_size, in_grappe[m.finess_ej]) for m in members}
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
    members: list[MemberView],
    editor: str | None,
    editor_referenced: bool | None,
    carrier: Organisation | None,
    carrier_ej: str | None,
    scale: Scale,
) -> Checklist:
    return check_grappe(
        ChecklistGrappe(
            members=[
                ChecklistMember(
                    finess_et=m.finess_et,
                    is_essms=m.is_essms,
                    department=m.department or None,
                    editor=m.planned_editor,
                    sons_editor=m.sons_editor,
                    already_funded_esms_numerique=m.already_funded,
                    european_funding=None,
                    label=m.name,
                )
                for m in members
            ],
            editor=editor,
            editor_referenced=editor_referenced,
            carrier_siret=carrier.siret if carrier else None,
            carrier_ej=carrier_ej,
            new_operation=None,
        ),
        scale=scale,
    )
