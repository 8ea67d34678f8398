"""The candidates of a run, and the facts the solver sees of each of them.

Reads the establishments, declarations and embarkation lists of a run's scope into
``CandidateFacts`` (editor, DUI, SONS, champ, OG and its size, position, funding), then
into the solver's ``Candidate`` rows. The same facts are stored with the run
(``RunCandidate``, see :mod:`matchmaker.grappes.storage`) so that a stored run keeps
showing what it was computed from; :func:`facts_of` gives today's facts of any ESSMS by
the same rules, for runs stored before snapshots existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from matchmaker.grappes.errors import RunError
from matchmaker.models import (
    Declaration,
    Editor,
    Embarkation,
    Establishment,
    Organisation,
    RunCandidate,
    SolverRun,
)
from matchmaker.models.declarations import SONS_ORDERED
from matchmaker.vocabulary import (
    DuiStatus,
    EmbarkationScheme,
    ExclusionReason,
    RunMode,
    SonsStatus,
)
from solver import types as st
from solver.geo import is_reduced_minimum

#: Reason codes of candidates set aside before the solver runs.
NO_COORDINATES = ExclusionReason.NO_COORDINATES
ALREADY_FUNDED = ExclusionReason.ALREADY_FUNDED


@dataclass(frozen=True)
class SetAside:
    """An ESSMS of the scope that cannot be a candidate, and why (shown like exclusions)."""

    finess_et: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class CandidateFacts:
    """What the solver sees of one ESSMS (the columns of ``RunCandidate``)."""

    finess_et: str
    finess_ej: str
    department: str
    latitude: float | None
    longitude: float | None
    is_essms: bool
    champ: str | None
    declaration_id: int | None
    #: The declared DUI editor (the referential's name when matched, else as typed).
    editor: str | None
    #: ``aucun``, ``non_reference`` or ``reference_segur`` (``aucun`` without an editor).
    dui_status: str
    #: The declared SONS status, or ``commande`` for an ESSMS of the SONS list.
    sons_status: str | None
    sons_editor: str | None
    already_funded: bool
    willing_carrier: bool
    #: Open ESSMS of the OG in FINESS.
    og_size: int

    @property
    def declared(self) -> bool:
        return self.declaration_id is not None

    def candidate(self) -> st.Candidate:
        """The solver's candidate (only for an ESSMS with coordinates)."""
        assert self.latitude is not None and self.longitude is not None
        return st.Candidate(
            finess_et=self.finess_et,
            finess_ej=self.finess_ej,
            latitude=self.latitude,
            longitude=self.longitude,
            department=self.department,
            og_size=self.og_size,
            champ=self.champ,
            dui_status=self.dui_status,
            editor=self.editor,
            sons_editor=self.sons_editor,
            willing_carrier=self.willing_carrier,
        )

    def snapshot(
        self,
        params: st.SolveParams,
        *,
        set_aside: bool,
        small_og: bool | None = None,
        isolated: bool = False,
    ) -> RunCandidate:
        """The row stored with a run (``small_og``/``isolated``: as the solver decided
        them; by the run's thresholds for an ESSMS it did not see)."""
        if small_og is None:
            small_og = is_small_og(self.og_size, self.department, params)
        return RunCandidate(
            **{name: getattr(self, name) for name in FACT_COLUMNS},
            small_og=small_og,
            isolated=isolated,
            set_aside=set_aside,
        )

    @classmethod
    def of_snapshot(cls, row: RunCandidate) -> CandidateFacts:
        return cls(**{name: getattr(row, name) for name in FACT_COLUMNS})


#: The fields of ``CandidateFacts``, which are also columns of ``RunCandidate``.
FACT_COLUMNS = tuple(CandidateFacts.__dataclass_fields__)


@dataclass
class CandidateSet:
    """The solver's input for one run, plus the ESSMS set aside beforehand."""

    candidates: list[st.Candidate] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    #: The facts of every ESSMS above, candidates and set aside alike.
    facts: list[CandidateFacts] = field(default_factory=list)


def is_small_og(og_size: int, department: str, params: st.SolveParams) -> bool:
    """An OG running fewer ESSMS than the threshold of its territory is a small OG."""
    reduced = is_reduced_minimum(department, params.reduced_minimum_departments)
    threshold = params.small_og_threshold_overseas if reduced else params.small_og_threshold
    return og_size < threshold


def gather_candidates(
    session: Session, *, campaign_id: int | None, mode: str, departments: list[str]
) -> CandidateSet:
    """The candidates of a run, by the rules of the programme.

    ``interest`` mode: the ESSMS holding a current declaration in the campaign that did not
    withdraw their interest. ``planning`` mode: every open ESSMS of the scope. In both,
    ESSMS already funded by ESMS numérique (embarkation list or declaration) are set aside,
    and so are those without coordinates. Editor rules come from the declaration (DUI,
    preferred editor, SONS editor) and from the SONS embarkation list.
    """
    if mode not in (RunMode.INTEREST, RunMode.PLANNING):
        raise RunError(f"Mode inconnu : {mode}")
    if mode == RunMode.INTEREST and campaign_id is None:
        raise RunError("Le mode « intérêt » demande une campagne.")
    query = _facts_query(campaign_id).where(
        Establishment.is_open.is_(True), Establishment.is_essms.is_(True)
    )
    if departments:
        query = query.where(Establishment.department.in_(departments))
    if mode == RunMode.INTEREST:
        query = query.where(Declaration.id.is_not(None), Declaration.interested.is_not(False))
    result = CandidateSet()
    for facts in _read_facts(session, query, departments=departments):
        result.facts.append(facts)
        if facts.already_funded:
            result.set_aside.append(
                SetAside(facts.finess_et, ALREADY_FUNDED, "Déjà financé par ESMS numérique.")
            )
        elif facts.latitude is None or facts.longitude is None:
            result.set_aside.append(
                SetAside(
                    facts.finess_et,
                    NO_COORDINATES,
                    "Pas de coordonnées géographiques dans FINESS : impossible de le placer.",
                )
            )
        else:
            result.candidates.append(facts.candidate())
    return result


