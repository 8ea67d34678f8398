"""matchmaker.rules: one frozen rules object, built from the scale file and the settings."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask

from matchmaker import create_app
from matchmaker.extensions import rules_of
from matchmaker.funding.scales import DEFAULT_SCALE_PATH, ScaleError, load_scale
from matchmaker.grappes.params import solve_params
from matchmaker.rules import ProgrammeRules, build_rules


def domain_territories(shared_dir: Path) -> set[str]:
    """The departments DOMAIN.md gives the reduced minimum: Corsica (2A/2B) and the overseas
    departments it lists in the grappe rules."""
    text = (shared_dir / "DOMAIN.md").read_text(encoding="utf-8")
    rule = next(line for line in text.splitlines() if "overseas departments (" in line)
    rule += text.split(rule, 1)[1].split("\n", 1)[0]
    codes = set(re.findall(r"\b97\d\b", rule))
    assert codes, rule
    return codes | {"2A", "2B"}


def test_built_from_the_scale_file_by_default():
    scale = load_scale()
    rules = build_rules({})
    assert rules.scale.grappe == scale.grappe
    assert (rules.min_size, rules.min_size_reduced) == (
        scale.grappe.min_essms,
        scale.grappe.min_essms_overseas_corsica,
    )
    assert rules.max_size == scale.threshold_rank - 1
    assert rules.reduced_minimum_departments == scale.overseas_corsica_departments
    # DOMAIN.md: 15 ESSMS, 8 in Corsica and overseas; funding drops from the 50th
    assert (rules.min_size, rules.min_size_reduced, rules.max_size) == (15, 8, 49)


def test_settings_override_the_scale_file_and_the_territories_stay_one_list():
    rules = build_rules(
        {"GRAPPE_MIN_SIZE": "12", "REDUCED_MINIMUM_DEPARTMENTS": ["2A", "2B", "971"]}
    )
    assert rules.min_size == 12
    assert rules.reduced_minimum_departments == {"2A", "2B", "971"}
    # the funding reads the same list as the solver and the pages
    assert rules.scale.is_overseas_corsica("971") and not rules.scale.is_overseas_corsica("974")
    assert rules.is_reduced("974") is False
    assert rules.solver_settings()["reduced_minimum_departments"] == {"2A", "2B", "971"}


def test_another_scale_file_changes_the_rules(tmp_path: Path):
    source = DEFAULT_SCALE_PATH.read_text(encoding="utf-8")
    path = tmp_path / "scales.toml"
    path.write_text(source.replace("min_essms = 15", "min_essms = 12"), encoding="utf-8")
    assert build_rules({"FUNDING_SCALE_FILE": str(path)}).min_size == 12


@pytest.mark.parametrize(
    ("department", "minimum", "small_og"),
    [("35", 15, 15), ("2A", 8, 8), ("2B", 8, 8), ("971", 8, 8), ("9A", 8, 8), ("976", 8, 8)],
)
def test_the_minimum_and_the_small_og_threshold_follow_the_territory(
    department: str, minimum: int, small_og: int
):
    rules = build_rules({})
    assert rules.min_size_in(department) == minimum
    assert rules.small_og_threshold_in(department) == small_og


def test_the_rules_are_frozen():
    rules = build_rules({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.min_size = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"GRAPPE_MIN_SIZE": "quinze"}, "GRAPPE_MIN_SIZE : nombre entier attendu"),
        ({"GRAPPE_MIN_SIZE_REDUCED": 0}, "au moins 1"),
        ({"GRAPPE_MAX_SIZE": 10}, "inférieure au minimum"),
    ],
)
def test_bad_settings_are_refused_in_french(settings: dict[str, object], message: str):
    with pytest.raises(ScaleError, match=message):
        build_rules(settings)


def test_the_territories_agree_with_domain(shared_dir: Path):
    rules = build_rules({})
    expected = domain_territories(shared_dir)
    assert expected <= rules.reduced_minimum_departments
    # beyond DOMAIN.md, only the overseas collectivities the scale file decided to add
    # (975 Saint-Pierre-et-Miquelon, 977 Saint-Barthélemy, 978 Saint-Martin, issue 12)
    assert rules.reduced_minimum_departments - expected == {"975", "977", "978"}


def test_the_app_builds_its_rules_once(app: Flask):
    rules = rules_of(app)
    assert isinstance(rules, ProgrammeRules)
    assert rules == build_rules(app.config)
    with app.app_context():
        params = solve_params(app.config)
    assert params.min_size == rules.min_size
    assert params.reduced_minimum_departments == rules.reduced_minimum_departments


def test_an_app_with_other_settings_has_other_rules():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "GRAPPE_MIN_SIZE": 10})
    assert rules_of(app).min_size == 10
    assert solve_params(app.config, rules=rules_of(app)).min_size == 10
