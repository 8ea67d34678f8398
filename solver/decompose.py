"""Sparse assignment arcs and independent sub-problems.

Every member of a block may be the centre of a grappe. A centre bound to an editor heads a
grappe of that editor; a flexible one (no DUI, editor chosen by the model) an open grappe
(editor to be chosen together) or a grappe of the editor of any bound block that may join it:
one possible centre per editor, `(candidate, editor)`. A block bound to an editor may only join
one of its `k_neighbours` nearest centres of that editor or of its `FLEXIBLE_CENTRES` nearest
flexible ones; a flexible block one of its `k_neighbours` nearest centres of any editor plus
the `EDITOR_CHOICES` nearest of every editor found near it, with `preference_penalty` per
member when the grappe's editor is not the one it prefers. A block may also be the centre of
its own grappe. Blocks linked by arcs form connected
components, which are independent. A component with more than
`max_subproblem_size` ESSMS is cut by recursive bisection of the map, choosing each cut in the
widest empty strip near the weighted median so that few close pairs are separated; arcs across
a cut are dropped. The reported bounds are therefore bounds of this decomposed model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from solver import geo
from solver.geo import planar
from solver.prepare import Block, Prepared


@dataclass
class Subproblem:
    """One independent CP-SAT model: blocks, candidate centres and arcs (all local indices)."""

    key: str
    editor: str | None
    blocks: list[int]
    centre_editor: list[str | None]
    weights: list[int]
    penalties: list[int]
    forced: list[bool]
    capable: list[bool]
    centres: list[int]
    centre_block: list[int]
    centre_min: list[int]
    arcs: list[tuple[int, int, int]]
    apart: list[tuple[int, int]]
    max_size: int
    carrier_bonus: int
    n_candidates: int
    budget_s: float = 10.0
    wall_limit_s: float = 30.0
    seed: int = 0
    relative_gap_limit: float = 0.0
    cp_workers: int = 1
    cp_presolve: bool = True
    cp_linearization_level: int = 2
    deterministic_time_per_s: float = 0.5
    hint: list[int] | None = None


#: Nearest centres of every nearby editor a flexible block may also join.
EDITOR_CHOICES = 3
#: Nearest ESSMS without DUI a bound block may join as the centre of a grappe of its editor.
FLEXIBLE_CENTRES = 10

#: A possible grappe: (centre candidate, editor of the grappe; None = open grappe).
Centre = tuple[int, str | None]


def centre_editor(prep: Prepared, c: int) -> str | None:
    """The editor of a grappe centred on candidate c: its block's, None if that is flexible."""
    b = prep.blocks[prep.block_of[c]]
    return None if b.flexible else b.editor


