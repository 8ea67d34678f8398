"""A stored run shows what the solver saw: a declaration or a FINESS fact changed after the
run changes nothing in the run's review, exports, funding or adjustments."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import adjust, exports
from matchmaker.funding.scales import ProjectType
from matchmaker.grappes import read_model
from matchmaker.grappes.read_model import assess
from matchmaker.models import Campaign, Declaration, Establishment, Role, SolverRun
from tests.factories import make_editor, make_user
from tests.support.solving import solve


def _declaration(session: Session, campaign: Campaign, finess_et: str) -> Declaration:
    return session.scalars(
        select(Declaration).where(
            Declaration.campaign_id == campaign.id,
            Declaration.finess_et == finess_et,
            Declaration.is_current.is_(True),
        )
    ).one()


def test_a_declaration_changed_after_the_run_leaves_the_run_as_the_solver_saw_it(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "run.csv"), "--seed", "1")
    run = db_session.scalars(select(SolverRun)).one()
    [grappe] = run.grappes
    member = grappe.members[0].finess_et
    before = assess(db_session, grappe)
    left = {item.finess_et: item for item in read_model.left_out(db_session, run)}
    beta = next(f for f, item in left.items() if item.editor == "Beta Soft")

    # After the run, the member and a left-out ESSMS declare another editor, without DUI.
    gamma = make_editor(db_session, "Gamma Info")
    for finess in (member, beta):
        declaration = _declaration(db_session, campaign, finess)
        declaration.editor_id = gamma.id
        declaration.editor_raw = "Gamma Info"
        declaration.dui_status = "aucun"
    db_session.flush()
    db_session.expire_all()

    [view] = read_model.grappe_views(db_session, run)
    seen = next(m for m in view.members if m.finess_et == member)
    assert (seen.dui_status, seen.dui_editor) == ("reference_segur", "Alpha Santé")
    assert seen.project_type == ProjectType.MONTEE_VERSION
    after = assess(db_session, grappe)
    assert after.estimate.total_eur == before.estimate.total_eur
    left = {item.finess_et: item for item in read_model.left_out(db_session, run)}
    assert left[beta].editor == "Beta Soft"
    exported = exports.run_csv([view], list(left.values())).decode("utf-8-sig")
    line = next(row for row in exported.splitlines() if member in row)
    assert "Alpha Santé" in line and "Gamma Info" not in exported


def test_an_adjustment_checks_the_run_against_what_its_solver_saw(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "run.csv"), "--seed", "1")
    run = db_session.scalars(select(SolverRun)).one()
    [grappe] = run.grappes
    member = grappe.members[-1].finess_et
    # After the run, FINESS loses the member's coordinates: today it would be set aside.
    establishment = db_session.get(Establishment, member)
    assert establishment is not None
    establishment.latitude = establishment.longitude = None
    db_session.flush()
    admin = make_user(db_session, Role.ADMIN, email="admin@grappes.fr")
    message = adjust.adjust(
        db_session, admin, campaign, run, adjust.Adjustment("remove", finess_et=member)
    )
    assert "retiré" in message
    assert member not in {m.finess_et for m in grappe.members}
