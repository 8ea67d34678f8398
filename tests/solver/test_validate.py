"""The validator catches each broken rule on hand-made bad solutions; params and geo helpers."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace

import pytest

from solver import (
    Apart,
    Exclusion,
    Grappe,
    Member,
    Solution,
    SolveParams,
    is_reduced_minimum,
    solve,
    validate,
)
from solver.__main__ import main
from solver.geo import haversine_km
from solver.io import dump_instance, solution_from_dict, solution_to_dict
from solver.types import PARAM_HELP
from tests.helpers import ROOT
from tests.support.solver import PROGRAMME_REDUCED


def grappe_of(cands, key="G1", editor="A", carrier=None):  # type: ignore[no-untyped-def]
    centre = cands[0]
    members = tuple(
        Member(
            c.finess_et,
            c.finess_ej,
            round(haversine_km(c.latitude, c.longitude, centre.latitude, centre.longitude), 1),
        )
        for c in cands
    )
    return Grappe(
        key=key,
        editor=editor,
        centre=centre.finess_et,
        members=members,
        carrier_ej=carrier or cands[0].finess_ej,
        carrier_reason="",
        total_km=0.0,
        mean_km=0.0,
        n_small_og=0,
    )


def solution_of(grappes, excluded=()):  # type: ignore[no-untyped-def]
    return Solution(
        status="FEASIBLE",
        grappes=tuple(grappes),
        exclusions=tuple(Exclusion(c.finess_et, "x", "x") for c in excluded),
    )


def rules(violations):  # type: ignore[no-untyped-def]
    return {v.rule for v in violations}


def test_valid_solution_passes(make_cluster):
    cands = make_cluster(15)
    assert validate(cands, SolveParams(), (), solution_of([grappe_of(cands)])) == []


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("too_small", "min_size"),
        ("too_big", "max_size"),
        ("two_editors", "editor"),
        ("og_split", "og_together"),
        ("unaccounted", "unaccounted"),
        ("twice", "twice"),
        ("bad_distance", "distance_report"),
        ("too_far", "max_distance"),
        ("bad_carrier", "carrier"),
        ("apart", "lock_apart"),
        ("open_with_fixed", "editor"),
    ],
)
def test_each_rule_is_checked(case, rule, make_cluster, make_candidate):
    params = SolveParams(max_size=20, max_distance_km=50.0)
    cands = make_cluster(16)
    grappes = [grappe_of(cands)]
    locks: tuple = ()
    excluded: list = []
    if case == "too_small":
        grappes = [grappe_of(cands[:14])]
        excluded = cands[14:]
    elif case == "too_big":
        cands = make_cluster(21)
        grappes = [grappe_of(cands)]
    elif case == "two_editors":
        cands = [*cands, make_candidate(editor="B")]
        grappes = [grappe_of(cands)]
    elif case == "og_split":
        og = make_cluster(2, finess_ej="EJSPLIT01", og_size=2)
        cands = [*cands, *og]
        grappes = [grappe_of(cands[:17])]
        excluded = cands[17:]
    elif case == "unaccounted":
        cands = [*cands, make_candidate()]
    elif case == "twice":
        other = make_cluster(15, 10.0, 0.0)
        cands = [*cands, *other]
        grappes = [grappe_of(cands[:16]), grappe_of([cands[0], *other], key="G2")]
    elif case == "bad_distance":
        g = grappes[0]
        grappes = [
            replace(
                g, members=(replace(g.members[1], distance_km=99.0), *g.members[2:], g.members[0])
            )
        ]
    elif case == "too_far":
        cands = [*cands, make_candidate(80.0, 0.0)]
        grappes = [grappe_of(cands)]
    elif case == "bad_carrier":
        grappes = [grappe_of(cands, carrier="EJNOBODY1")]
    elif case == "apart":
        locks = (Apart(cands[1].finess_et, cands[2].finess_et),)
    elif case == "open_with_fixed":
        grappes = [grappe_of(cands, editor=None)]
    found = rules(validate(cands, params, locks, solution_of(grappes, excluded)))
    assert rule in found


@pytest.mark.parametrize(
    ("department", "reduced"),
    [
        ("2A", True),
        ("2B", True),
        ("971", True),
        ("974", True),
        ("976", True),
        ("975", True),
        ("977", True),
        ("978", True),
        ("986", False),
        ("69", False),
        ("75", False),
        ("20", False),
        ("97", False),
    ],
)
def test_reduced_minimum_departments(department, reduced):
    assert is_reduced_minimum(department, PROGRAMME_REDUCED) is reduced


def test_programme_defaults_and_help():
    params = SolveParams()
    assert (params.min_size, params.min_size_overseas, params.max_size) == (15, 8, 49)
    assert params.small_og_threshold == 15
    assert {f.name for f in dataclasses.fields(SolveParams)} == set(PARAM_HELP)
    with pytest.raises(ValueError):
        SolveParams(min_size=50, max_size=49)
    with pytest.raises(ValueError):
        SolveParams.from_dict({"min_sise": 3})


def test_haversine_paris_lyon():
    assert haversine_km(48.8566, 2.3522, 45.7640, 4.8357) == pytest.approx(392, abs=2)


def test_command_line_round_trip(tmp_path, make_cluster, capsys):
    cands = make_cluster(16)
    instance = tmp_path / "instance.json"
    out = tmp_path / "result.json"
    dump_instance(
        instance,
        cands,
        SolveParams(time_limit_s=5.0),
        (Apart(cands[0].finess_et, cands[1].finess_et),),
    )
    assert main([str(instance), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Grappes : 1" in printed and "Statut :" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    solution = solution_from_dict(data)
    assert json.loads(json.dumps(solution_to_dict(solution))) == data
    assert validate(cands, SolveParams(), (), solution) == []


def test_progress_is_reported_in_french(make_cluster):
    seen: list[tuple[float, str]] = []
    solve(
        make_cluster(16), SolveParams(time_limit_s=5.0), progress=lambda f, m: seen.append((f, m))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    # « Terminé » belongs to the run, once its grappes are stored (matchmaker.grappes.runs)
    assert seen[-1][1].startswith("Solution trouvée : 1 grappes")


def test_every_setting_is_documented():
    doc = (ROOT / "bench" / "SOLVER.md").read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(SolveParams) if f"`{f.name}`" not in doc]
    assert missing == []