def block_arcs(prep: Prepared, block_ids: list[int]) -> dict[int, dict[Centre, int]]:
    """Arcs {block id: {(centre candidate, grappe editor): cost}}.

    A bound block may join its `k_neighbours` nearest centres of its editor and its
    `FLEXIBLE_CENTRES` nearest ESSMS without DUI, which then head a grappe of that editor;
    a flexible block, its `k_neighbours` nearest centres of any editor (plus
    `EDITOR_CHOICES` of every editor near it), where a centre without DUI heads an open
    grappe or a grappe of any editor that a bound block near it may join. The centre's own
    block always reaches each of the centre's grappes (it is their first member).

    cost = distance_weight x sum over the block's members of the distance to the centre in
    tenths of km (integers only), + preference_penalty per flexible member whose preferred
    editor is not the grappe's. A centre in a reduced-minimum department accepts only blocks
    wholly in such departments; with `max_distance_km` every member must be that close.

    Vectorised: one neighbour query per editor, then the distances of every (member, centre)
    pair in one array (national runs: about 0.5 s instead of 3 s of per-block loops).
    """
    params = prep.params
    blocks = [prep.blocks[b] for b in block_ids]
    if not blocks:
        return {}
    max_d = params.max_distance_km
    valid_centre = np.zeros(len(prep.candidates), dtype=bool)
    for b in blocks:
        members = np.asarray(b.members, dtype=int)
        ok = ~(prep.reduced[members] & (not b.reduced))
        if max_d is not None and b.weight > 1:
            d = geo.pairwise_km(prep.points[members], prep.points[members])
            ok &= d.max(axis=0) <= max_d
        valid_centre[members] = ok
    pools: dict[str | None, list[int]] = defaultdict(list)
    for b in blocks:
        pools[None if b.flexible else b.editor].extend(b.members)
    everyone = sorted(i for members in pools.values() for i in members)
    editor_of = {i: centre_editor(prep, i) for members in pools.values() for i in members}
    near: dict[int, set[int]] = {}
    for editor, pool_list in sorted(pools.items(), key=lambda kv: kv[0] or ""):
        mine = [b for b in blocks if (None if b.flexible else b.editor) == editor]
        targets = everyone if editor is None else sorted(pool_list)
        near.update(_nearest(prep, mine, targets, editor_of, flexible=editor is None))
    flexible_pool = sorted(pools.get(None, []))
    if flexible_pool:
        bound = [b for b in blocks if not b.flexible]
        extra = _nearest(prep, bound, flexible_pool, editor_of, False, FLEXIBLE_CENTRES)
        for index, found in extra.items():
            near[index] |= found
    # every (block, centre) pair, then every (member, centre) distance at once
    pair_block: list[int] = []
    pair_centre: list[int] = []
    reduced = prep.reduced
    for j, b in enumerate(blocks):
        for c in sorted(near[b.index].union(b.members)):
            if valid_centre[c] and (b.reduced or not reduced[c]):
                pair_block.append(j)
                pair_centre.append(c)
    arcs: dict[int, dict[Centre, int]] = {b.index: {} for b in blocks}
    if not pair_block:
        return arcs
    weight = np.array([b.weight for b in blocks], dtype=int)
    flat = np.array([i for b in blocks for i in b.members], dtype=int)
    starts = np.r_[0, np.cumsum(weight)[:-1]]
    pb = np.asarray(pair_block, dtype=int)
    pc = np.asarray(pair_centre, dtype=int)
    w = weight[pb]
    offsets = np.arange(int(w.sum())) - np.repeat(np.cumsum(w) - w, w)
    member = flat[np.repeat(starts[pb], w) + offsets]
    km = geo.rows_km(prep.points[member], prep.points[np.repeat(pc, w)])
    bounds = np.r_[0, np.cumsum(w)[:-1]]
    cost = params.distance_weight * np.add.reduceat(np.rint(km * 10).astype(np.int64), bounds)
    keep = np.ones(len(pb), dtype=bool)
    if max_d is not None:
        keep = np.maximum.reduceat(km, bounds) <= max_d
    penalty = params.preference_penalty

    def priced(b: Block, e: str | None, value: int) -> int:
        return value + penalty * b.unwanted(e) if b.preferences else value

    # bound blocks first: the editors they bring to centres without DUI are then known
    heads: dict[int, set[str]] = defaultdict(set)
    flexible_pairs: list[tuple[Block, int, int]] = []
    for j, c, value, ok in zip(pair_block, pair_centre, cost.tolist(), keep.tolist(), strict=True):
        if not ok:
            continue
        b = blocks[j]
        if b.flexible:
            flexible_pairs.append((b, c, value))
            continue
        assert b.editor is not None
        arcs[b.index][c, b.editor] = priced(b, b.editor, value)
        if editor_of[c] is None:
            heads[c].add(b.editor)
    for b, c, value in flexible_pairs:
        e = editor_of[c]
        if e is not None:
            grappes: list[str | None] = [e]
        else:
            grappes = [None] if params.allow_open_grappes else []
            grappes += sorted(heads.get(c, ()))
        for editor in grappes:
            arcs[b.index][c, editor] = priced(b, editor, value)
    return arcs


