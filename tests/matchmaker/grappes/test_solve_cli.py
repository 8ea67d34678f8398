"""``grappes solve`` on a real database: candidates from declarations, a run stored with its
grappes and exclusions, a CSV with one row per candidate, locks respected on a re-solve."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from matchmaker.campaigns import exports
from matchmaker.grappes import read_model
from matchmaker.grappes.candidates import ALREADY_FUNDED, NO_COORDINATES, gather_candidates
from matchmaker.grappes.carriers import CHOSEN_CARRIER, apply_chosen_carriers
from matchmaker.grappes.params import params_of
from matchmaker.grappes.scope import resolve_scope
from matchmaker.grappes.storage import previous_solution
from matchmaker.models import Campaign, Lock, SolverRun
from tests.support.solving import solve


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_solve_forms_one_alpha_grappe_and_explains_the_rest(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    out = tmp_path / "run.csv"
    result = solve(runner, campaign, str(out), "--seed", "1")
    assert "1 grappes" in result.output

    run = db_session.scalars(select(SolverRun)).one()
    assert run.status == "succeeded"
    assert run.candidate_count == 23
    assert run.covered_count == 18
    [grappe] = run.grappes
    assert grappe.editor_name == "Alpha Santé"
    assert grappe.size == 18

    rows = _read(out)
    # One shape: the same file as the console's « Exporter (CSV) » of this run.
    assert out.read_bytes() == exports.run_csv(
        read_model.grappe_views(db_session, run), read_model.left_out(db_session, run)
    )
    assert len(rows) == 25  # 23 candidates + 2 set aside
    assert list(rows[0]) == list(exports.RUN_CSV_COLUMNS)
    by_reason = {r["FINESS ET"]: r["Motif"] for r in rows if r["Situation"] == "écarté"}
    assert len(by_reason) == 7
    assert sum("Beta Soft" in reason for reason in by_reason.values()) == 5
    assert any("coordonnées" in reason for reason in by_reason.values())
    assert any("Déjà financé" in reason for reason in by_reason.values())
    carriers = {r["FINESS EJ"] for r in rows if r["Porteur"] == "oui"}
    assert carriers == {grappe.carrier_ej}

    candidates = gather_candidates(
        db_session, campaign_id=campaign.id, mode="interest", departments=["31"]
    )
    stored = previous_solution(run)
    assert stored is not None
    params = params_of(run)
    assert solver.validate(candidates.candidates, params, (), stored) == []

    listing = runner.invoke(args=["runs"])
    assert f"Exécution n° {run.id}" in listing.output


def test_a_run_stores_what_the_solver_saw_of_each_candidate(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "run.csv"), "--seed", "1")
    run = db_session.scalars(select(SolverRun)).one()
    snapshot = {row.finess_et: row for row in run.candidates}
    assert len(snapshot) == 25  # 23 candidates + 2 set aside
    assert sum(row.set_aside for row in snapshot.values()) == 2
    placed = run.grappes[0].members[0]
    row = snapshot[placed.finess_et]
    assert (row.editor, row.dui_status, row.finess_ej) == (
        "Alpha Santé",
        "reference_segur",
        placed.finess_ej,
    )
    assert row.og_size == 1 and row.small_og and row.declaration_id is not None
    assert not row.isolated  # 18 Alpha ESSMS within a few km
    isolated = {f for f, r in snapshot.items() if r.isolated}
    assert isolated and all(snapshot[f].editor == "Beta Soft" for f in isolated)  # 5 of Beta
    assert row.latitude is not None and row.champ is not None


def test_a_lock_excluding_an_essms_holds_on_re_solve(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "a.csv"))
    run = db_session.scalars(select(SolverRun)).one()
    member = run.grappes[0].members[-1].finess_et
    db_session.add(Lock(campaign_id=campaign.id, kind="exclude", finess_et=member))
    db_session.commit()
    solve(runner, campaign, str(tmp_path / "b.csv"), "--resolve", str(run.id))
    rerun = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert rerun is not None and rerun.parent_run_id == run.id
    covered = {m.finess_et for g in rerun.grappes for m in g.members}
    assert member not in covered
    assert rerun.covered_count == 17


def test_planning_mode_takes_every_non_embarked_essms(
    db_session: Session, campaign: Campaign
) -> None:
    found = gather_candidates(db_session, campaign_id=None, mode="planning", departments=["31"])
    assert len(found.candidates) == 23
    assert {a.reason_code for a in found.set_aside} == {
        ALREADY_FUNDED,
        NO_COORDINATES,
    }
    assert all(c.dui_status == "aucun" and c.editor is None for c in found.candidates)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [(["31"], ["31"]), (["2a", "974"], ["2A", "974"]), (["R94"], ["2A", "2B"])],
)
def test_scope_accepts_departments_and_regions(tokens: list[str], expected: list[str]) -> None:
    assert resolve_scope(tokens) == expected


def test_unknown_scope_is_refused_in_french(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        args=["solve", "--planning", "--scope", "99", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code != 0
    assert "Périmètre inconnu" in result.output


def test_funding_of_a_stored_run(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    """18 montées de version (each declared Alpha Santé, the grappe's editor, référencé):
    18 × 5,000 usage, no software; the small-OG maxima: 18 × 20,000 hardware and 100,000
    project support (no procurement without acquisition); SONS 18 × 4,000 to the editor
    (18 single-ESSMS OG)."""
    solve(runner, campaign, str(tmp_path / "r.csv"))
    run = db_session.scalars(select(SolverRun)).one()
    result = runner.invoke(args=["funding", "--run", str(run.id), "--json"])
    assert result.exit_code == 0, result.output
    [grappe] = json.loads(result.output)
    assert grappe["editor"] == "Alpha Santé"
    assert grappe["usage_eur"] == 18 * 5_000
    assert grappe["software_eur"] == 0
    assert grappe["small_og_max_eur"] == 18 * 20_000 + 100_000
    assert grappe["sons_eur"] == 18 * 4_000
    assert grappe["total_eur"] == 18 * 5_000 + 18 * 20_000 + 100_000
    points = {p["code"]: p["status"] for p in grappe["checklist"]}
    assert points["min_size"] == "met"
    assert points["same_editor"] == "met"
    assert points["no_european_funding"] == "to_confirm"
    assert points["carrier_siret"] == "to_confirm"

    missing = runner.invoke(args=["funding", "--run", str(run.id), "--grappe", "9"])
    assert missing.exit_code == 1
    assert "pas de grappe n° 9" in missing.output


def test_the_carrier_chosen_by_the_collectif_holds_on_re_solve(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "a.csv"))
    run = db_session.scalars(select(SolverRun)).one()
    [grappe] = run.grappes
    chosen = next(m.finess_ej for m in grappe.members if m.finess_ej != grappe.carrier_ej)
    db_session.add(
        Lock(campaign_id=campaign.id, kind="carrier", grappe_id=grappe.id, carrier_ej=chosen)
    )
    db_session.commit()
    solve(runner, campaign, str(tmp_path / "b.csv"), "--resolve", str(run.id))
    rerun = db_session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
    assert rerun is not None
    [again] = rerun.grappes
    assert (again.carrier_ej, again.carrier_reason) == (chosen, CHOSEN_CARRIER)
    assert {m.finess_ej for m in again.members if m.is_carrier} == {chosen}


def test_the_most_recent_carrier_choice_wins_within_a_grappe() -> None:
    members = tuple(solver.types.Member(f"31000000{i}", f"EJ{i}", 1.0) for i in range(3))
    grappe = solver.types.Grappe(
        key="g1", editor="Alpha", centre=members[0].finess_et, members=members,
        carrier_ej="EJ0", carrier_reason="OG volontaire", total_km=3.0, mean_km=1.0, n_small_og=3,
    )  # fmt: skip
    solution = solver.types.Solution(status="OPTIMAL", grappes=(grappe,), exclusions=())
    [chosen] = apply_chosen_carriers(solution, ["EJ2", "EJ1", "EJ9"]).grappes
    assert (chosen.carrier_ej, chosen.carrier_reason) == ("EJ2", CHOSEN_CARRIER)
    [kept] = apply_chosen_carriers(solution, ["EJ9"]).grappes
    assert kept.carrier_ej == "EJ0"


def test_near_misses_name_the_grappe_by_its_number_in_french(
    runner: FlaskCliRunner, db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    solve(runner, campaign, str(tmp_path / "run.csv"), "--seed", "1")
    run = db_session.scalars(select(SolverRun)).one()
    near_misses = [e.near_miss for e in run.exclusions if e.near_miss]
    assert near_misses
    for text in near_misses:
        assert not re.search(r"\bG\d{4}\b", text), text
        assert not re.search(r"\d\.\d", text), text
    assert any("la grappe n° 1 " in text for text in near_misses), near_misses
