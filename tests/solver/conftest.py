"""Fixtures for solver tests: candidate factories and fast solve parameters."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import count

import pytest

from solver import Candidate, SolveParams
from tests.support.solver import KM_PER_DEGREE, PROGRAMME_REDUCED, CandidateFactory


@pytest.fixture
def make_candidate() -> CandidateFactory:
    """Build a candidate with sensible defaults; FINESS numbers are generated when omitted.

    `east_km`/`north_km` place it relative to Lyon (45.76 N, 4.84 E) for readable geometry.
    """
    numbers: Iterator[int] = count(1)

    def factory(
        east_km: float = 0.0,
        north_km: float = 0.0,
        *,
        editor: str | None = "A",
        dui_status: str = "reference_segur",
        finess_et: str | None = None,
        finess_ej: str | None = None,
        department: str = "69",
        og_size: int = 1,
        sons_editor: str | None = None,
        willing_carrier: bool = False,
        origin: tuple[float, float] = (45.76, 4.84),
        champ: str | None = "PA",
    ) -> Candidate:
        n = next(numbers)
        lat0, lon0 = origin
        return Candidate(
            finess_et=finess_et or f"{department[:3]:0<3}{n:06d}",
            finess_ej=finess_ej or f"EJ{n:07d}",
            latitude=lat0 + north_km / KM_PER_DEGREE,
            longitude=lon0 + east_km / (KM_PER_DEGREE * math.cos(math.radians(lat0))),
            department=department,
            og_size=og_size,
            champ=champ,
            dui_status=dui_status,
            editor=editor,
            sons_editor=sons_editor,
            willing_carrier=willing_carrier,
        )

    return factory


@pytest.fixture
def make_cluster(make_candidate: CandidateFactory) -> Callable[..., list[Candidate]]:
    """`n` candidates on a small circle (radius `radius_km`) around a point."""

    def factory(
        n: int, east_km: float = 0.0, north_km: float = 0.0, radius_km: float = 3.0, **kwargs
    ) -> list[Candidate]:
        out = []
        for k in range(n):
            angle = 2 * math.pi * k / max(n, 1)
            r = radius_km * (0.3 + 0.7 * ((k * 7) % 10) / 10)
            out.append(
                make_candidate(
                    east_km + r * math.cos(angle), north_km + r * math.sin(angle), **kwargs
                )
            )
        return out

    return factory


@pytest.fixture
def fast_params() -> SolveParams:
    """Defaults of the programme with short limits and exact solving, one worker."""
    return SolveParams(
        time_limit_s=10.0,
        subproblem_time_limit_s=5.0,
        relative_gap_limit=0.0,
        reduced_minimum_departments=PROGRAMME_REDUCED,
    )
