"""A lower bound valid for the whole problem (all arcs, no geographic cut), and the objective
of a finished solution.

The whole problem is the one `solver.prepare` defines: its blocks (OG blocks with lock
links), the editor each block is bound to (none for a flexible block), sizes between the
minimum (reduced when every member is in Corsica/overseas) and the maximum, any member as
centre. Objective (tenths of km): distance_weight x distance of every member to its centre +
preference_penalty per flexible member not in its preferred editor's grappe + the priority
penalty of every ESSMS left out - carrier_bonus per grappe with a capable carrier.

Two lower bounds, both valid for that whole problem; `global_lower_bound` reports the better:

- the *Lagrangian* bound (second half of this module): the LP bound of the whole
  facility-location model, every arc priced, with integer pricing; strong, computed until a
  deadline (see the comment block before `DENSE_PAIRS`);
- the *combinatorial* bound (below): cheap and weak, it also counts the ESSMS that no grappe
  can take.

The combinatorial bound relaxes blocks, apart locks, MustJoin keys, the maximum size,
preferences and the model's restriction that a flexible centre heads an open grappe; it keeps
the editor rule, the reduced-minimum rule, the minimum size and the distance limit. For a
possible centre c,
let f_c be the smallest mean member distance of a grappe centred on c: the (m - 1) nearest
ESSMS c may be grouped with, m its minimum size, summed and divided by m (a larger grappe
only adds farther members, so its mean is not smaller). A grappe g centred on c then costs
sum_j d(j, c) >= lambda * |g| * f_c + (1 - lambda) * sum_j d(j, c) for any lambda in [0, 1],
so each ESSMS j costs at least min(priority_j, min_c lambda * f_c + (1 - lambda) * d(j, c) -
carrier_bonus / m_c). Summing over ESSMS gives a valid bound for each lambda; the best of a
grid is kept. An ESSMS no valid centre can take is *provably uncoverable*.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
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
    """The bound (tenths of km, objective units): the better of the combinatorial and the
    Lagrangian bounds (both valid for the whole problem), and the ESSMS no grappe can take."""

    value: float
    n_uncoverable: int
    best_lambda: float
    combinatorial: float = -np.inf
    lagrangian: float = -np.inf
    #: per block, the sum of its members' shares of the combinatorial bound
    prices: np.ndarray | None = None


def _tenths(km: np.ndarray, weight: int) -> np.ndarray:
    """Distance cost in objective units, never above the model's rounded cost."""
    return weight * np.maximum(0.0, km * 10 - 0.5)


class _OutOfTime(Exception):
    """The bound's deadline passed inside a computation (combinatorial bound, Lagrangian
    set-up or pricing)."""


#: The Lagrangian's set-up takes about this many times the combinatorial bound's time
#: (national synthetic run: 8.5 s and 0.8 s); it starts only if that much time is left.
LAGRANGE_SETUP_RATIO = 10.0
#: Seconds the Lagrangian bound gets when the caller gives no deadline.
DEFAULT_BOUND_S = 2.0


def global_lower_bound(
    prep: Prepared,
    deadline: float | None = None,
    upper: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
    dense_pairs: int | None = None,
) -> GlobalBound:
    """Lower bound on the objective of any solution of the whole problem: the better of the
    combinatorial bound (cheap) and the Lagrangian bound (the LP bound of the whole model,
    all arcs priced), computed until `deadline` (time on `clock`); `upper` is the
    objective of a known solution (it steers the subgradient steps).

    The Lagrangian stops at the deadline wherever it is (its set-up or a pricing included)
    and keeps the best value found before; it is not started when the time left is under
    `LAGRANGE_SETUP_RATIO` times what the combinatorial bound took (its set-up would not
    end). Past the deadline already, the combinatorial bound is skipped too, for the trivial
    bound (`trivial_bound`)."""
    if deadline is None:
        deadline = clock() + DEFAULT_BOUND_S
    started = clock()
    if started >= deadline:
        return trivial_bound(prep)
    try:
        comb = combinatorial_bound(prep, lambda: clock() >= deadline)
    except _OutOfTime:
        return trivial_bound(prep)
    lagr = -np.inf
    ended = clock()
    if deadline - ended >= LAGRANGE_SETUP_RATIO * (ended - started):
        # starting prices: the combinatorial bound's shares, so that the first value is
        # already close to it and the subgradient climbs from there
        lagr = lagrangian_bound(
            prep, deadline, upper, comb.prices, clock=clock, dense_pairs=dense_pairs
        )
    return GlobalBound(
        max(comb.value, lagr), comb.n_uncoverable, comb.best_lambda, comb.value, lagr
    )


