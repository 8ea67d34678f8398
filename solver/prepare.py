"""From candidates and locks to OG blocks: editor rules, locks, priorities.

A *block* is the unit the model assigns: the ESSMS of one OG sharing an editor
(`keep_og_together`), merged with the ESSMS that locks tie to them (`Together`, `MustJoin` on
the same key). Every block belongs to one *sub-problem editor*:

- an ESSMS with a DUI or a SONS order belongs to its (hard) editor;
- an ESSMS without DUI is *flexible*. It follows the editor of the lock group or of its OG's
  other ESSMS if they have one (OG together); otherwise its block has no editor and the model
  chooses one: it may join a grappe of any editor, or an open grappe (see `solver.decompose`).
  The editor it prefers, if it named one, is a soft preference (`Block.preferences`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from solver import geo
from solver.editors import hard_editor, preferred_editor
from solver.locks import read_locks
from solver.types import (
    DUI_STATUSES,
    Candidate,
    Exclusion,
    FrozenGrappe,
    Lock,
    ReasonCode,
    SolveParams,
)

#: Where candidates without valid coordinates are parked (radians, South Pole): far from all.
NOWHERE = (-np.pi / 2, 0.0)


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving; the smallest index is the root."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = min(ra, rb), max(ra, rb)
            self.parent[hi] = lo

    def groups(self, items: list[int]) -> dict[int, list[int]]:
        """Root -> its items (in the order of `items`); every root found at once (pointer
        jumping over the whole forest in numpy, not one `find` per item)."""
        parent = np.asarray(self.parent, dtype=np.intp)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        self.parent = parent.tolist()
        out: dict[int, list[int]] = defaultdict(list)
        for i, root in zip(items, parent[np.asarray(items, dtype=np.intp)].tolist(), strict=True):
            out[root].append(i)
        return dict(out)


@dataclass
class Block:
    """A set of ESSMS that are assigned together (OG block plus lock links)."""

    index: int
    members: list[int]
    editor: str | None
    flexible: bool
    reduced: bool
    key: str | None
    forced: bool
    penalty: int
    capable: bool
    preferences: dict[str, int] = field(default_factory=dict)

    @property
    def weight(self) -> int:
        return len(self.members)

    def unwanted(self, editor: str | None) -> int:
        """Members preferring another editor than `editor` (each costs preference_penalty
        in a grappe of `editor`)."""
        return sum(n for pref, n in self.preferences.items() if pref != editor)


@dataclass
class Prepared:
    """Everything the sub-problems and the explanations need, indexed by candidate position."""

    candidates: list[Candidate]
    params: SolveParams
    points: np.ndarray
    bound_editor: list[str | None]
    reduced: np.ndarray
    small_og: np.ndarray
    isolated: np.ndarray
    priority: np.ndarray
    blocks: list[Block] = field(default_factory=list)
    block_of: dict[int, int] = field(default_factory=dict)
    exclusions: dict[int, Exclusion] = field(default_factory=dict)
    frozen: list[tuple[FrozenGrappe, list[int]]] = field(default_factory=list)
    apart_pairs: list[tuple[int, int]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def small_og_count(self, members: list[int]) -> int:
        """Number of distinct small OG among `members`."""
        return len({self.candidates[i].finess_ej for i in members if self.small_og[i]})


def prepare(candidates: list[Candidate], params: SolveParams, locks: tuple[Lock, ...]) -> Prepared:
    """Apply editor rules and locks, compute priorities and build the OG blocks."""
    index: dict[str, int] = {}
    for i, c in enumerate(candidates):
        if c.finess_et in index:
            raise ValueError(f"ESSMS en double dans les candidats : {c.finess_et}")
        index[c.finess_et] = i
    n = len(candidates)
    points = geo.to_radians(
        np.array([c.latitude for c in candidates], dtype=float),
        np.array([c.longitude for c in candidates], dtype=float),
    ).reshape(n, 2)
    located = np.isfinite(points).all(axis=1) & (np.abs(points[:, 0]) <= np.pi / 2)
    points[~located] = NOWHERE
    reduced_set = params.reduced_minimum_departments
    departments = {c.department for c in candidates}
    reduced_of = {d: geo.is_reduced_minimum(d, reduced_set) for d in departments}
    reduced = np.array([reduced_of[c.department] for c in candidates], dtype=bool)
    og_size = np.array([c.og_size for c in candidates], dtype=float)
    small_og = og_size < np.where(
        reduced, params.small_og_threshold_overseas, params.small_og_threshold
    )
    bound = [hard_editor(c) for c in candidates]
    isolated = _isolation(candidates, bound, points, params)
    priority = (
        params.uncovered_penalty
        + params.small_og_bonus * small_og.astype(int)
        + params.isolation_bonus * isolated.astype(int)
    )
    prep = Prepared(
        candidates=candidates,
        params=params,
        points=points,
        bound_editor=bound,
        reduced=reduced,
        small_og=small_og,
        isolated=isolated,
        priority=priority,
        index=index,
    )
    for i, c in enumerate(candidates):
        if not located[i]:
            prep.exclusions[i] = Exclusion(
                c.finess_et,
                ReasonCode.INVALID_INPUT,
                "coordonnées géographiques manquantes ou invalides",
            )
        elif c.dui_status not in DUI_STATUSES:
            prep.exclusions[i] = Exclusion(
                c.finess_et, ReasonCode.INVALID_INPUT, f"statut DUI inconnu : « {c.dui_status} »"
            )
        elif c.dui_status != "aucun" and bound[i] is None:
            prep.exclusions[i] = Exclusion(
                c.finess_et, ReasonCode.UNKNOWN_EDITOR, "DUI déclaré sans éditeur renseigné"
            )
    links, keys = read_locks(prep, locks)
    _build_blocks(prep, links, keys)
    return prep


def _isolation(
    candidates: list[Candidate],
    bound: list[str | None],
    points: np.ndarray,
    params: SolveParams,
) -> np.ndarray:
    """An ESSMS is isolated when fewer than `isolation_min_peers` compatible ESSMS (same editor
    or flexible; anyone for a flexible one) lie within `isolation_radius_km`."""
    n = len(candidates)
    isolated = np.zeros(n, dtype=bool)
    if n == 0:
        return isolated
    flexible = [i for i in range(n) if bound[i] is None]
    by_editor: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(bound):
        if e is not None:
            by_editor[e].append(i)
    if flexible:
        isolated[flexible] = _few_within(points, points[flexible], params)
    for _editor, members in sorted(by_editor.items()):
        isolated[members] = _few_within(points[members + flexible], points[members], params)
    return isolated


def _few_within(pool: np.ndarray, targets: np.ndarray, params: SolveParams) -> np.ndarray:
    """Per target (itself in `pool`): fewer than `isolation_min_peers` other pool points
    within `isolation_radius_km`, i.e. its (isolation_min_peers + 1)-th nearest is farther
    (a short neighbour query: counting every point within the radius is slow where dense)."""
    k = params.isolation_min_peers + 1
    if len(pool) < k:
        return np.ones(len(targets), dtype=bool)
    dist, _ = geo.knn(geo.build_tree(pool), targets, k)
    return np.asarray(dist[:, k - 1] > params.isolation_radius_km)


def _build_blocks(prep: Prepared, links: list[tuple[int, int]], keys: dict[int, str]) -> None:
    """Union OG groups and lock links into blocks, settle each block's editor, split or
    exclude oversize OG blocks."""
    params = prep.params
    cands = prep.candidates
    n = len(cands)
    pool = [i for i in range(n) if i not in prep.exclusions and prep.block_of.get(i) != -1]
    in_pool = set(pool)
    links = [(a, b) for a, b in links if a in in_pool and b in in_pool]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, k in keys.items():
        if i in in_pool:
            by_key[k].append(i)
    # 1. lock groups and their editor
    lock_uf = UnionFind(n)
    for one, other in links:
        lock_uf.union(one, other)
    for members in by_key.values():
        for m in members[1:]:
            lock_uf.union(members[0], m)
    lock_groups = lock_uf.groups(pool)
    editor_of: dict[int, str | None] = {}
    unresolved: list[int] = []
    for root, members in lock_groups.items():
        editors = {prep.bound_editor[i] for i in members} - {None}
        group_keys = {keys[i] for i in members if i in keys}
        if len(editors) > 1 or len(group_keys) > 1:
            why = (
                "éditeurs incompatibles"
                if len(editors) > 1
                else "deux grappes imposées différentes"
            )
            for i in members:
                prep.exclusions[i] = Exclusion(
                    cands[i].finess_et,
                    ReasonCode.LOCK_CONFLICT,
                    f"verrous incompatibles (« ensemble » / « dans la grappe ») : {why}",
                )
            continue
        if editors:
            for i in members:
                editor_of[i] = next(iter(editors))
        else:
            unresolved.append(root)
    pool = [i for i in pool if i not in prep.exclusions]
    # 2. flexible groups follow their OG's editor, else their neighbourhood
    og_editors: dict[str, Counter[str]] = defaultdict(Counter)
    for i in pool:
        if prep.bound_editor[i] is not None:
            og_editors[cands[i].finess_ej][prep.bound_editor[i]] += 1  # type: ignore[index]
    for root in unresolved:
        members = lock_groups[root]
        counter: Counter[str] = Counter()
        for i in members:
            editors_of_og = og_editors.get(cands[i].finess_ej)
            if editors_of_og:
                counter.update(editors_of_og)
        if params.keep_og_together and counter:
            chosen = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            for i in members:
                editor_of[i] = chosen
        else:
            for i in members:
                editor_of[i] = None
    # 3. OG blocks (same OG, same sub-problem editor), oversize policy, then lock links
    og_groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in pool:
        og_key = cands[i].finess_ej if params.keep_og_together else cands[i].finess_et
        og_groups[(og_key, editor_of[i] or "")].append(i)
    _release_followers_of_oversize_og(prep, og_groups, editor_of)
    uf = UnionFind(n)
    for (_og, editor), members in sorted(og_groups.items()):
        if len(members) > params.max_size:
            if params.oversize_og_policy == "exclude":
                for i in members:
                    prep.exclusions[i] = Exclusion(
                        cands[i].finess_et,
                        ReasonCode.OG_TOO_LARGE,
                        f"son OG seul dépasse la taille maximale ({len(members)} ESSMS de "
                        f"l'éditeur {editor or 'à choisir'} pour un maximum de "
                        f"{params.max_size})",
                    )
                continue
            for chunk in geo.split_compact(prep.points, members, params.max_size):
                for m in chunk[1:]:
                    uf.union(chunk[0], m)
        else:
            for m in members[1:]:
                uf.union(members[0], m)
    pool = [i for i in pool if i not in prep.exclusions]
    for members in lock_groups.values():
        alive = [i for i in members if i not in prep.exclusions]
        for m in alive[1:]:
            uf.union(alive[0], m)
    apart_bad: set[int] = set()
    for root, members in sorted(uf.groups(pool).items()):
        mset = set(members)
        if len(members) > params.max_size:
            for i in members:
                prep.exclusions[i] = Exclusion(
                    cands[i].finess_et,
                    ReasonCode.LOCK_CONFLICT,
                    f"verrous « ensemble » : le groupe imposé compte {len(members)} ESSMS, "
                    f"plus que la taille maximale ({params.max_size})",
                )
            continue
        if any(a in mset and b in mset for a, b in prep.apart_pairs):
            apart_bad.update(members)
            for i in members:
                prep.exclusions[i] = Exclusion(
                    cands[i].finess_et,
                    ReasonCode.LOCK_CONFLICT,
                    "verrous incompatibles : « séparés » et « ensemble » (ou même OG) à la fois",
                )
            continue
        block_editor = editor_of[root]
        flexible = all(prep.bound_editor[i] is None for i in members)
        key = next((keys[i] for i in members if i in keys), None)
        b = Block(
            index=len(prep.blocks),
            members=sorted(members),
            editor=block_editor,
            flexible=flexible,
            reduced=bool(prep.reduced[members].all()),
            key=key,
            forced=key is not None,
            penalty=int(prep.priority[members].sum()),
            capable=any(cands[i].willing_carrier or not prep.small_og[i] for i in members),
            preferences=_preferences([cands[i] for i in members]) if flexible else {},
        )
        prep.blocks.append(b)
        for i in members:
            prep.block_of[i] = b.index


def _release_followers_of_oversize_og(
    prep: Prepared,
    og_groups: dict[tuple[str, str], list[int]],
    editor_of: dict[int, str | None],
) -> None:
    """OG together applies to the ESSMS of an OG bound to one editor. When the ESSMS without
    DUI that follow their OG's editor would push the OG block over max_size while its bound
    ESSMS fit, those followers are released (flexible, editor chosen by the model) so that
    the bound ESSMS stay together instead of being split."""
    max_size = prep.params.max_size
    for (og, editor), members in list(og_groups.items()):
        if not editor or len(members) <= max_size:
            continue
        bound = [i for i in members if prep.bound_editor[i] is not None]
        if len(bound) > max_size:
            continue
        followers = [i for i in members if prep.bound_editor[i] is None]
        og_groups[(og, editor)] = bound
        og_groups[(og, "")] = og_groups.get((og, ""), []) + followers
        for i in followers:
            editor_of[i] = None


def _preferences(members: list[Candidate]) -> dict[str, int]:
    """Number of members of a flexible block preferring each editor (soft preference)."""
    out: Counter[str] = Counter()
    for c in members:
        editor = preferred_editor(c)
        if editor is not None:
            out[editor] += 1
    return dict(out)