def arc_cost(prep: Prepared, block: Block, centre: int, editor: str | None) -> int:
    """The cost of one arc, as `block_arcs` prices it: distance_weight x the members'
    distances to the centre in tenths of km, + preference_penalty per member preferring
    another editor."""
    km = geo.pairwise_km(prep.points[block.members], prep.points[[centre]])[:, 0]
    value = prep.params.distance_weight * int(np.rint(km * 10).astype(np.int64).sum())
    return value + prep.params.preference_penalty * block.unwanted(editor)


def _nearest(
    prep: Prepared,
    mine: list[Block],
    targets: list[int],
    editor_of: dict[int, str | None],
    flexible: bool,
    k: int = 0,
) -> dict[int, set[int]]:
    """For each block of `mine`, its nearest candidates of `targets`: `k` of them, or
    `k_neighbours`; flexible blocks look at twice as many and also keep `EDITOR_CHOICES` of
    every editor found."""
    params = prep.params
    if not mine:
        return {}
    if not targets:
        return {b.index: set() for b in mine}
    pool = np.array(targets, dtype=int)
    tree = geo.build_tree(prep.points[pool])
    anchors = np.array([_anchor(prep, b) for b in mine], dtype=int)
    keep = k or params.k_neighbours
    _, knn_idx = geo.knn(tree, prep.points[anchors], keep * (2 if flexible else 1))
    near: dict[int, set[int]] = {}
    for b, found in zip(mine, pool[knn_idx].tolist(), strict=True):
        chosen = set(found[:keep])
        if flexible:
            seen: dict[str | None, int] = defaultdict(int)
            for c in found:
                e = editor_of[c]
                if seen[e] < EDITOR_CHOICES:
                    chosen.add(c)
                    seen[e] += 1
        near[b.index] = chosen
    return near


def _anchor(prep: Prepared, b: Block) -> int:
    """The member of a block closest to all others (its medoid)."""
    if b.weight == 1:
        return b.members[0]
    d = geo.pairwise_km(prep.points[b.members], prep.points[b.members])
    return b.members[int(np.argmin(d.sum(axis=0)))]


def build_subproblems(
    prep: Prepared, block_ids: list[int], editor: str | None = None
) -> tuple[list[Subproblem], list[int]]:
    """Split blocks (of every editor: flexible blocks link them) into independent
    sub-problems; `editor` only names them.

    Returns the sub-problems and the blocks that have no arc at all (never coverable).
    """
    # imported here: a worker process unpickling a Subproblem needs no scipy
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    params = prep.params
    arcs = block_arcs(prep, block_ids)
    local = {b: j for j, b in enumerate(block_ids)}
    rows, cols = [], []
    for b, targets in arcs.items():
        for c, _editor in targets:
            rows.append(local[b])
            cols.append(local[prep.block_of[c]])
    n = len(block_ids)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    components: dict[int, list[int]] = defaultdict(list)
    for j, lab in enumerate(labels):
        components[int(lab)].append(block_ids[j])
    parts: list[list[int]] = []
    hopeless: list[int] = []
    for comp in sorted(components.values(), key=lambda c: c[0]):
        weight = sum(prep.blocks[b].weight for b in comp)
        min_needed = min(
            params.min_size_overseas if prep.blocks[b].reduced else params.min_size for b in comp
        )
        if weight < min_needed or all(not arcs[b] for b in comp):
            hopeless.extend(comp)
            continue
        parts.extend(_cut(prep, comp, params.max_subproblem_size))
    subproblems: list[Subproblem] = []
    for comp in parts:
        sp = make_subproblem(prep, comp, arcs, editor, len(subproblems))
        if sp is None:
            hopeless.extend(comp)
        else:
            subproblems.append(sp)
    return subproblems, hopeless