def trivial_bound(prep: Prepared) -> GlobalBound:
    """The bound of a solve out of time (instant, weak): distances, preferences and
    penalties are never negative, and at most (ESSMS in blocks / smallest minimum size)
    grappes earn the carrier bonus."""
    params = prep.params
    n = sum(b.weight for b in prep.blocks)
    smallest = max(1, min(params.min_size, params.min_size_overseas))
    value = -float(max(0, params.carrier_bonus) * (n // smallest))
    return GlobalBound(value, 0, 0.0, lagrangian=-np.inf)


def combinatorial_bound(prep: Prepared, expired: Callable[[], bool] = lambda: False) -> GlobalBound:
    """Lower bound on the objective of any solution of the whole problem (see module doc);
    raises `_OutOfTime` once `expired()` (checked between its neighbour queries)."""
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
            if expired():
                raise _OutOfTime
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
        if expired():
            raise _OutOfTime
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
    best_per = np.zeros(len(members))
    with np.errstate(invalid="ignore"):
        for lam in LAMBDAS:
            term = lam * near_f + (1 - lam) * near_d - near_b
            term[~np.isfinite(near_f + near_d)] = np.inf
            per = np.minimum(priority, term.min(axis=1))
            value = float(per.sum())
            if value > best_value:
                best_value, best_lambda, best_per = value, float(lam), per
    share = dict(zip(members.tolist(), best_per.tolist(), strict=True))
    prices = np.array([sum(share[i] for i in b.members) for b in prep.blocks], dtype=float)
    return GlobalBound(best_value, int((~coverable).sum()), best_lambda, prices=prices)


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


# --------------------------------------------------------------------------------------------
# Lagrangian bound: the LP bound of the whole facility-location model, all arcs priced
# --------------------------------------------------------------------------------------------
#
# Relaxed model (every real solution is a solution of it, at no greater cost):
#
# - a *facility* (c, e) is a grappe centred on candidate c with editor e; c's block is in it
#   (the centre is a member); another block joins when it is bound to e or flexible. A
#   flexible centre heads one facility per editor with a bound block within EDITOR_RADIUS_KM
#   and a *wildcard* facility that takes flexible blocks and the bound blocks of every other
#   editor (a relaxation of each of their facilities and of the open grappe);
# - its size is within [m_c, max_size], m_c = min_size_overseas when c is in a reduced-minimum
#   department (a real grappe there may need more), else min_size;
# - a block joins at most one facility, otherwise it pays its penalty p_B; a block heads at
#   most one facility; OG blocks stay whole; max_distance_km holds for every member; a
#   flexible member pays preference_penalty unless the facility's editor is the one it prefers
#   (in a wildcard: unless it is the editor most of the block prefers);
# - the carrier bonus goes to every facility that a capable carrier can join;
# - relaxed: apart locks, MustJoin keys (forced becomes « at most one »), and partly the
#   integrality of the blocks joining a facility (below).
#
# Dualising « at most one facility per block » with prices mu_B <= p_B gives, for *every* mu,
#
#   L(mu) = sum_B mu_B + sum_B min(0, min_{facilities f headed by B} g_f(mu)),
#   g_f(mu) = -bonus_f + (d_{B,f} - mu_B) + min over sets S of other compatible blocks with
#             weight in [m_c - w_B, max_size - w_B] of sum_{B' in S} (d_{B',f} - mu_B'),
#
# a lower bound on the optimum (weak duality): the bound is valid at every iteration, and the
# best one is kept when the deadline comes. The pricing (min over S) is an integer knapsack with
# a minimum over the KNAPSACK_ITEMS blocks of lowest reduced cost per member (dynamic
# programme), the others being fractional items at the lowest of their ratios (a relaxation,
# so still a lower bound). Prices: a restricted LP's duals on small runs, else the blocks'
# shares of the combinatorial bound (so the first value is close to it), then projected
# subgradient steps (Polyak step towards the solution's objective). Since the pricing keeps
# integrality, L can exceed the LP bound.
#
# All arcs: when (candidates x blocks) is small enough every arc is priced exactly (dense
# mode, every regional run). Otherwise (sparse mode, national runs) each block B has a listing
# radius R_B (LISTING_RADIUS_KM at least, wider where ESSMS are sparse: LISTING_REACH times
# the distance from its members to their min_size-th nearest ESSMS, at most LISTING_MAX_KM);
# centre c lists the blocks with a member within their R_B of c, plus the DANGEROUS blocks of
# highest price per member (against every centre), and a flexible centre heads the wildcard
# only. An unlisted block has every member at least R_B from c, so its reduced cost per member
# is at least tenths(R_B) - mu_B / w_B >= 0 once its price is capped at tenths(R_B) per member
# (any mu <= p is valid, the cap only restricts the search): unlisted arcs are priced by an
# unlimited item at the lowest of these ratios, so none is ever ignored. The radius follows
# the density so that a rural block's price can reach what its grappe really costs it (with
# one radius of 25 km, prices were capped at 25 km per member while the solutions' mean is
# about 34 km: the national bound could not pass 70 % of the objective).

#: Dense mode (every arc priced exactly) when candidates x blocks is at most this.
DENSE_PAIRS = 4_000_000
#: Dense mode: a flexible centre heads a facility of each editor with a bound block this close
#: (mean member distance); the other editors share its wildcard facility.
EDITOR_RADIUS_KM = 60.0
#: Sparse mode: a block's listing radius (km) is at least this...
LISTING_RADIUS_KM = 25.0
#: ... and this many times the distance from its members to their min_size-th nearest ESSMS...
LISTING_REACH = 3.0
#: ... and at most this.
LISTING_MAX_KM = 200.0
#: Sparse mode: blocks of highest price per member listed against every centre.
DANGEROUS = 32
#: Subgradient iterations at most (the deadline usually stops earlier).
LAGRANGE_MAX_ITER = 300
_FAR_WEIGHT = 10.0**6
#: Subgradient: halve the step after this many iterations without a better bound.
STALL_ITERATIONS = 5
#: The restricted LP runs when facilities x LP_ITEMS is at most this (small runs).
LP_MAX_ARCS = 60_000
#: Blocks per facility priced exactly (integer knapsack); the rest fractionally.
KNAPSACK_ITEMS = 16
#: Cheapest blocks per facility in the restricted LP that provides the starting prices.
LP_ITEMS = 40
#: Facility x listed-block cells priced at once (bounds the memory of the pricing).
PRICING_CELLS = 2_000_000


@dataclass
class _Facilities:
    """Facility rows (padded): heading block, own cost, size window, items, far bound."""

    head: np.ndarray  # (F,) block heading the facility
    own_cost: np.ndarray  # (F,) cost of the heading block (distances + preferences)
    lo: np.ndarray  # (F,) weight still needed from other blocks
    hi: np.ndarray  # (F,) weight other blocks may add
    item_block: np.ndarray  # (F, L) listed block (any valid index where cost is inf)
    item_cost: np.ndarray  # (F, L) cost of that block in the facility (inf: not allowed)
    far_mask: np.ndarray | None  # (nb,) capped blocks that may join where they are unlisted
    bonus: np.ndarray  # (F,) carrier bonus: 0 when no capable carrier can join
    cap: np.ndarray | None  # (nb,) price cap of each block (sparse mode), else None


def _member_cost(km: np.ndarray, weight: int) -> np.ndarray:
    """Distance cost in objective units: the objective's rounding of tenths of km, shifted by
    1e-6 so that float noise between two distance formulas never puts it above."""
    return weight * np.maximum(0.0, np.rint(km * 10 - 1e-6))


def _haversine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise great-circle distance (km) between two arrays of (lat, lon) radians."""
    dlat = b[:, 0] - a[:, 0]
    dlon = b[:, 1] - a[:, 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(a[:, 0]) * np.cos(b[:, 0]) * np.sin(dlon / 2) ** 2
    return 2 * geo.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _pair_costs(
    points: np.ndarray,
    starts: np.ndarray,
    weight: np.ndarray,
    centre: np.ndarray,
    block: np.ndarray,
    dw: int,
    max_d: float | None,
    expired: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Distance cost of whole blocks at centres (pairs), inf beyond max_d; raises
    `_OutOfTime` once `expired()` (checked between chunks)."""
    out = np.empty(len(centre))
    chunk = 100_000
    for lo in range(0, len(centre), chunk):
        if expired():
            raise _OutOfTime
        c = centre[lo : lo + chunk]
        b = block[lo : lo + chunk]
        w = weight[b]
        offs = np.arange(int(w.sum())) - np.repeat(np.cumsum(w) - w, w)
        km = _haversine_rows(points[np.repeat(c, w)], points[np.repeat(starts[b], w) + offs])
        bounds = np.r_[0, np.cumsum(w)[:-1]]
        cost = np.add.reduceat(_member_cost(km, dw), bounds)
        if max_d is not None:
            cost[np.maximum.reduceat(km, bounds) > max_d + 1e-9] = np.inf
        out[lo : lo + chunk] = cost
    return out


def _build_facilities(
    prep: Prepared,
    mu: np.ndarray,
    expired: Callable[[], bool] = lambda: False,
    dense_pairs: int | None = None,
) -> _Facilities | None:
    params = prep.params
    blocks = prep.blocks
    nb = len(blocks)
    members = np.array([i for b in blocks for i in b.members], dtype=int)
    n = len(members)
    if nb == 0 or n == 0:
        return None
    own = np.array([b.index for b in blocks for _ in b.members], dtype=int)
    weight = np.array([b.weight for b in blocks], dtype=int)
    starts = np.r_[0, np.cumsum(weight)[:-1]]
    names = sorted({b.editor for b in blocks if not b.flexible and b.editor is not None})
    n_ed = len(names)
    code = {e: k for k, e in enumerate(names)}
    block_ed = np.array([-1 if b.flexible else code.get(b.editor or "", -1) for b in blocks])
    points = prep.points[members]
    max_d = params.max_distance_km
    dw = params.distance_weight
    dense = n * nb <= (DENSE_PAIRS if dense_pairs is None else dense_pairs)
    # preference cost of each block in a facility of each editor (last column: wildcard)
    pref = np.zeros((nb, n_ed + 1))
    for b in blocks:
        if b.flexible and b.preferences:
            total = sum(b.preferences.values())
            for e, count in b.preferences.items():
                if e in code:
                    pref[b.index, code[e]] = -count
            pref[b.index, :n_ed] += total
            # wildcard (the open grappe, or an editor without a facility of its own at the
            # centre): the best case
            pref[b.index, n_ed] = total - max(b.preferences.values())
    pref *= params.preference_penalty
    cap = None
    if dense:
        dist = np.empty((n, nb))
        step = max(1, 2_000_000 // n)
        for lo in range(0, n, step):
            if expired():
                raise _OutOfTime
            km = geo.pairwise_km(points[lo : lo + step], points)
            part = np.add.reduceat(_member_cost(km, dw), starts, axis=1)
            if max_d is not None:
                part[np.maximum.reduceat(km, starts, axis=1) > max_d + 1e-9] = np.inf
            dist[lo : lo + step] = part
        row_blocks = np.broadcast_to(np.arange(nb), (n, nb))
        row_cost = dist
        far_mask = None
    else:
        tree = geo.build_tree(points)
        kth, _ = geo.knn(tree, points, max(1, min(params.min_size, n)))
        reach = np.clip(LISTING_REACH * kth[:, -1], LISTING_RADIUS_KM, LISTING_MAX_KM)
        radius = np.maximum.reduceat(reach, starts)  # per block
        # member j lists its block for every centre within its block's radius
        near = tree.query_radius(points, r=radius[own] / geo.EARTH_RADIUS_KM)
        dangerous = np.argsort(-(mu / weight), kind="stable")[: min(DANGEROUS, nb)]
        counts = np.array([len(js) for js in near])
        keys = np.concatenate(
            [
                np.concatenate(list(near)) * nb + np.repeat(own, counts),
                (np.arange(n)[:, None] * nb + dangerous[None, :]).ravel(),
            ]
        )
        if expired():
            raise _OutOfTime
        # sorted and deduplicated (np.unique's hash table is 7 times slower here)
        keys.sort()
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        if expired():
            raise _OutOfTime
        pair_row, pair_block = keys // nb, keys % nb
        per_row = np.bincount(pair_row, minlength=n)
        width = int(per_row.max())
        slot = np.arange(len(keys)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        row_blocks = np.zeros((n, width), dtype=int)
        row_blocks[pair_row, slot] = pair_block
        rr, cc = pair_row, slot
        row_cost = np.full((n, width), np.inf)
        row_cost[rr, cc] = _pair_costs(
            points, starts, weight, rr, row_blocks[rr, cc], dw, max_d, expired
        )
        # an unlisted block farther than the distance limit cannot join: no cap needed
        far_mask = np.ones(nb, dtype=bool) if max_d is None else radius <= max_d + 1e-9
        far_mask[dangerous] = False
        cap = np.where(far_mask, _member_cost(radius, dw) * weight, np.inf)
    own_dist = _pair_costs(points, starts, weight, np.arange(n), own, dw, max_d, expired)
    # facilities: a bound centre heads one (its editor); a flexible centre one per editor
    # with a bound block near it (dense mode) and the wildcard for every other editor
    centre_ed = block_ed[own]
    rows = [np.flatnonzero(centre_ed >= 0)]
    eds = [centre_ed[rows[0]]]
    flex = np.flatnonzero(centre_ed < 0)
    if len(flex):
        if dense:  # sparse mode (national runs): the wildcard only, to stay small
            # editors with a bound block near the centre (mean member distance)
            sub = block_ed[row_blocks[flex]]
            near_cost = _member_cost(np.array(EDITOR_RADIUS_KM), dw).item()
            close = row_cost[flex] / weight[row_blocks[flex]] <= near_cost
            rr, cc = np.nonzero((sub >= 0) & close)
            pairs = np.unique(flex[rr] * (n_ed + 1) + sub[rr, cc])
            rows.append(pairs // (n_ed + 1))
            eds.append(pairs % (n_ed + 1))
        rows.append(flex)
        eds.append(np.full(len(flex), n_ed))
    row = np.concatenate(rows)
    ed = np.concatenate(eds)
    reduced = prep.reduced[members].astype(bool)
    minimum = np.where(reduced, params.min_size_overseas, params.min_size)
    item_block = np.ascontiguousarray(row_blocks[row])
    item_ed = block_ed[item_block]
    # the wildcard takes flexible blocks and the bound blocks of every editor that has no
    # facility of its own at that centre (a relaxation of each such editor's facility)
    has_own = np.zeros((n, n_ed + 1), dtype=bool)
    normal = ed < n_ed
    has_own[row[normal], ed[normal]] = True
    other_editor = (item_ed >= 0) & ~np.take_along_axis(
        has_own[row], np.maximum(item_ed, 0), axis=1
    )
    ok = (item_ed == -1) | np.where((ed == n_ed)[:, None], other_editor, item_ed == ed[:, None])
    ok &= item_block != own[row][:, None]
    costs = row_cost[row] + pref[item_block, ed[:, None]] if pref.any() else row_cost[row]
    item_cost = np.where(ok, costs, np.inf)
    del costs
    w_own = weight[own[row]]
    # the carrier bonus needs a capable carrier: the heading block or a block that can join
    capable = np.array([b.capable for b in blocks], dtype=bool)
    can_carry = capable[own[row]] | (capable[item_block] & np.isfinite(item_cost)).any(axis=1)
    if far_mask is not None:
        can_carry |= bool((far_mask & capable).any())
    return _Facilities(
        bonus=np.where(can_carry, float(max(0, params.carrier_bonus)), 0.0),
        head=own[row],
        own_cost=own_dist[row] + pref[own[row], ed],
        lo=np.maximum(0, minimum[row] - w_own),
        hi=params.max_size - w_own,
        item_block=item_block,
        item_cost=item_cost,
        far_mask=far_mask,
        cap=cap,
    )


def _price(
    fac: _Facilities,
    rows: np.ndarray,
    mu: np.ndarray,
    weight: np.ndarray,
    keep: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Pricing of facilities `rows`: g_f(mu), and (keep=True) what is needed to read the
    blocks each one takes (weight filled, blocks and weights in the knapsack, decisions).

    Each facility's pricing problem is a knapsack with a minimum: the KNAPSACK_ITEMS blocks of
    lowest reduced cost per member are chosen exactly (integer dynamic programme over the
    weight), every other block is a fractional item at the lowest reduced cost per member
    among them (a relaxation, so the value is a lower bound of the exact pricing).
    """
    item_block = fac.item_block[rows]
    ratio = (fac.item_cost[rows] - mu[item_block]) / weight[item_block]
    n_fac, n_listed = ratio.shape
    lo, hi = fac.lo[rows], fac.hi[rows]
    p = min(KNAPSACK_ITEMS, n_listed)
    if p < n_listed:
        part = np.argpartition(ratio, p, axis=1)[:, : p + 1]
        rest = np.take_along_axis(ratio, part[:, p:], axis=1)[:, 0]
        part = part[:, :p]
    else:
        part = np.broadcast_to(np.arange(n_listed), (n_fac, n_listed))
        rest = np.full(n_fac, np.inf)
    if fac.far_mask is not None and fac.cap is not None and fac.far_mask.any():
        # every unlisted block: at least tenths(R_B) - mu_B / w_B per member
        rest = np.minimum(rest, float(((fac.cap - mu) / weight)[fac.far_mask].min()))
    blk = np.take_along_axis(item_block, part, axis=1)
    w_p = weight[blk]
    cost_p = np.take_along_axis(ratio, part, axis=1) * w_p
    width = int(hi.max()) + 1 if n_fac else 1
    cols = np.arange(width)
    dp = np.full((n_fac, width), np.inf)
    dp[:, 0] = 0.0
    take = np.zeros((p, n_fac, width), dtype=bool) if keep else None
    for k in range(p):
        src = cols[None, :] - w_p[:, k : k + 1]
        cand = np.take_along_axis(dp, np.maximum(src, 0), axis=1) + cost_p[:, k : k + 1]
        better = (src >= 0) & (cand < dp)
        if take is not None:
            take[k] = better
        dp = np.where(better, cand, dp)
    dp[cols[None, :] > hi[:, None]] = np.inf
    short = np.maximum(0, lo[:, None] - cols[None, :])
    room = np.maximum(0, hi[:, None] - cols[None, :])
    rest_c = rest[:, None]
    with np.errstate(invalid="ignore"):
        extra = np.where(rest_c >= 0, np.where(short > 0, rest_c * short, 0.0), rest_c * room)
    total = dp + extra
    fill_w = np.argmin(total, axis=1)
    g = -fac.bonus[rows] + fac.own_cost[rows] - mu[fac.head[rows]] + total[np.arange(n_fac), fill_w]
    g[~np.isfinite(g)] = np.inf
    return g, fill_w, blk, w_p, take


def _evaluate(
    fac: _Facilities,
    mu: np.ndarray,
    weight: np.ndarray,
    expired: Callable[[], bool] = lambda: False,
) -> tuple[float, np.ndarray]:
    """L(mu) and a subgradient (1 - how many facilities each block joins); raises
    `_OutOfTime` once `expired()` (checked between chunks of the pricing)."""
    nb = len(mu)
    n_fac = len(fac.head)
    g = np.empty(n_fac)
    step = max(1, PRICING_CELLS // max(1, fac.item_cost.shape[1]))
    for lo in range(0, n_fac, step):
        if expired():
            raise _OutOfTime
        rows = np.arange(lo, min(n_fac, lo + step))
        g[rows] = _price(fac, rows, mu, weight, keep=False)[0]
    best = np.full(nb, np.inf)
    np.minimum.at(best, fac.head, g)
    bound = float(mu.sum() + np.minimum(0.0, best).sum())
    # subgradient: the facility chosen by each heading block, and the blocks it takes
    chosen = np.flatnonzero((g < 0) & (g <= best[fac.head]))
    if len(chosen):
        _, first = np.unique(fac.head[chosen], return_index=True)
        chosen = chosen[first]
    usage = np.zeros(nb)
    np.add.at(usage, fac.head[chosen], 1.0)
    if len(chosen):
        _, w_cur, blk, w_p, take = _price(fac, chosen, mu, weight, keep=True)
        assert take is not None
        here = np.arange(len(chosen))
        for k in range(take.shape[0] - 1, -1, -1):
            used = take[k, here, w_cur] & (w_cur > 0)
            np.add.at(usage, blk[used, k], 1.0)
            w_cur[used] -= w_p[used, k]
    return bound, 1.0 - usage


def _lp_prices(
    fac: _Facilities,
    penalty: np.ndarray,
    weight: np.ndarray,
    deadline: float,
    clock: Callable[[], float] = time.perf_counter,
) -> np.ndarray | None:
    """Prices mu from the duals of the LP relaxation restricted to the LP_ITEMS cheapest
    blocks of each facility (HiGHS through scipy); None if it does not finish in time.

    Any prices give a valid bound once L(mu) is evaluated on every arc; the restricted LP
    only makes them good ones."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_fac, n_listed = fac.item_cost.shape
    nb = len(penalty)
    k = min(LP_ITEMS, n_listed)
    per_member = fac.item_cost / weight[fac.item_block]
    part = np.argpartition(per_member, k - 1, axis=1)[:, :k] if k < n_listed else None
    cols = part if part is not None else np.broadcast_to(np.arange(n_listed), (n_fac, n_listed))
    cost = np.take_along_axis(fac.item_cost, cols, axis=1)
    blk = np.take_along_axis(fac.item_block, cols, axis=1)
    keep = np.isfinite(cost)
    f_of, _ = np.nonzero(keep)
    b_of, c_of = blk[keep], cost[keep]
    w_of = weight[b_of].astype(float)
    ok_fac = np.isfinite(fac.own_cost)
    nx = len(b_of)
    ny = n_fac
    obj = np.concatenate(
        [c_of - penalty[b_of], np.where(ok_fac, fac.own_cost, 0.0) - penalty[fac.head] - fac.bonus]
    )
    x_ids = np.arange(nx)
    y_ids = nx + np.arange(ny)
    rows, colsx, vals = [], [], []
    # (1) each block joins or heads at most one facility
    rows += [b_of, fac.head]
    colsx += [x_ids, y_ids]
    vals += [np.ones(nx), np.ones(ny)]
    # (2) x <= y
    r2 = nb + np.arange(nx)
    rows += [r2, r2]
    colsx += [x_ids, nx + f_of]
    vals += [np.ones(nx), -np.ones(nx)]
    # (3) lo y - sum w x <= 0 ; (4) sum w x - hi y <= 0
    r3 = nb + nx + np.arange(ny)
    r4 = nb + nx + ny + np.arange(ny)
    rows += [r3, nb + nx + f_of, r4, nb + nx + ny + f_of]
    colsx += [y_ids, x_ids, y_ids, x_ids]
    vals += [fac.lo.astype(float), -w_of, -fac.hi.astype(float), w_of]
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(colsx))),
        shape=(nb + nx + 2 * ny, nx + ny),
    ).tocsr()
    b = np.concatenate([np.ones(nb), np.zeros(nx + 2 * ny)])
    upper = np.concatenate([np.ones(nx), np.where(ok_fac, 1.0, 0.0)])
    left = deadline - clock()
    if left <= 0.5:
        return None
    res = linprog(
        obj,
        A_ub=a,
        b_ub=b,
        bounds=np.column_stack([np.zeros(nx + ny), upper]),
        method="highs",
        options={"time_limit": left, "presolve": True},
    )
    if res.status != 0 or res.ineqlin is None:
        return None
    lam = -np.asarray(res.ineqlin.marginals[:nb])
    return penalty - np.maximum(lam, 0.0)


def lagrangian_bound(
    prep: Prepared,
    deadline: float,
    upper: float | None = None,
    start_prices: np.ndarray | None = None,
    clock: Callable[[], float] = time.perf_counter,
    dense_pairs: int | None = None,
) -> float:
    """Best L(mu) found before `deadline` (time on `clock`): prices from a small restricted
    LP when it is small enough, else `start_prices` (default: the penalties), then projected
    subgradient steps (Polyak step towards `upper`, the objective of a known solution).

    Every L(mu) is a valid lower bound; the best is returned (-inf if none was computed).
    The deadline is checked inside the set-up and the pricing too (every chunk): a pricing
    cut short is dropped, the best complete one kept. Above `dense_pairs` (default
    DENSE_PAIRS) candidate x block pairs, the arcs are listed sparsely (see above).
    """
    blocks = prep.blocks
    if not blocks:
        return 0.0

    def expired() -> bool:
        return clock() >= deadline

    if expired():
        return -np.inf
    weight = np.array([b.weight for b in blocks], dtype=int)
    penalty = np.array([b.penalty for b in blocks], dtype=float)
    mu = penalty.copy() if start_prices is None else np.minimum(penalty, start_prices)
    try:
        fac = _build_facilities(prep, mu, expired, dense_pairs)
    except _OutOfTime:
        return -np.inf
    if fac is None:
        return 0.0
    limit = penalty if fac.cap is None else np.minimum(penalty, fac.cap)
    if len(fac.head) * min(LP_ITEMS, fac.item_cost.shape[1]) <= LP_MAX_ARCS:
        lp_mu = _lp_prices(fac, penalty, weight, deadline, clock)
        if lp_mu is not None:
            mu = lp_mu
    mu = np.minimum(mu, limit)
    best, best_mu = -np.inf, mu.copy()
    scale, stall = 1.0, 0
    for _ in range(LAGRANGE_MAX_ITER):
        try:
            value, sub = _evaluate(fac, mu, weight, expired)
        except _OutOfTime:
            break
        if value > best + 1e-9:
            best, best_mu, stall = value, mu.copy(), 0
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                scale, stall, mu = scale / 2, 0, best_mu.copy()
        # a block of w members moves w times faster (its price is w prices per member)
        direction = sub * weight
        slope = float((sub * direction).sum())
        proved = upper is not None and best >= upper - 1e-6  # the solution is optimal
        if proved or expired() or scale < 1e-3 or slope < 1e-12:
            break
        target = upper if upper is not None and upper > best else best + abs(best) * 0.05 + 1
        mu = np.minimum(limit, mu + scale * (target - value) / slope * direction)
    return float(best)
