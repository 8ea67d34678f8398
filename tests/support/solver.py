"""What the solver tests share besides their fixtures: the programme's reduced-minimum
territories, the factory type of ``make_candidate``, random tiny instances."""

from __future__ import annotations

import random
from collections.abc import Callable

from matchmaker.funding.scales import load_scale
from solver import Candidate

KM_PER_DEGREE = 111.2

#: The ``make_candidate`` fixture of ``tests/solver``.
CandidateFactory = Callable[..., Candidate]

#: The programme's reduced-minimum territories, as the app passes them (the scale file).
PROGRAMME_REDUCED = load_scale().overseas_corsica_departments


def random_candidates(rng: random.Random, n: int) -> list[Candidate]:
    """n candidates in a 100 km square around Lyon, 2 editors, a quarter without DUI, some
    OG pairs, some willing carriers."""
    out = []
    for k in range(n):
        flexible = rng.random() < 0.25
        out.append(
            Candidate(
                finess_et=f"69{k:07d}",
                finess_ej=f"EJ{k // 2 if rng.random() < 0.3 else 100 + k:07d}",
                latitude=45.76 + rng.uniform(-0.45, 0.45),
                longitude=4.84 + rng.uniform(-0.6, 0.6),
                department="69",
                og_size=rng.choice([1, 2, 5]),
                champ="PH",
                dui_status="aucun" if flexible else "reference_segur",
                editor=None if flexible else rng.choice(["A", "B"]),
                willing_carrier=rng.random() < 0.2,
            )
        )
    return out
