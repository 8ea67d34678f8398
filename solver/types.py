"""Plain inputs and outputs of the solver: frozen dataclasses, no database, no Flask.

The app converts its rows to `Candidate`, `SolveParams` and locks, calls `solver.solve`, and
reads back a `Solution`. Every programme number lives in `SolveParams` with the DOMAIN.md
default and a help line (`SolveParams.help()` lists them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Literal, cast

DuiStatus = Literal["aucun", "non_reference", "reference_segur"]
DUI_STATUSES: tuple[str, ...] = ("aucun", "non_reference", "reference_segur")


class ReasonCode(StrEnum):
    """Why the solver left an ESSMS out (`Exclusion.reason_code`); the app labels them."""

    TOO_FEW_PEERS = "too_few_peers"
    GRAPPE_FULL = "grappe_full"
    OG_OVERFLOW = "og_overflow"
    TOO_FAR = "too_far"
    APART_LOCK = "apart_lock"
    OTHER_EDITOR = "other_editor"
    NOT_SELECTED = "not_selected"
    NOT_SOLVED = "not_solved"
    EXCLUDED_BY_LOCK = "excluded_by_lock"
    LOCK_CONFLICT = "lock_conflict"
    OG_TOO_LARGE = "og_too_large"
    UNKNOWN_EDITOR = "unknown_editor"
    INVALID_INPUT = "invalid_input"


@dataclass(frozen=True)
class Candidate:
    """One ESSMS that may join a grappe.

    Editor rule (hard): with a DUI (`non_reference`/`reference_segur`) it joins only a grappe
    of `editor`; with `sons_editor` set (SONS ordered) only a grappe of `sons_editor`; with no
    DUI (`aucun`) a grappe of any editor, the model choosing it: its `editor`, if it named
    one, is then a *preferred* editor (soft, `preference_penalty`).
    """

    finess_et: str
    finess_ej: str
    latitude: float
    longitude: float
    department: str
    og_size: int
    champ: str | None
    dui_status: str
    editor: str | None
    sons_editor: str | None = None
    willing_carrier: bool = False


OversizeOgPolicy = Literal["split", "exclude"]


@dataclass(frozen=True)
class SolveParams:
    """Every number of the matchmaking, with its DOMAIN.md default.

    Distances are kilometres (great-circle); weights are integers in "tenths of a km" of the
    objective. Coverage comes first: leaving an ESSMS out costs `uncovered_penalty` (2,000 km
    of member-to-centre distance, more than the diameter of mainland France), raised for small
    and isolated OG, so the model only trades coverage for distance in extreme cases; a user
    who wants compact grappes sets the hard rule `max_distance_km`.
    """

    min_size: int = 15
    min_size_overseas: int = 8
    max_size: int = 49
    small_og_threshold: int = 15
    small_og_threshold_overseas: int = 8
    #: The programme's list (the scale file's ``overseas_corsica_departments``), passed in
    #: by the caller: the solver holds no list of its own.
    reduced_minimum_departments: frozenset[str] = frozenset()
    keep_og_together: bool = True
    oversize_og_policy: OversizeOgPolicy = "split"
    max_distance_km: float | None = None
    allow_open_grappes: bool = True
    k_neighbours: int = 30
    isolation_radius_km: float = 50.0
    isolation_min_peers: int = 15
    explain_radius_km: float = 150.0
    preference_penalty: int = 300
    max_subproblem_size: int = 1000
    distance_weight: int = 1
    uncovered_penalty: int = 20_000
    small_og_bonus: int = 10_000
    isolation_bonus: int = 10_000
    carrier_bonus: int = 300
    time_limit_s: float | None = None
    auto_time_base_s: float = 5.0
    auto_time_per_1000_s: float = 8.0
    auto_time_max_s: float = 280.0
    subproblem_time_limit_s: float = 60.0
    min_subproblem_time_s: float = 2.0
    relative_gap_limit: float = 0.005
    num_workers: int = 1
    cp_workers: int = 1
    cp_presolve: bool = True
    cp_linearization_level: int = 2
    deterministic_time_per_s: float = 0.5
    random_seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.min_size_overseas <= self.min_size <= self.max_size:
            raise ValueError(
                "Paramètres incohérents : il faut 1 ≤ taille minimale outre-mer ≤ "
                "taille minimale ≤ taille maximale."
            )
        if self.oversize_og_policy not in ("split", "exclude"):
            raise ValueError("oversize_og_policy doit valoir 'split' ou 'exclude'.")
        if self.num_workers < 1 or self.cp_workers < 1:
            raise ValueError("Le nombre de processus doit être au moins 1.")
        if self.max_distance_km is not None and self.max_distance_km <= 0:
            raise ValueError("La distance maximale acceptable doit être positive.")
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise ValueError("La durée maximale d'un calcul doit être positive.")

    def effective_time_limit(self, n_candidates: int) -> float:
        """The wall-time budget of a run: `time_limit_s` when the user set it, otherwise
        `auto_time_base_s` + `auto_time_per_1000_s` per thousand ESSMS, capped at
        `auto_time_max_s` (about 29 s for a region of 3,000 ESSMS, 280 s nationally)."""
        if self.time_limit_s is not None:
            return float(self.time_limit_s)
        auto = self.auto_time_base_s + self.auto_time_per_1000_s * n_candidates / 1000
        return float(min(self.auto_time_max_s, auto))

    @staticmethod
    def help() -> dict[str, str]:
        """Return the help line of every parameter (name -> French/English help)."""
        return dict(PARAM_HELP)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SolveParams:
        """Build params from a JSON-like mapping; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Paramètres inconnus : {', '.join(sorted(unknown))}")
        values = dict(data)
        if "reduced_minimum_departments" in values:
            departments = cast("Iterable[str]", values["reduced_minimum_departments"])
            values["reduced_minimum_departments"] = frozenset(departments)
        return cls(**values)  # type: ignore[arg-type]


