"""The scale file: DOMAIN.md values by default, and errors that name the faulty key."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.funding.scales import (
    DEFAULT_SCALE_PATH,
    Comparison,
    ProjectType,
    Scale,
    ScaleError,
    load_scale,
    load_scales,
)
from tests.support.funding import EditScale


def test_default_instruction_holds_the_domain_values(scale: Scale) -> None:
    assert scale.threshold_rank == 50
    acquisition = scale.per_essms(ProjectType.ACQUISITION, editor_referenced=True)
    assert (acquisition.usage_eur(False), acquisition.usage_eur(True)) == (7_000, 2_000)
    assert (acquisition.software_eur(False), acquisition.software_eur(True)) == (14_500, 3_000)
    not_referenced = scale.per_essms(ProjectType.ACQUISITION, editor_referenced=False)
    assert (not_referenced.software_eur(False), not_referenced.software_eur(True)) == (
        12_000,
        1_000,
    )
    upgrade = scale.per_essms(ProjectType.MONTEE_VERSION, editor_referenced=True)
    assert (upgrade.usage_eur(False), upgrade.usage_eur(True)) == (5_000, 2_000)
    assert (upgrade.software_eur(False), upgrade.software_eur(True)) == (0, 0)
    assert scale.small_og.threshold == 15
    assert scale.small_og.threshold_overseas_corsica == 8
    assert scale.small_og.comparison is Comparison.FEWER_THAN
    assert scale.small_og.hardware_per_essms_eur == 20_000
    assert scale.small_og.project_support_per_carrier_eur == 100_000
    assert scale.small_og.procurement_per_acquisition_project_eur == 15_000
    assert (scale.payment.at_signature_percent, scale.payment.after_vsr_percent) == (50, 50)
    assert scale.payment.deadline_months(ProjectType.ACQUISITION) == 18
    assert scale.payment.deadline_months(ProjectType.MONTEE_VERSION) == 9
    assert (scale.grappe.min_essms, scale.grappe.min_essms_overseas_corsica) == (15, 8)


@pytest.mark.parametrize(
    ("department", "overseas_corsica"),
    [
        ("2A", True),
        ("2b", True),
        ("971", True),
        ("972", True),
        ("973", True),
        ("974", True),
        ("976", True),
        ("9D", True),  # La Réunion in the FINESS `departement` field
        ("9F", True),  # Mayotte
        ("69", False),
        ("13", False),
        ("975", True),  # Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin:
        ("977", True),  # decided in scales.toml (issue 12)
        ("978", True),
        ("986", False),  # Wallis-et-Futuna: the CASF does not apply
        (None, False),
    ],
)
def test_corsica_and_overseas_departments(
    scale: Scale, department: str | None, overseas_corsica: bool
) -> None:
    assert scale.is_overseas_corsica(department) is overseas_corsica


def copy_of_default_section(name: str) -> str:
    """The default instruction's section, renamed ``name`` (to append to the file)."""
    text = DEFAULT_SCALE_PATH.read_text(encoding="utf-8")
    section = text[text.index("[instructions.generalisation]") :]
    return "\n" + section.replace("[instructions.generalisation", f'[instructions."{name}"')


def test_every_instruction_is_validated_and_can_be_chosen(edit_scale: EditScale) -> None:
    path = edit_scale(append=copy_of_default_section("2026"))
    scales = load_scales(path)
    assert set(scales.instructions) == {"generalisation", "2026"}
    assert load_scale(path, "2026").instruction == "2026"
    assert load_scale(path).instruction == "generalisation"


def test_an_error_in_another_instruction_is_reported(edit_scale: EditScale) -> None:
    broken = copy_of_default_section("2026").replace("threshold = 15", "threshold = 0")
    path = edit_scale(append=broken)
    with pytest.raises(ScaleError, match=r"« instructions\.2026\.small_og\.threshold »"):
        load_scale(path, "generalisation")


# Each case edits the shipped file once; the French message must name the faulty key.
SCALE_ERRORS = [
    pytest.param(
        ("hardware_per_essms_eur = 20_000\n", ""),
        "clé manquante « instructions.generalisation.small_og.hardware_per_essms_eur »",
        id="missing key",
    ),
    pytest.param(
        ("software_before_threshold_eur = 14_500", "softwar_before_threshold_eur = 14_500"),
        "clé inconnue « instructions.generalisation.per_essms.acquisition_referenced."
        "softwar_before_threshold_eur »",
        id="unknown key (typo)",
    ),
    pytest.param(
        ("threshold_rank = 50", 'threshold_rank = "50"'),
        "« instructions.generalisation.per_essms.threshold_rank » doit être un entier ≥ 2",
        id="text instead of integer",
    ),
    pytest.param(
        ("usage_before_threshold_eur = 5_000", "usage_before_threshold_eur = -5_000"),
        "« instructions.generalisation.per_essms.montee_version.usage_before_threshold_eur » "
        "doit être un entier positif ou nul",
        id="negative amount",
    ),
    pytest.param(
        ("min_essms = 15", "min_essms = true"),
        "« instructions.generalisation.grappe.min_essms » doit être un entier ≥ 1",
        id="boolean instead of integer",
    ),
    pytest.param(
        ('comparison = "fewer_than"', 'comparison = "moins_de"'),
        "« instructions.generalisation.small_og.comparison » vaut « moins_de »",
        id="unknown comparison mode",
    ),
    pytest.param(
        ("{ from_og_essms = 1, per_essms_eur = 4_000 },\n", ""),
        "« instructions.generalisation.sons.tranches[0].from_og_essms » doit valoir 1",
        id="SONS tranches do not start at 1",
    ),
    pytest.param(
        ("from_og_essms = 20,", "from_og_essms = 11,"),
        "« instructions.generalisation.sons.tranches[4].from_og_essms » (11) doit être supérieur",
        id="SONS tranches out of order",
    ),
    pytest.param(
        ("after_vsr_percent = 50", "after_vsr_percent = 40"),
        "« instructions.generalisation.payment.after_vsr_percent » doivent faire 100",
        id="payments do not add up to 100 %",
    ),
    pytest.param(
        ('default_instruction = "generalisation"', 'default_instruction = "2031"'),
        "« default_instruction » vaut « 2031 »",
        id="default instruction missing",
    ),
    pytest.param(
        ('"2A", "2B",', "2A,"),
        "TOML invalide",
        id="invalid TOML",
    ),
    pytest.param(
        ('"2A", "2B",', '"2A", "2B", "9A",'),
        "9A n'est pas un code INSEE de département",
        id="FINESS code in the territories",
    ),
]


@pytest.mark.parametrize(("replacement", "message"), SCALE_ERRORS)
def test_invalid_file_names_the_key(
    edit_scale: EditScale, replacement: tuple[str, str], message: str
) -> None:
    path = edit_scale(replacement)
    with pytest.raises(ScaleError) as raised:
        load_scale(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_unknown_instruction_lists_the_available_ones() -> None:
    with pytest.raises(ScaleError, match=r"instruction « 1999 » absente.*generalisation"):
        load_scale(instruction="1999")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScaleError, match="Fichier de barème introuvable"):
        load_scale(tmp_path / "absent.toml")
