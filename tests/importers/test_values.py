"""Tolerant value readers: what people type, what we store."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.declaration_columns import parse_champ, parse_dui_status, parse_sons_status
from importers.values import (
    ValueProblem,
    cell_text,
    parse_department,
    parse_email,
    parse_finess,
    parse_year,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("cell", "finess"),
    [
        ("010001001", "010001001"),
        (10001001, "010001001"),  # Excel dropped the leading zero
        (10001001.0, "010001001"),
        ("01 000 1001", "010001001"),
        ("2a0001004", "2A0001004"),
        (" 690001003 ", "690001003"),
    ],
)
def test_finess_numbers(cell: object, finess: str) -> None:
    assert parse_finess(cell) == finess  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["12345", "0100010011", "ABCDEFGHI", "", None, "2C0001004"])
def test_bad_finess_numbers(cell: object) -> None:
    with pytest.raises(ValueProblem, match="9 caractères"):
        parse_finess(cell)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("Oui", True),
        ("NON", False),
        ("o", True),
        ("N", False),
        ("x", True),
        ("", None),
        (True, True),
        ("Vrai", True),
        (1, True),
        (0.0, False),
    ],
)
def test_yes_no(cell: object, value: bool | None) -> None:
    assert parse_yes_no(cell) is value  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parser", "cell", "value"),
    [
        (parse_dui_status, "Référencé Ségur", "reference_segur"),
        (parse_dui_status, "REFERENCE_SEGUR", "reference_segur"),
        (parse_dui_status, "Non référencé", "non_reference"),
        (parse_dui_status, "non-reference", "non_reference"),
        (parse_dui_status, "Pas de DUI", "aucun"),
        (parse_dui_status, "", None),
        (parse_sons_status, "Commandé", "commande"),
        (parse_sons_status, "réalisée", "realise"),
        (parse_sons_status, "AUCUN", "aucun"),
        (parse_champ, "ph", "PH"),
        (parse_champ, "Personnes âgées", "PA"),
        (parse_champ, "Protection de l'enfance", "PDE"),
    ],
)
def test_enumerations_in_any_case_with_or_without_accents(
    parser: object, cell: str, value: str | None
) -> None:
    assert parser(cell) == value  # type: ignore[operator]


def test_enumeration_error_lists_accepted_values() -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_sons_status("peut-être")
    assert problem.value.expected == "une valeur parmi : aucun, commande, realise"


@pytest.mark.parametrize(
    ("cell", "code"), [("1", "01"), (1, "01"), ("2a", "2A"), ("974", "974"), ("", None)]
)
def test_departments(cell: object, code: str | None) -> None:
    assert parse_department(cell) == code  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["00", "96", "2C", "999"])
def test_bad_departments(cell: str) -> None:
    with pytest.raises(ValueProblem):
        parse_department(cell)


def test_email_and_year() -> None:
    assert parse_email(" Jean.Dupont@Exemple.FR ") == "Jean.Dupont@exemple.fr"
    assert parse_email("") is None
    with pytest.raises(ValueProblem, match="e-mail"):
        parse_email("jean@")
    assert parse_year(2023.0) == 2023
    assert parse_year(datetime(2022, 5, 1)) == 2022
    with pytest.raises(ValueProblem, match="année"):
        parse_year("l'an dernier")


def test_cell_text() -> None:
    assert cell_text(2024.0) == "2024"
    assert cell_text(None) == ""
    assert cell_text(datetime(2024, 1, 2)) == "2024-01-02"


@given(st.from_regex(r"\A(?:(?:0[1-9]|[1-9][0-9])[0-9]{7}|2[AB][0-9]{7})\Z"))
def test_any_finess_survives_excel_and_spacing(finess: str) -> None:
    """Whatever Excel did to it (number, lost zero, float) or a person (spaces, case).
    FINESS numbers start with the department code, so at most one leading zero."""
    assert parse_finess(finess) == finess
    assert parse_finess(f" {finess[:3]} {finess[3:].lower()} ") == finess
    if finess.isdigit():
        assert parse_finess(int(finess)) == finess
        assert parse_finess(float(finess)) == finess