PARAM_HELP: dict[str, str] = {
    "min_size": "Minimum number of ESSMS in a grappe (mainland France).",
    "min_size_overseas": "Minimum number of ESSMS in a grappe whose members are all in "
    "Corsica or overseas (reduced_minimum_departments).",
    "max_size": "Maximum number of ESSMS in a grappe (regional funding threshold: 49).",
    "small_og_threshold": "An OG running fewer ESSMS than this is a small OG.",
    "small_og_threshold_overseas": "Same threshold in Corsica and overseas.",
    "reduced_minimum_departments": "Department codes where min_size_overseas applies: the "
    "programme's list from the scale file, passed in by the caller (empty: none).",
    "keep_og_together": "The ESSMS of one OG sharing an editor join the same grappe "
    "(or are all left out).",
    "oversize_og_policy": "What to do with an OG block larger than max_size: 'split' cuts it "
    "into the fewest geographically compact chunks of at most max_size (each chunk stays "
    "together); 'exclude' leaves it out with an explanation.",
    "max_distance_km": "Optional hard rule (« distance maximale acceptable »): maximum "
    "distance from any member to its grappe's centre, in km; None = no limit (distance is "
    "then only a preference).",
    "allow_open_grappes": "ESSMS without DUI nor preferred editor may form grappes of their "
    "own whose editor is chosen together later (editor None, acquisition).",
    "k_neighbours": "Number of nearest possible centres considered for each OG block (sparse "
    "assignment arcs).",
    "isolation_radius_km": "Radius used to count the same-editor peers of an ESSMS.",
    "isolation_min_peers": "An ESSMS with fewer same-editor peers than this within "
    "isolation_radius_km is isolated.",
    "explain_radius_km": "Radius used in the explanations (« N ESSMS de X à moins de R km »).",
    "preference_penalty": "Objective cost (tenths of km) of placing an ESSMS without DUI in a "
    "grappe of another editor than the one it prefers (soft preference).",
    "max_subproblem_size": "Connected components larger than this (in ESSMS) are cut "
    "geographically into sub-problems.",
    "distance_weight": "Objective weight of one tenth of a km of member-to-centre distance.",
    "uncovered_penalty": "Objective penalty for each ESSMS left out (tenths of km; 20,000 = "
    "2,000 km, so that coverage dominates distance).",
    "small_og_bonus": "Extra penalty for leaving out an ESSMS of a small OG.",
    "isolation_bonus": "Extra penalty for leaving out an isolated ESSMS.",
    "carrier_bonus": "Objective bonus for a grappe containing a capable carrier (an OG that "
    "volunteered or that is not small).",
    "time_limit_s": "Overall wall-time limit of a solve (seconds); None = follows the size "
    "of the run (see auto_time_*).",
    "auto_time_base_s": "Automatic time budget: fixed part (seconds).",
    "auto_time_per_1000_s": "Automatic time budget: seconds per thousand ESSMS.",
    "auto_time_max_s": "Automatic time budget: cap (seconds).",
    "subproblem_time_limit_s": "Maximum CP-SAT time for one sub-problem (seconds).",
    "min_subproblem_time_s": "Time every sub-problem gets before the rest is shared in "
    "proportion to its size (seconds).",
    "relative_gap_limit": "A sub-problem stops once within this relative gap of its bound.",
    "num_workers": "Sub-problems solved in parallel (processes); 1 = sequential.",
    "cp_workers": "CP-SAT search workers inside one sub-problem (1 measured best: the single "
    "worker keeps the strong LP of linearization level 2).",
    "cp_presolve": "CP-SAT presolve. On the whole national model it weakened the LP bound; on "
    "the decomposed sub-problems it proves optimality faster (measured), hence on.",
    "cp_linearization_level": "CP-SAT linearization level; 2 gives the p-median LP bound "
    "(level 1 left gaps above 50 % in measurements).",
    "deterministic_time_per_s": "CP-SAT deterministic time granted per second of a "
    "sub-problem's budget; limits in deterministic time make a seeded run reproducible.",
    "random_seed": "Seed of CP-SAT and of every tie-break; fixed seed + 1 worker = same result.",
}


