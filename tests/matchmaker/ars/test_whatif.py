"""What-if: a planning run queued as a background job, then its outcome on the desk.

The job is not run by the test app (``JOB_BACKEND`` ``worker``): the test executes the
queued run with ``matchmaker.grappes.runs.execute_run``, as the ``campaign.solve`` job does.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.ars import whatif
from matchmaker.ars.services import Forbidden
from matchmaker.extensions import RULES_KEY, rules_of
from matchmaker.grappes import runs
from matchmaker.models import Job, Role, SolverRun
from tests.factories import MakeUser, make_campaign
from tests.helpers import Auth, CsrfClient
from tests.support.occitanie import World


@pytest.fixture
def small_grappes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grappes of 3 here, so that the four ESSMS near Foix can form one."""
    smaller = replace(rules_of(app), min_size=3, min_size_reduced=2)
    monkeypatch.setitem(app.extensions, RULES_KEY, smaller)
    monkeypatch.setitem(app.config, "SOLVER_TIME_LIMIT_S", 10)


def test_the_button_queues_a_planning_run_and_its_job(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    user = auth.login(Role.ARS, form=True)
    response = client.post("/ars/simulations", data={"departement": "09", "campagne": ""})
    assert response.status_code == 302
    run = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert run is not None
    assert (run.mode, run.scope, run.status, run.campaign_id) == (
        "planning",
        ["09"],
        "queued",
        None,
    )
    assert response.headers["Location"].endswith(f"/ars/simulations/{run.id}?region=76")
    job = db_session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job is not None
    assert (job.kind, job.params, job.status) == ("campaign.solve", {"run_id": run.id}, "queued")
    assert job.created_by_user_id == user.id
    page = client.get(f"/ars/simulations/{run.id}").get_data(as_text=True)
    assert "en attente de démarrage" in page and 'http-equiv="refresh"' in page
    listing = client.get("/ars/simulations").get_data(as_text=True)
    assert f"Simulation n° {run.id}" in listing and "Ariège (09)" in listing


def test_the_outcome_shows_grappes_editors_and_the_isolated(
    app: Flask,
    client: CsrfClient,
    auth: Auth,
    db_session: Session,
    world: World,
    small_grappes: None,
) -> None:
    auth.login(Role.ARS, form=True)
    client.post("/ars/simulations", data={"departement": "09"})
    run = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).one()
    runs.execute_run(db_session, run)
    assert run.status == "succeeded"

    result = whatif.outcome(db_session, run)
    placed = {m.finess_et for g in result.grappes for m in g.members}
    isolated = {i.place.finess_et for i in result.isolated}
    candidates = {world.n3.finess_et} | {e.finess_et for e in world.c[1:]}
    assert placed | isolated == candidates and not placed & isolated
    assert {e.finess_et for e in world.c[1:]} <= placed  # four at the same place
    assert result.already_funded == 1  # C1, funded by ESMS numérique
    assert sum(line.essms for line in result.editors) == len(placed)

    page = client.get(f"/ars/simulations/{run.id}").get_data(as_text=True)
    assert f'id="chiffre-grappes">{len(result.grappes)}<' in page
    assert f'id="chiffre-isoles">{len(isolated)}<' in page
    assert whatif.NO_EDITOR in page  # no campaign: editors still to choose
    assert f'data-map-source="/ars/simulations/{run.id}.geojson' in page  # the map
    data = client.get(f"/ars/simulations/{run.id}.geojson").get_json()
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("member") == len(placed) and kinds.count("origin") == len(isolated)
    assert data["meta"]["hulls"]  # one area per possible grappe

    workbook = load_workbook(io.BytesIO(client.get(f"/ars/simulations/{run.id}.xlsx").data))
    assert workbook.sheetnames == ["Simulation", "Par éditeur", "Grappes", "Isolés"]
    members = list(workbook["Grappes"].iter_rows(min_row=2, values_only=True))
    assert {row[2] for row in members} == placed
    isolated_rows = list(workbook["Isolés"].iter_rows(min_row=2, values_only=True))
    assert {row[0] for row in isolated_rows} == isolated


def test_a_simulation_belongs_to_its_region(
    app: Flask,
    db_session: Session,
    world: World,
    make_user: MakeUser,
    client: CsrfClient,
    auth: Auth,
) -> None:
    occitan = make_user(Role.ARS)
    campaign = make_campaign(db_session, "Occitanie 2026", region="76")
    run, _job = whatif.launch(db_session, occitan, "76", None, app.config)
    assert len(run.scope) == 13  # the whole region
    assert whatif.scope_label(run.scope) == "Occitanie"
    breton = make_user(Role.ARS, region="53")
    with pytest.raises(Forbidden):
        whatif.get_run(db_session, "53", run.id)
    with pytest.raises(Forbidden):
        whatif.launch(db_session, breton, "53", None, app.config, campaign_id=campaign.id)
    assert whatif.region_runs(db_session, "53") == []
    assert [r.id for r in whatif.region_runs(db_session, "76")] == [run.id]
    auth.login(Role.ARS, region="53", form=True)
    assert client.get(f"/ars/simulations/{run.id}").status_code == 403
    assert client.get(f"/ars/simulations/{run.id}.xlsx").status_code == 403
    assert client.get("/ars/simulations/999999").status_code == 404


def test_a_job_that_failed_before_the_run_started_shows_its_cause(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    client.post("/ars/simulations", data={"departement": "09"})
    run = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert run is not None
    job = run.job
    assert job is not None
    job.status, job.error = "failed", "Erreur inattendue (OSError) : disque plein"
    db_session.flush()
    page = client.get(f"/ars/simulations/{run.id}").get_data(as_text=True)
    assert "La simulation a échoué : Erreur inattendue (OSError) : disque plein" in page
    assert 'http-equiv="refresh"' not in page


def test_a_failed_simulation_can_be_relaunched_and_a_waiting_one_abandoned(
    client: CsrfClient, auth: Auth, db_session: Session, world: World
) -> None:
    auth.login(Role.ARS, form=True)
    client.post("/ars/simulations", data={"departement": "09"})
    run = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert run is not None and run.job is not None
    page = client.get(f"/ars/simulations/{run.id}").get_data(as_text=True)
    assert "Abandonner la simulation" in page and "Relancer" not in page
    # Its job died before the run started (the sweep failed it): the page settles the run.
    run.job.status, run.job.error = "failed", "Tâche interrompue : le processus s'est arrêté."
    db_session.flush()
    page = client.get(f"/ars/simulations/{run.id}").get_data(as_text=True)
    assert "La simulation a échoué : Tâche interrompue" in page
    assert "Relancer la simulation" in page and "Abandonner" not in page
    assert run.status == "failed"

    response = client.post(f"/ars/simulations/{run.id}/relancer?region=76")
    assert response.status_code == 302
    again = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert again is not None and again.id != run.id
    assert (again.scope, again.mode, again.status) == (["09"], "planning", "queued")
    assert again.job is not None and again.job.params == {"run_id": again.id}
    assert response.headers["Location"].endswith(f"/ars/simulations/{again.id}?region=76")
    refused = client.post(f"/ars/simulations/{again.id}/relancer?region=76", follow_redirects=True)
    assert "Seule une simulation échouée ou annulée" in refused.get_data(as_text=True)

    assert client.post(f"/ars/simulations/{again.id}/abandonner?region=76").status_code == 302
    db_session.refresh(again)
    assert again.status == "cancelled" and again.job is not None
    assert again.job.status == "cancelled"
