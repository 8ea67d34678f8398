"""What a run shows while it solves and when it ends (issue 17): never « Terminé » before its
grappes are stored, the declarations' state it used recorded, a French cause when it fails."""

from __future__ import annotations

import pytest
from flask import current_app
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.grappes import freshness, runs
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.storage import create_run
from matchmaker.jobs.context import JobCancelled
from matchmaker.models import Campaign, Declaration, Grappe, SolverRun
from tests.factories import make_declaration, make_establishment, make_organisation


def queued_run(session: Session, campaign: Campaign) -> SolverRun:
    params = solve_params(current_app.config, None, {"time_limit_s": 20, "random_seed": 1})
    run = create_run(session, campaign=campaign, mode="interest", departments=["31"], params=params)
    session.commit()
    return run


def test_progress_committed_while_solving_never_claims_completion(
    db_session: Session, campaign: Campaign
) -> None:
    run = queued_run(db_session, campaign)
    seen: list[tuple[str, float, str, int]] = []

    def progress(_fraction: float, _message: str) -> None:
        # called right after each progress commit: what the site would read now
        stored = db_session.scalar(select(func.count(Grappe.id)).where(Grappe.run_id == run.id))
        seen.append((run.status, run.progress, run.progress_message or "", stored or 0))

    runs.execute_run(db_session, run, progress=progress)
    assert seen and all(status == "running" for status, *_ in seen)
    assert all(share <= runs.SOLVING_SHARE for _, share, _, _ in seen)
    assert not any(message.startswith("Terminé") for _, _, message, _ in seen)
    assert all(stored == 0 for *_, stored in seen)
    assert seen[-1][2] == "Enregistrement des grappes"
    db_session.expire_all()
    assert (run.status, run.progress) == ("succeeded", 1.0)
    assert run.progress_message == "Terminé : 1 grappes, couverture 78,3\u00a0%"
    assert len(run.grappes) == 1


def test_a_cancel_raised_while_solving_leaves_the_run_failed_without_grappes(
    db_session: Session, campaign: Campaign
) -> None:
    run = queued_run(db_session, campaign)

    class Stop(Exception):
        pass

    def progress(fraction: float, _message: str) -> None:
        if fraction > 0.5:
            raise Stop("arrêt demandé")

    try:
        runs.execute_run(db_session, run, progress=progress)
    except Stop:
        pass
    else:
        raise AssertionError("the exception of the progress callback must propagate")
    db_session.expire_all()
    assert run.status == "failed" and run.grappes == []
    assert not (run.progress_message or "").startswith("Terminé")


def test_a_user_cancel_while_solving_leaves_the_run_cancelled_without_grappes(
    db_session: Session, campaign: Campaign
) -> None:
    run = queued_run(db_session, campaign)

    def progress(fraction: float, _message: str) -> None:
        if fraction > 0.5:
            raise JobCancelled("Annulé à la demande.")

    with pytest.raises(JobCancelled):
        runs.execute_run(db_session, run, progress=progress)
    db_session.expire_all()
    assert (run.status, run.error, run.grappes) == ("cancelled", None, [])
    assert run.progress_message == "Annulé à la demande."


def test_a_run_records_the_declarations_it_used_and_sees_later_changes(
    db_session: Session, campaign: Campaign
) -> None:
    run = runs.execute_run(db_session, queued_run(db_session, campaign))
    used = run.stats[freshness.STATS_KEY]
    assert used["current"] == 25  # 23 candidates + 2 set aside
    assert used == freshness.declarations_state(db_session, campaign.id)
    assert freshness.changes_since(db_session, run) == 0
    for i in range(2):
        essms = make_establishment(db_session, make_organisation(db_session, name=f"OG NEW {i}"))
        make_declaration(db_session, campaign, essms)
    db_session.commit()
    assert freshness.changes_since(db_session, run) == 2


def test_an_editor_match_accepted_after_a_run_counts_as_a_change(
    db_session: Session, campaign: Campaign
) -> None:
    run = runs.execute_run(db_session, queued_run(db_session, campaign))
    row = db_session.get(Declaration, run.candidates[0].declaration_id)
    assert row is not None
    row.editor_id = None
    db_session.commit()
    assert freshness.changes_since(db_session, run) == 1


def test_a_planning_run_records_no_declarations(db_session: Session, campaign: Campaign) -> None:
    params = solve_params(current_app.config, None, {"time_limit_s": 20})
    run = create_run(db_session, campaign=None, mode="planning", departments=["31"], params=params)
    db_session.commit()
    runs.execute_run(db_session, run)
    assert freshness.changes_since(db_session, run) is None


def test_grappes_runs_says_when_declarations_changed(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign
) -> None:
    runs.execute_run(db_session, queued_run(db_session, campaign))
    assert "Les déclarations ont changé" not in runner.invoke(args=["runs"]).output
    essms = make_establishment(db_session, make_organisation(db_session, name="OG TARDIVE"))
    make_declaration(db_session, campaign, essms)
    db_session.commit()
    listing = runner.invoke(args=["runs"]).output
    assert (
        "Les déclarations ont changé depuis ce calcul (1 modification) : relancez-le pour en "
        "tenir compte." in listing
    )