def _cut(prep: Prepared, comp: list[int], max_size: int) -> list[list[int]]:
    """Recursive bisection of a component until each part has at most `max_size` ESSMS."""
    weights = np.array([prep.blocks[b].weight for b in comp])
    total = int(weights.sum())
    if total <= max_size or len(comp) < 2:
        return [comp]
    anchors = [prep.blocks[b].members[0] for b in comp]
    xy = planar(prep.points[anchors])
    axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
    order = np.lexsort((np.array(comp), xy[:, axis]))
    coords = xy[order, axis]
    cum = np.cumsum(weights[order])
    lo = int(np.searchsorted(cum, 0.4 * total))
    hi = int(np.searchsorted(cum, 0.6 * total))
    lo, hi = max(lo, 0), min(max(hi, lo + 1), len(comp) - 1)
    gaps = coords[lo + 1 : hi + 1] - coords[lo:hi]
    cut = lo + 1 + int(np.argmax(gaps)) if len(gaps) else max(1, len(comp) // 2)
    left = [comp[j] for j in order[:cut]]
    right = [comp[j] for j in order[cut:]]
    return _cut(prep, sorted(left), max_size) + _cut(prep, sorted(right), max_size)


def local_apart(prep: Prepared, blocks: list[Block]) -> list[tuple[int, int]]:
    """Pairs of local block indices that must not share a grappe: apart locks, and blocks
    locked to different MustJoin keys."""
    local_block = {b.index: j for j, b in enumerate(blocks)}
    apart = sorted(
        {
            (min(la, lb), max(la, lb))
            for a, b in prep.apart_pairs
            if prep.block_of.get(a) in local_block and prep.block_of.get(b) in local_block
            for la, lb in [(local_block[prep.block_of[a]], local_block[prep.block_of[b]])]
            if la != lb
        }
    )
    keyed = [(j, b.key) for j, b in enumerate(blocks) if b.key is not None]
    apart += [(a, b) for x, (a, ka) in enumerate(keyed) for b, kb in keyed[x + 1 :] if ka != kb]
    return apart


def make_subproblem(
    prep: Prepared,
    comp: list[int],
    arcs: dict[int, dict[Centre, int]],
    editor: str | None,
    number: int,
) -> Subproblem | None:
    """Local indexing of one part; arcs leaving the part are dropped. A candidate without
    DUI may be several local centres, one per editor of the grappe it would head (its own
    block joins at most one of them)."""
    params = prep.params
    blocks = [prep.blocks[b] for b in comp]
    local_block = {b.index: j for j, b in enumerate(blocks)}
    keys = sorted(
        (key for b in blocks for key in arcs[b.index] if key[0] in b.members),
        key=lambda key: (key[0], key[1] or ""),
    )  # the centre's own block reaches it
    local_centre = {key: j for j, key in enumerate(keys)}
    centres = [c for c, _ in keys]
    sp_arcs = []
    for b in blocks:
        for key, cost in sorted(arcs[b.index].items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if key in local_centre and prep.block_of[key[0]] in local_block:
                sp_arcs.append((local_block[b.index], local_centre[key], cost))
    if not sp_arcs:
        return None
    apart = local_apart(prep, blocks)
    return Subproblem(
        key=f"{editor or 'zone'}#{number + 1}",
        editor=editor,
        blocks=[b.index for b in blocks],
        centre_editor=[e for _, e in keys],
        weights=[b.weight for b in blocks],
        penalties=[b.penalty for b in blocks],
        forced=[b.forced for b in blocks],
        capable=[b.capable for b in blocks],
        centres=centres,
        centre_block=[local_block[prep.block_of[c]] for c in centres],
        centre_min=[
            params.min_size_overseas if prep.reduced[c] else params.min_size for c in centres
        ],
        arcs=sp_arcs,
        apart=apart,
        max_size=params.max_size,
        carrier_bonus=params.carrier_bonus,
        n_candidates=sum(b.weight for b in blocks),
        seed=params.random_seed,
        relative_gap_limit=params.relative_gap_limit,
        cp_workers=params.cp_workers,
        cp_presolve=params.cp_presolve,
        cp_linearization_level=params.cp_linearization_level,
        deterministic_time_per_s=params.deterministic_time_per_s,
    )
