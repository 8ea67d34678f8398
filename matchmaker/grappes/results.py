"""A run's CSV for the command line (``grappes solve --out``): the same file, in the same
shape, as the console's « Exporter (CSV) » (:func:`matchmaker.campaigns.exports.run_csv`),
built from the one read model of the run's grappes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from matchmaker.campaigns.exports import run_csv
from matchmaker.grappes.read_model import grappe_views, left_out
from matchmaker.models import SolverRun


def write_results_csv(session: Session, run: SolverRun, path: Path) -> int:
    """Write the run's CSV (UTF-8 with BOM, ``;``, as French Excel opens it); returns the
    number of lines, one per ESSMS: proposed in a grappe, or left out with its reason."""
    views = grappe_views(session, run)
    left = left_out(session, run)
    path.write_bytes(run_csv(views, left))
    return sum(len(view.members) for view in views) + len(left)