# --- Locks (human in the loop) -------------------------------------------------------------


@dataclass(frozen=True)
class MustJoin:
    """This ESSMS must be in the grappe `grappe_key`.

    If `grappe_key` names a frozen grappe, the ESSMS is added to it; otherwise every ESSMS
    locked to the same key ends up in one grappe (which takes that key), and ESSMS locked to
    different keys end up in different grappes.
    """

    finess_et: str
    grappe_key: str


@dataclass(frozen=True)
class Apart:
    """These two ESSMS must not be in the same grappe."""

    a: str
    b: str


@dataclass(frozen=True)
class Together:
    """These two ESSMS are in the same grappe, or both left out."""

    a: str
    b: str


@dataclass(frozen=True)
class Exclude:
    """This ESSMS is left out of every grappe."""

    finess_et: str


@dataclass(frozen=True)
class FrozenGrappe:
    """An accepted grappe kept as is (its editor and members); only MustJoin may add to it."""

    key: str
    editor: str | None
    members: tuple[str, ...]


Lock = MustJoin | Apart | Together | Exclude | FrozenGrappe


class LockError(ValueError):
    """Locks that cannot be read (unknown ESSMS, an ESSMS in two frozen grappes...)."""


# --- Solution --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One ESSMS of a grappe with its great-circle distance to the grappe's centre."""

    finess_et: str
    finess_ej: str
    distance_km: float


@dataclass(frozen=True)
class Grappe:
    """A grappe: one editor (None = to be chosen together), a centre member, a carrier."""

    key: str
    editor: str | None
    centre: str
    members: tuple[Member, ...]
    carrier_ej: str
    carrier_reason: str
    total_km: float
    mean_km: float
    n_small_og: int
    frozen: bool = False

    @property
    def size(self) -> int:
        """Number of ESSMS in the grappe."""
        return len(self.members)


@dataclass(frozen=True)
class NearMiss:
    """The closest grappe an excluded ESSMS could join if one rule were relaxed."""

    relaxed_rule: str
    text: str
    grappe_key: str | None = None
    editor: str | None = None
    distance_km: float | None = None


@dataclass(frozen=True)
class Exclusion:
    """An ESSMS left out, with a reason code, a French reason and its best near-miss."""

    finess_et: str
    reason_code: str
    reason: str
    near_miss: NearMiss | None = None


@dataclass(frozen=True)
class SubproblemStats:
    """Figures of one CP-SAT sub-problem."""

    key: str
    editor: str | None
    n_candidates: int
    n_blocks: int
    n_arcs: int
    status: str
    objective: float
    best_bound: float
    gap: float
    wall_time_s: float
    heuristic_objective: float
    #: Infeasible with the user's locks: solved again without them (``status`` is the
    #: relaxed solve's).
    locks_relaxed: bool = False


@dataclass(frozen=True)
class Solution:
    """Result of `solver.solve`.

    `status` is OPTIMAL when every sub-problem was proved optimal, FEASIBLE when a solution was
    found everywhere, otherwise the worst sub-problem status. Figures, in tenths of km:

    - `objective`: the objective of the returned solution, recomputed on the whole problem
      (after the repair steps);
    - `best_bound`, `gap`: the bound of the *decomposed* model (sparse arcs, geographic cuts),
      summed over sub-problems, and the gap of the sub-problems' own objectives to it (before
      the repair steps); it bounds only that restricted model;
    - `global_bound`, `global_gap`: a lower bound valid for the whole problem (all arcs, no
      cuts, see `solver.bound`), and the gap of `objective` to it;
    - `cut_short`: a wall-time guard stopped at least one sub-problem (the best solution found
      so far is returned).
    """

    status: str
    grappes: tuple[Grappe, ...]
    exclusions: tuple[Exclusion, ...]
    subproblems: tuple[SubproblemStats, ...] = ()
    objective: float = 0.0
    best_bound: float = 0.0
    gap: float = 0.0
    n_candidates: int = 0
    coverage: float = 0.0
    wall_time_s: float = 0.0
    params: SolveParams = field(default_factory=SolveParams)
    global_bound: float = 0.0
    global_gap: float = 0.0
    cut_short: bool = False
    time_limit_s: float = 0.0
    n_uncoverable: int = 0

    def grappe_of(self) -> dict[str, str]:
        """Map each covered finess_et to its grappe key."""
        return {m.finess_et: g.key for g in self.grappes for m in g.members}
