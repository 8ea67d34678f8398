"""A lower bound valid for the whole problem (all arcs, no geographic cut), and the objective
of a finished solution.

The whole problem is the one `solver.prepare` defines: its blocks (OG blocks with lock
links), the editor each block is bound to (none for a flexible block), sizes between the
minimum (reduced when every member is in Corsica/overseas) and the maximum, any member as
centre. Objective (tenths of km): distance_weight x distance of every member to its centre +
preference_penalty per flexible member not in its preferred editor's grappe + the priority
penalty of every ESSMS left out - carrier_bonus per grappe with a capable carrier.

The bound relaxes blocks, apart locks, MustJoin keys, the maximum size, preferences and the
model's restriction that a flexible centre heads an open grappe; it keeps the editor rule,
the reduced-minimum rule, the minimum size and the distance limit. For a possible centre c,
let f_c be the smallest mean member distance of a grappe centred on c: the (m - 1) nearest
ESSMS c may be grouped with, m its minimum size, summed and divided by m (a larger grappe
only adds farther members, so its mean is not smaller). A grappe g centred on c then costs
sum_j d(j, c) >= lambda * |g| * f_c + (1 - lambda) * sum_j d(j, c) for any lambda in [0, 1],
so each ESSMS j costs at least min(priority_j, min_c lambda * f_c + (1 - lambda) * d(j, c) -
carrier_bonus / m_c). Summing over ESSMS gives a valid bound for each lambda; the best of a
grid is kept. An ESSMS no valid centre can take is *provably uncoverable*.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from solver import geo
from solver.editors import preferred_editor
from solver.prepare import Prepared
from solver.types import Grappe

#: Nearest possible centres examined exactly for each ESSMS (farther ones share one bound).
NEAREST_CENTRES = 48
#: Values of lambda tried (each gives a valid bound).
LAMBDAS = np.linspace(0.0, 1.0, 11)


@dataclass(frozen=True)
class GlobalBound:
    """The bound (tenths of km, objective units) and the ESSMS no valid grappe can take."""

    value: float
    n_uncoverable: int
    best_lambda: float


def _tenths(km: np.ndarray, weight: int) -> np.ndarray:
    """Distance cost in objective units, never above the model's rounded cost."""
    return weight * np.maximum(0.0, km * 10 - 0.5)


def global_lower_bound(prep: Prepared) -> GlobalBound:
    """Lower bound on the objective of any solution of the whole problem (see module doc)."""
    params = prep.params
    members = np.array(sorted(i for b in prep.blocks for i in b.members), dtype=int)
    if len(members) == 0:
        return GlobalBound(0.0, 0, 0.0)
    block_editor: dict[int, str | None] = {}
    for b in prep.blocks:
        for i in b.members:
            block_editor[i] = None if b.flexible else b.editor
    cat = [block_editor[int(i)] for i in members]
    reduced = prep.reduced[members].astype(bool)
    priority = prep.priority[members].astype(float)
    minimum = np.where(reduced, params.min_size_overseas, params.min_size)
    editors = sorted({e for e in cat if e is not None})
    points = prep.points[members]
    max_d = params.max_distance_km

    def pool(editor: str | None, reduced_only: bool) -> np.ndarray:
        """Positions (in `members`) compatible with `editor` (None: any editor)."""
        ok = np.ones(len(members), dtype=bool)
        if editor is not None:
            ok &= np.array([e is None or e == editor for e in cat], dtype=bool)
        if reduced_only:
            ok &= reduced
        return np.flatnonzero(ok)

    # f_c: cheapest mean member cost of a grappe centred on c
    f = np.full(len(members), np.inf)
    for editor in [None, *editors]:
        for red in (False, True):
            own = [j for j in range(len(members)) if cat[j] == editor and bool(reduced[j]) == red]
            if not own:
                continue
            others = pool(editor, red)
            m = params.min_size_overseas if red else params.min_size
            if len(others) < m:
                continue
            tree = geo.build_tree(points[others])
            dist, _ = geo.knn(tree, points[own], m)
            cost = _tenths(dist, params.distance_weight)
            if max_d is not None:
                cost[dist > max_d + 1e-9] = np.inf
            f[own] = cost.sum(axis=1) / m
    bonus = params.carrier_bonus / minimum
    # per ESSMS: nearest compatible centres
    n = len(members)
    k = NEAREST_CENTRES
    near_f = np.full((n, k + 1), np.inf)
    near_d = np.full((n, k + 1), np.inf)
    near_b = np.zeros((n, k + 1))
    groups: dict[tuple[str | None, bool], list[int]] = defaultdict(list)
    for j in range(n):
        groups[(cat[j], bool(reduced[j]))].append(j)
    for (editor, red), targets in groups.items():
        centres = pool(editor, False)
        if not red:
            centres = centres[~reduced[centres]]
        centres = centres[np.isfinite(f[centres])]
        if len(centres) == 0:
            continue
        tree = geo.build_tree(points[centres])
        kk = min(k, len(centres))
        dist, idx = geo.knn(tree, points[targets], kk)
        cost = _tenths(dist, params.distance_weight)
        chosen = centres[idx]
        rows = np.array(targets)[:, None]
        near_f[rows, np.arange(kk)[None, :]] = f[chosen]
        near_d[rows, np.arange(kk)[None, :]] = np.where(
            (dist > max_d + 1e-9) if max_d is not None else False, np.inf, cost
        )
        near_b[rows, np.arange(kk)[None, :]] = bonus[chosen]
        if kk < len(centres):
            # every farther centre: at least the k-th distance and the pool's smallest f_c
            near_f[targets, k] = float(f[centres].min())
            near_d[targets, k] = cost[:, -1]
            if max_d is not None:
                near_d[targets, k] = np.where(dist[:, -1] > max_d + 1e-9, np.inf, cost[:, -1])
            near_b[targets, k] = float(bonus[centres].max())
    coverable = np.isfinite(near_f + near_d).any(axis=1)
    best_value, best_lambda = -np.inf, 0.0
    with np.errstate(invalid="ignore"):
        for lam in LAMBDAS:
            term = lam * near_f + (1 - lam) * near_d - near_b
            term[~np.isfinite(near_f + near_d)] = np.inf
            per = np.minimum(priority, term.min(axis=1))
            value = float(per.sum())
            if value > best_value:
                best_value, best_lambda = value, float(lam)
    return GlobalBound(best_value, int((~coverable).sum()), best_lambda)


def solution_objective(prep: Prepared, grappes: list[Grappe]) -> int:
    """The objective of finished grappes (frozen grappes excluded), as the model counts it:
    distances, preference penalties, penalties of block members left out, carrier bonus."""
    params = prep.params
    cands = prep.candidates
    total = 0
    covered: set[int] = set()
    flexible_block = {i for b in prep.blocks if b.flexible for i in b.members}
    for g in grappes:
        idx = [prep.index[m.finess_et] for m in g.members]
        covered.update(idx)
        if g.frozen:
            continue
        c = prep.index[g.centre]
        d = geo.pairwise_km(prep.points[idx], prep.points[[c]])[:, 0]
        total += params.distance_weight * int(np.rint(d * 10).sum())
        for i in idx:
            pref = preferred_editor(cands[i])
            if i in flexible_block and pref is not None and pref != g.editor:
                total += params.preference_penalty
        if any(cands[i].willing_carrier or not prep.small_og[i] for i in idx):
            total -= params.carrier_bonus
    for b in prep.blocks:
        for i in b.members:
            if i not in covered:
                total += int(prep.priority[i])
    return total
