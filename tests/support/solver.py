"""What the solver tests share besides their fixtures: the programme's reduced-minimum
territories, the factory type of ``make_candidate``."""

from __future__ import annotations

from collections.abc import Callable

from matchmaker.funding.scales import load_scale
from solver import Candidate

KM_PER_DEGREE = 111.2

#: The ``make_candidate`` fixture of ``tests/solver``.
CandidateFactory = Callable[..., Candidate]

#: The programme's reduced-minimum territories, as the app passes them (the scale file).
PROGRAMME_REDUCED = load_scale().overseas_corsica_departments
