"""``grappes funding``: the quick estimate on the command line (click's CliRunner)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from matchmaker import create_app
from matchmaker.funding.cli import format_eur, funding_command
from tests.support.funding import EditScale

NBSP = "\u00a0"


def run(*args: str) -> Result:
    return CliRunner().invoke(funding_command, list(args))


@pytest.mark.parametrize(
    ("args", "usage", "software", "small_og", "sons", "total"),
    [
        (["--type", "acquisition", "--essms", "46"], 322_000, 667_000, 0, 0, 989_000),
        (["--type", "acquisition", "--essms", "46", "--no-segur"], 322_000, 552_000, 0, 0, 874_000),
        (
            ["--type", "acquisition", "--essms", "8", "--og-size", "8"],
            56_000,
            116_000,
            275_000,
            0,
            447_000,
        ),
        (["--type", "montee_version", "--essms", "35"], 175_000, 0, 0, 43_120, 175_000),
        (["--type", "montee_version", "--essms", "72"], 291_000, 0, 0, 88_704, 291_000),
        (
            ["--type", "montee_version", "--essms", "8", "--og-size", "8"],
            40_000,
            0,
            260_000,
            17_520,
            300_000,
        ),
        (
            ["--type", "acquisition", "--essms", "8", "--og-size", "8", "--overseas"],
            56_000,
            116_000,
            0,
            0,
            172_000,
        ),
    ],
)
def test_json_output(
    args: list[str], usage: int, software: int, small_og: int, sons: int, total: int
) -> None:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["usage_eur"],
        data["software_eur"],
        data["small_og_max_eur"],
        data["sons_eur"],
        data["total_eur"],
    ) == (usage, software, small_og, sons, total)
    assert data["total_eur"] == data["usage_eur"] + data["software_eur"] + data["small_og_max_eur"]
    assert sum(line["amount_eur"] for line in data["lines"]) == data["total_eur"]


def test_json_breakdown_lines() -> None:
    data = json.loads(run("--type", "montee_version", "--essms", "72", "--json").stdout)
    assert [(line["code"], line["quantity"], line["unit_eur"]) for line in data["lines"]] == [
        ("usage", 49, 5_000),
        ("usage", 23, 2_000),
    ]
    assert data["sons_lines"][0]["amount_eur"] == 88_704
    assert data["aap"] == "national"
    assert [p["amount_eur"] for p in data["payments"]] == [145_500, 145_500]
    assert data["project_type"] == "montee_version"
    assert data["og_size"] == 72


def test_human_output_is_french_with_thousands_separators() -> None:
    result = run("--type", "acquisition", "--essms", "46")
    assert result.exit_code == 0
    assert f"989{NBSP}000{NBSP}€" in result.output
    assert f"46 × 14{NBSP}500{NBSP}€ = 667{NBSP}000{NBSP}€" in result.output
    assert "Projet : 46 ESSMS en acquisition, éditeur référencé Ségur" in result.output
    assert "AAP régional" in result.output
    assert "50 % à la signature" in result.output


def test_format_eur() -> None:
    assert format_eur(1_058_500) == f"1{NBSP}058{NBSP}500{NBSP}€"
    assert format_eur(0) == f"0{NBSP}€"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "indiquez --type"),
        (["--type", "achat", "--essms", "3"], "--type « achat » inconnu"),
        (["--type", "acquisition"], "--essms est obligatoire"),
        (["--type", "acquisition", "--essms", "dix"], "--essms attend un nombre entier"),
        (["--type", "acquisition", "--essms", "0"], "--essms doit être au moins 1"),
        (["--type", "acquisition", "--essms", "5", "--og-size", "0"], "--og-size doit être"),
        (["--grappe", "3"], "--grappe s'utilise avec --run"),
        (["--run", "1", "--type", "acquisition"], "--run ne se combine pas avec --type"),
        (["--run", "x"], "--run attend un nombre entier"),
    ],
)
def test_option_errors_in_french(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Erreur : ")
    assert message in result.stderr


def test_another_scale_file_changes_the_result(edit_scale: EditScale) -> None:
    path = edit_scale(
        ("software_before_threshold_eur = 14_500", "software_before_threshold_eur = 15_000")
    )
    data = json.loads(
        run("--type", "acquisition", "--essms", "46", "--json", "--scale", str(path)).stdout
    )
    assert data["software_eur"] == 46 * 15_000


def test_the_scale_file_setting_is_honoured_like_the_site(edit_scale: EditScale) -> None:
    """Issue 12: ``grappes funding`` ignored GRAPPES_FUNDING_SCALE_FILE, which the site
    honours; every entry point reads the programme rules from one place."""
    path = edit_scale(
        ("software_before_threshold_eur = 14_500", "software_before_threshold_eur = 15_000")
    )
    result = CliRunner(env={"GRAPPES_FUNDING_SCALE_FILE": str(path)}).invoke(
        funding_command, ["--type", "acquisition", "--essms", "46", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["software_eur"] == 46 * 15_000
    site = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
         "FUNDING_SCALE_FILE": str(path)}
    )  # fmt: skip
    with site.app_context():
        in_app = CliRunner().invoke(
            funding_command, ["--type", "acquisition", "--essms", "46", "--json"]
        )
    assert json.loads(in_app.stdout)["software_eur"] == 46 * 15_000


def test_instruction_option(edit_scale: EditScale) -> None:
    path = edit_scale(append='\n[instructions."2026"]\nlabel = "incomplet"\n')
    result = run(
        "--type", "acquisition", "--essms", "46", "--scale", str(path), "--instruction", "2026"
    )
    assert result.exit_code == 1
    assert "clé manquante « instructions.2026.per_essms »" in result.stderr


def test_unknown_instruction_and_missing_file() -> None:
    result = run("--type", "acquisition", "--essms", "3", "--instruction", "1999")
    assert result.exit_code == 1
    assert "instruction « 1999 » absente" in result.stderr
    result = run("--type", "acquisition", "--essms", "3", "--scale", "/nonexistent/scales.toml")
    assert "Fichier de barème introuvable" in result.stderr


def test_human_output_names_the_ogs_of_a_spread_project() -> None:
    result = run("--type", "acquisition", "--essms", "60", "--og-size", "5", "--overseas")
    assert "12 OG de 5 ESSMS chacun, Corse ou outre-mer (AAP national)" in result.output