def stored_candidates(session: Session, run: SolverRun) -> dict[str, st.Candidate]:
    """The solver's candidates of a stored run, as it saw them (its snapshot); a run stored
    before snapshots existed gathers them again from today's facts."""
    if run.candidates:
        return {
            row.finess_et: CandidateFacts.of_snapshot(row).candidate()
            for row in run.candidates
            if not row.set_aside
        }
    gathered = gather_candidates(
        session, campaign_id=run.campaign_id, mode=run.mode, departments=list(run.scope)
    )
    return {c.finess_et: c for c in gathered.candidates}


def facts_of(
    session: Session, campaign_id: int | None, finess: Iterable[str]
) -> dict[str, CandidateFacts]:
    """Today's facts of the given ESSMS, by the rules of :func:`gather_candidates` (for
    runs stored without a snapshot)."""
    wanted = sorted(set(finess))
    if not wanted:
        return {}
    query = _facts_query(campaign_id).where(Establishment.finess_et.in_(wanted))
    return {f.finess_et: f for f in _read_facts(session, query, finess=wanted)}


def _facts_query(campaign_id: int | None) -> Select:
    declared_editor = aliased(Editor)
    sons_editor = aliased(Editor)
    declaration_join = and_(
        Declaration.finess_et == Establishment.finess_et,
        Declaration.campaign_id == campaign_id,
        Declaration.is_current.is_(True),
    )
    return (
        select(
            Establishment,
            Organisation.essms_count,
            Declaration,
            declared_editor.name,
            sons_editor.name,
        )
        .join(Establishment.organisation)
        .outerjoin(Declaration, declaration_join)
        .outerjoin(Declaration.editor.of_type(declared_editor))
        .outerjoin(Declaration.sons_editor.of_type(sons_editor))
        .order_by(Establishment.finess_et)
    )


def _read_facts(
    session: Session,
    query: Select,
    *,
    departments: list[str] | None = None,
    finess: list[str] | None = None,
) -> list[CandidateFacts]:
    funded, sons = _embarkations(session, departments=departments, finess=finess)
    return [
        _facts(establishment, og_size, declaration, editor_name, sons_name, funded, sons)
        for establishment, og_size, declaration, editor_name, sons_name in session.execute(query)
    ]


def _embarkations(
    session: Session, *, departments: list[str] | None, finess: list[str] | None
) -> tuple[set[str], dict[str, str]]:
    """ESSMS funded by ESMS numérique, and the SONS editor of ESSMS that ordered SONS."""
    query = (
        select(Embarkation.finess_et, Embarkation.scheme, Editor.name, Embarkation.editor_raw)
        .join(Establishment, Establishment.finess_et == Embarkation.finess_et)
        .outerjoin(Editor, Editor.id == Embarkation.editor_id)
    )
    if departments:
        query = query.where(Establishment.department.in_(departments))
    if finess is not None:
        query = query.where(Embarkation.finess_et.in_(finess))
    funded: set[str] = set()
    sons: dict[str, str] = {}
    for finess_et, scheme, editor_name, editor_raw in session.execute(query):
        if scheme == EmbarkationScheme.ESMS_NUMERIQUE:
            funded.add(finess_et)
        elif son := editor_name or _clean(editor_raw):
            sons[finess_et] = son
    return funded, sons


def _clean(raw: str | None) -> str | None:
    """An unmatched editor name as typed, trimmed (it still groups identical spellings)."""
    if raw is None:
        return None
    text = " ".join(raw.split())
    return text or None


def _facts(
    establishment: Establishment,
    og_size: int | None,
    declaration: Declaration | None,
    editor_name: str | None,
    sons_name: str | None,
    funded: set[str],
    sons: dict[str, str],
) -> CandidateFacts:
    editor = None
    dui_status = DuiStatus.AUCUN
    sons_editor = sons.get(establishment.finess_et)
    sons_status = SonsStatus.COMMANDE if sons_editor else None
    willing = False
    champ = establishment.champ
    already_funded = establishment.finess_et in funded
    if declaration is not None:
        editor = editor_name or _clean(declaration.editor_raw)
        dui_status = declaration.dui_status or (
            DuiStatus.NON_REFERENCE if editor else DuiStatus.AUCUN
        )
        if declaration.sons_status in SONS_ORDERED:
            sons_editor = sons_name or _clean(declaration.sons_editor_raw) or sons_editor
        sons_status = declaration.sons_status or sons_status
        willing = bool(declaration.willing_carrier)
        champ = declaration.champ or champ
        already_funded = already_funded or bool(declaration.already_funded)
    if dui_status != DuiStatus.AUCUN and editor is None:
        dui_status = DuiStatus.AUCUN
    return CandidateFacts(
        finess_et=establishment.finess_et,
        finess_ej=establishment.finess_ej,
        department=establishment.department,
        latitude=establishment.latitude,
        longitude=establishment.longitude,
        is_essms=establishment.is_essms,
        champ=champ,
        declaration_id=declaration.id if declaration is not None else None,
        editor=editor,
        dui_status=dui_status,
        sons_status=sons_status,
        sons_editor=sons_editor,
        already_funded=already_funded,
        willing_carrier=willing,
        og_size=max(og_size or 0, 1),
    )
