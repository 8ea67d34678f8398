"""Building a `Grappe` from its members: centre, distances, carrier, small OG."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from solver import geo
from solver.prepare import Prepared
from solver.types import Candidate, Grappe, Member


def make_grappe(
    prep: Prepared,
    key: str,
    editor: str | None,
    members: list[int],
    centre: int | None,
    frozen: bool = False,
) -> Grappe:
    """Centre (the model's, or the medoid if it is closer to all and within the distance
    limit), member distances, carrier and small-OG count."""
    params = prep.params
    pts = prep.points[members]
    d = geo.pairwise_km(pts, pts)
    totals = np.rint(d * 10).astype(np.int64).sum(axis=0)
    medoid = int(np.argmin(totals))
    if params.max_distance_km is not None and d[:, medoid].max() > params.max_distance_km:
        medoid = -1
    if centre is None or (medoid >= 0 and totals[medoid] < totals[members.index(centre)]):
        j = medoid if medoid >= 0 else int(np.argmin(d.max(axis=0)))
    else:
        j = members.index(centre)
    cands = prep.candidates
    rows = tuple(
        Member(cands[m].finess_et, cands[m].finess_ej, round(float(d[r, j]), 1))
        for r, m in enumerate(members)
    )
    carrier, reason = choose_carrier([cands[m] for m in members])
    total = round(sum(m.distance_km for m in rows), 1)
    return Grappe(
        key=key,
        editor=editor,
        centre=cands[members[j]].finess_et,
        members=rows,
        carrier_ej=carrier,
        carrier_reason=reason,
        total_km=total,
        mean_km=round(total / len(members), 2),
        n_small_og=prep.small_og_count(members),
        frozen=frozen,
    )


def choose_carrier(members: list[Candidate]) -> tuple[str, str]:
    """Suggested carrier: an OG that volunteered (the largest such), otherwise the largest OG;
    ties go to the OG with most ESSMS in the grappe, then to the smallest FINESS EJ."""
    in_grappe: dict[str, int] = defaultdict(int)
    size: dict[str, int] = {}
    willing: dict[str, bool] = defaultdict(bool)
    for c in members:
        in_grappe[c.finess_ej] += 1
        size[c.finess_ej] = max(size.get(c.finess_ej, 0), c.og_size)
        willing[c.finess_ej] |= c.willing_carrier
    volunteers = [ej for ej in size if willing[ej]]
    pool = volunteers or list(size)
    best = sorted(pool, key=lambda ej: (-size[ej], -in_grappe[ej], ej))[0]
    if volunteers:
        return best, f"OG volontaire pour porter le projet ({size[best]} ESSMS)"
    return best, f"plus grand OG de la grappe ({size[best]} ESSMS), aucun volontaire"
