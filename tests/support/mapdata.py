"""Generated map data: a run of many grappes spread over mainland departments and La
Réunion, with left-out ESSMS, written in bulk (for the map endpoint, page size and browser
tests)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from importers.geography import DEPARTMENTS
from matchmaker.models import Establishment, Exclusion, Grappe, GrappeMember, Organisation
from matchmaker.models.grappes import SolverRun

#: Departments of the generated run, with La Réunion far from the mainland.
SPREAD = ("35", "44", "29", "56", "22", "974")
#: Where each department's ESSMS are spread (latitude, longitude, radius in degrees): around
#: the prefecture, or the middle of La Réunion (Saint-Denis is on its northern shore).
CENTRES = {"974": (-21.12, 55.52, 0.18)}


@dataclass
class BigRun:
    grappes: int
    members: int
    left_out: int
    by_department: dict[str, int]


def generate(
    session: Session, run: SolverRun, grappes: int, size: int, left_out: int, first_number: int = 1
) -> BigRun:
    """Adds ``grappes`` grappes of ``size`` ESSMS and ``left_out`` left-out ESSMS to ``run``,
    spread over ``SPREAD`` (bulk rows: the maps read only these tables); commits."""
    by_department: dict[str, int] = {}
    serial = 0
    rows: list[object] = []
    members: list[GrappeMember] = []
    exclusions: list[Exclusion] = []

    def place(department: str, k: int) -> tuple[float, float]:
        home = DEPARTMENTS[department]
        lat, lon, spread = CENTRES.get(department, (home.latitude, home.longitude, 0.3))
        angle = k * 2.399963
        radius = 0.02 + spread * math.sqrt((k % 97) / 97)
        return lat + radius * math.sin(angle), lon + radius * math.cos(angle)

    def essms(department: str) -> Establishment:
        nonlocal serial
        serial += 1
        ej = f"{department[:2]}8{serial:06d}"
        et = f"{department[:2]}9{serial:06d}"
        lat, lon = place(department, serial)
        rows.append(Organisation(finess_ej=ej, name=f"OG GÉNÉRÉ {serial}", essms_count=1))
        establishment = Establishment(
            finess_et=et,
            finess_ej=ej,
            short_name=f"EHPAD GÉNÉRÉ {serial}",
            department=department,
            region="04" if department == "974" else "53",
            latitude=lat,
            longitude=lon,
            category_code="500",
            champ="PA",
            is_essms=True,
            is_open=True,
        )
        rows.append(establishment)
        by_department[department] = by_department.get(department, 0) + 1
        return establishment

    grappe_rows = []
    for n in range(grappes):
        department = SPREAD[n % len(SPREAD)]
        home = DEPARTMENTS[department]
        grappe = Grappe(
            run_id=run.id,
            number=n + first_number,
            editor_name=("Alpha Santé", "Beta Soft", "Gamma Info")[n % 3],
            centre_latitude=home.latitude,
            centre_longitude=home.longitude,
        )
        grappe_rows.append((grappe, [essms(department) for _ in range(size)]))
    for k in range(left_out):
        exclusions.append(
            Exclusion(
                run_id=run.id,
                finess_et=essms(SPREAD[k % len(SPREAD)]).finess_et,
                reason_code="too_far",
                reason="Trop loin des autres ESSMS de son éditeur.",
            )
        )
    session.add_all(rows)
    session.add_all([g for g, _ in grappe_rows])
    session.flush()
    for grappe, group in grappe_rows:
        for i, member in enumerate(group):
            members.append(
                GrappeMember(
                    grappe_id=grappe.id,
                    finess_et=member.finess_et,
                    finess_ej=member.finess_ej,
                    distance_km=5.0 + i,
                    is_carrier=i == 0,
                )
            )
    session.add_all(members + exclusions)
    session.commit()
    return BigRun(grappes, grappes * size, left_out, by_department)
