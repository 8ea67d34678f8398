"""The reviewed category table against the shared working table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from importers.categories import CHAMPS, categories, category, essms_label

#: Codes where our table departs from the working table, each by a documented decision.
DECISIONS = {
    "219": (True, "AHI"),
    "242": (True, "PH"),
    "342": (False, "PJM"),
    "345": (True, "PJM"),
    "346": (True, "DOM"),
    "380": (True, "AHI"),
    "451": (True, "DOM"),
    "463": (True, "PA"),
    "608": (True, "PDS"),
    "640": (True, "DOM"),
    "643": (True, "PDE"),
    "644": (True, "PDE"),
}


def working_table(finess_dir: Path) -> dict[str, dict[str, str]]:
    path = finess_dir / "nomenclature" / "categories-finess-champs.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["categetab"]: row for row in csv.DictReader(handle, delimiter=";")}


def test_every_code_of_the_working_table_is_covered(finess_dir: Path) -> None:
    assert set(working_table(finess_dir)) <= set(categories())


def test_differences_are_our_documented_decisions(finess_dir: Path) -> None:
    differing = {}
    for code, row in working_table(finess_dir).items():
        ours = categories()[code]
        theirs = (row["essms_l312_1"], row["champ"] or None)
        if (("oui" if ours.is_essms else "non"), ours.champ) != theirs:
            differing[code] = (ours.is_essms, ours.champ)
    assert differing == DECISIONS
    for code in DECISIONS:
        assert categories()[code].is_decision or categories()[code].to_confirm, code


#: The categories the issue named (« à confirmer » in the working table).
ISSUE_CATEGORIES = ("219", "380", "608", "643")


def test_the_categories_to_confirm_are_decided_from_the_casf_or_shown_to_confirm() -> None:
    """Issue 12: 219 and 380 (AHI), 608 (PDS) and 643 (PDE) were counted as ESSMS
    silently. Each is decided with its CASF L.312-1 item and the CNSA tables, or marked
    « à confirmer » with the reason no decision can be made."""
    to_confirm = {code for code, c in categories().items() if c.to_confirm}
    assert to_confirm == {"219"}
    for code in ISSUE_CATEGORIES:
        known = categories()[code]
        assert "L.312-1" in known.note and "CNSA" in known.note, code
        assert known.note.startswith("À CONFIRMER:" if code in to_confirm else "DECISION:")
    assert essms_label("219", True) == "à confirmer"
    assert essms_label("380", True) == "oui"
    assert essms_label("355", False) == "non"


@pytest.mark.parametrize("code", ["344", "462"])
def test_known_questions_kept_after_review(code: str) -> None:
    """344 DPF stays PJM and 462 lieux de vie stays PDE, with the reason written down."""
    assert categories()[code].is_decision


@pytest.mark.parametrize(
    ("code", "champ"),
    [
        ("500", "PA"), ("202", "PA"), ("183", "PH"), ("246", "PH"), ("255", "PH"),
        ("448", "PH"), ("182", "PH"), ("460", "DOM"), ("354", "DOM"), ("209", "DOM"),
        ("214", "AHI"), ("443", "AHI"), ("177", "PDE"), ("295", "PDE"), ("340", "PJM"),
        ("344", "PJM"), ("197", "PDS"), ("165", "PDS"),
    ],
)  # fmt: skip
def test_known_essms_categories(code: str, champ: str) -> None:
    found = category(code)
    assert found is not None and found.is_essms and found.champ == champ


@pytest.mark.parametrize("code", ["355", "101", "620", "611", "124", "223", "362", "609"])
def test_health_and_other_establishments_are_not_essms(code: str) -> None:
    found = category(code)
    assert found is not None and not found.is_essms


def test_health_domain_is_never_essms_but_for_decisions() -> None:
    health_essms = {c.code for c in categories().values() if c.domain == "SAN" and c.is_essms}
    assert health_essms == {"608", "640"}  # nomenclature errors, see their notes


def test_every_essms_has_a_champ() -> None:
    for found in categories().values():
        if found.is_essms:
            assert found.champ in CHAMPS, found.code


def test_lookup_tolerates_short_codes() -> None:
    assert category("") is None
    assert category("999") is None
    assert category(" 500") is not None
