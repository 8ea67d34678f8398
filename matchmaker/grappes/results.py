"""A run's CSV for the command line (``grappes solve --out``)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Establishment, Exclusion, SolverRun

#: Columns of the run's CSV, in the order of the issue.
RESULT_COLUMNS = (
    "grappe_id",
    "editeur",
    "finess_et",
    "finess_ej",
    "porteur",
    "distance_km",
    "motif",
)


def result_rows(session: Session, run: SolverRun) -> list[dict[str, str]]:
    """One row per candidate: its grappe, or empty grappe and distance with the reason."""
    rows: list[dict[str, str]] = []
    for grappe in run.grappes:
        for member in grappe.members:
            rows.append(
                {
                    "grappe_id": str(grappe.number),
                    "editeur": grappe.editor_name,
                    "finess_et": member.finess_et,
                    "finess_ej": member.finess_ej,
                    "porteur": "1" if member.is_carrier else "0",
                    "distance_km": f"{member.distance_km:.1f}",
                    "motif": "",
                }
            )
    exclusions = session.execute(
        select(Exclusion, Establishment.finess_ej)
        .join(Establishment, Establishment.finess_et == Exclusion.finess_et)
        .where(Exclusion.run_id == run.id)
        .order_by(Exclusion.finess_et)
    )
    for exclusion, finess_ej in exclusions:
        reason = exclusion.reason
        if exclusion.near_miss:
            reason = f"{reason} Au plus près : {exclusion.near_miss}"
        rows.append(
            {
                "grappe_id": "",
                "editeur": "",
                "finess_et": exclusion.finess_et,
                "finess_ej": finess_ej,
                "porteur": "0",
                "distance_km": "",
                "motif": reason,
            }
        )
    return rows


def write_results_csv(session: Session, run: SolverRun, path: Path) -> int:
    """Write the run's CSV (UTF-8 with BOM, for Excel); returns the number of rows."""
    rows = result_rows(session, run)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
