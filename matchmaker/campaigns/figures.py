"""The figures of a run (coverage, distances, gap, time) and the comparison of two runs."""

from __future__ import annotations

from dataclasses import dataclass

from matchmaker.grappes.candidates import ALREADY_FUNDED, NO_COORDINATES
from matchmaker.grappes.run_figures import cut_short_of, global_gap_of
from matchmaker.models import SolverRun

#: Reason codes of the ESSMS set aside before the solver runs (not candidates).
SET_ASIDE_CODES = (ALREADY_FUNDED, NO_COORDINATES)


@dataclass(frozen=True)
class RunFigures:
    """The figures of a run, as compared between runs. The counts add up:

    - ``considered`` (ESSMS of the scope the run looked at) = ``set_aside`` (already funded
      or without coordinates, never given to the solver) + ``candidates``;
    - ``candidates`` (given to the solver) = ``covered`` (in a grappe) + ``not_placed``
      (left out by the solver or removed by the collectif, each with its reason)
      + ``unexplained`` (0 unless a stored run lost an exclusion);
    - ``left_out`` (every ESSMS of the « écartés » list) = ``set_aside`` + ``not_placed``.
    """

    run_id: int
    status: str
    grappes: int
    candidates: int
    covered: int
    coverage: float | None
    left_out: int
    set_aside: int
    not_placed: int
    total_km: float | None
    mean_km: float | None
    small_og_covered: int
    gap: float | None
    wall_time_s: float | None
    global_gap: float | None = None
    cut_short: bool = False

    @property
    def considered(self) -> int:
        return self.candidates + self.set_aside

    @property
    def unexplained(self) -> int:
        return self.candidates - self.covered - self.not_placed


def run_figures(
    run: SolverRun,
    counts: tuple[int, int],
    grappes: tuple[int, float] | None = None,
    reasons: dict[str, int] | None = None,
) -> RunFigures:
    """Coverage, distances, gap and time of a run, from its stored columns and ``counts``:
    the ESSMS in grappes and those of small OG among them, as the read model counts them
    (:func:`matchmaker.grappes.read_model.member_counts`, one query). ``grappes`` (how many,
    their total km: :func:`~matchmaker.grappes.read_model.grappe_totals`) and ``reasons``
    (left out per reason code: :func:`~matchmaker.grappes.read_model.left_out_reasons`)
    spare loading every grappe and exclusion of a national run; without them they are
    counted on the run's relationships."""
    if grappes is None:
        grappes = (len(run.grappes), sum(g.total_km for g in run.grappes))
    if reasons is None:
        reasons = {}
        for exclusion in run.exclusions:
            reasons[exclusion.reason_code] = reasons.get(exclusion.reason_code, 0) + 1
    grappe_count, covered_km = grappes
    covered, small = counts
    left_out = sum(reasons.values())
    set_aside = sum(number for code, number in reasons.items() if code in SET_ASIDE_CODES)
    return RunFigures(
        run_id=run.id,
        status=run.status,
        grappes=grappe_count,
        candidates=run.candidate_count,
        covered=covered,
        coverage=(covered / run.candidate_count) if run.candidate_count else None,
        left_out=left_out,
        set_aside=set_aside,
        not_placed=left_out - set_aside,
        total_km=run.total_km,
        mean_km=(covered_km / covered) if covered else None,
        small_og_covered=small,
        gap=run.gap,
        wall_time_s=run.wall_time_s,
        global_gap=global_gap_of(run),
        cut_short=cut_short_of(run),
    )


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side: figures, and the ESSMS whose placement changed."""

    first: RunFigures
    second: RunFigures
    joined: list[str]
    dropped: list[str]
    moved: int


def compare(
    first: SolverRun, second: SolverRun, counts: tuple[tuple[int, int], tuple[int, int]]
) -> Comparison:
    """Figures of both runs; ESSMS placed only in the second (``joined``) or only in the
    first (``dropped``), and how many changed grappe (by editor and carrier). ``counts``:
    each run's :func:`matchmaker.grappes.read_model.member_counts`."""

    def placement(run: SolverRun) -> dict[str, tuple[str, str | None, frozenset[str]]]:
        out = {}
        for g in run.grappes:
            others = frozenset(m.finess_et for m in g.members)
            for m in g.members:
                out[m.finess_et] = (g.editor_name, g.carrier_ej, others)
        return out

    a, b = placement(first), placement(second)
    moved = sum(1 for f in set(a) & set(b) if a[f][2] != b[f][2])
    return Comparison(
        first=run_figures(first, counts[0]),
        second=run_figures(second, counts[1]),
        joined=sorted(set(b) - set(a)),
        dropped=sorted(set(a) - set(b)),
        moved=moved,
    )
