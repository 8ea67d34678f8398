"""The recevabilité checklist: the ten points of DOMAIN.md, "Eligibility"."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from matchmaker.funding.checklist import (
    ChecklistGrappe,
    ChecklistMember,
    Status,
    check_grappe,
    is_valid_finess,
    is_valid_siret,
)
from matchmaker.funding.scales import Scale

VALID_SIRET = "73282932000074"
EDITOR = "Éditeur Alpha"


def member(index: int, department: str | None = "69", **changes: object) -> ChecklistMember:
    """A member that meets every point; ``changes`` override fields."""
    prefix = {"974": "97", None: "69"}.get(department, department)
    base = ChecklistMember(
        finess_et=f"{prefix}{index:07d}",
        is_essms=True,
        department=department,
        editor=EDITOR,
        sons_editor=None,
        already_funded_esms_numerique=False,
        european_funding=False,
        label=f"ESSMS {index}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def grappe(size: int = 16, department: str = "69", **changes: object) -> ChecklistGrappe:
    """A grappe of ``size`` members that meets every point; ``changes`` override fields."""
    base = ChecklistGrappe(
        members=tuple(member(index, department) for index in range(1, size + 1)),
        editor=EDITOR,
        editor_referenced=True,
        carrier_siret=VALID_SIRET,
        new_operation=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def with_member(index: int, **changes: object) -> Callable[[ChecklistGrappe], ChecklistGrappe]:
    """Change member n° ``index`` (1-based) of the grappe."""

    def edit(g: ChecklistGrappe) -> ChecklistGrappe:
        members = list(g.members)
        members[index - 1] = dataclasses.replace(members[index - 1], **changes)  # type: ignore[arg-type]
        return dataclasses.replace(g, members=tuple(members))

    return edit


def with_grappe(**changes: object) -> Callable[[ChecklistGrappe], ChecklistGrappe]:
    def edit(g: ChecklistGrappe) -> ChecklistGrappe:
        return dataclasses.replace(g, **changes)  # type: ignore[arg-type]

    return edit


def test_a_complete_grappe_meets_all_ten_points(scale: Scale) -> None:
    checklist = check_grappe(grappe(), scale=scale)
    assert [point.number for point in checklist.points] == list(range(1, 11))
    assert all(point.status is Status.MET for point in checklist.points)
    assert checklist.status is Status.MET
    assert checklist.to_dict()["status_label"] == "respecté"


# One grappe failing each point: point, how to break it, the offending ESSMS named.
FAILING = [
    (1, "eligible_essms", with_member(3, is_essms=False), ("690000003",)),
    (2, "min_size", with_grappe(members=grappe(14).members), ()),
    (3, "finess_et", with_member(2, finess_et="6900002"), ("6900002",)),
    (3, "finess_et", with_member(2, finess_et=None), ("ESSMS 2",)),
    (4, "carrier_siret", with_grappe(carrier_siret="73282932000075"), ()),
    (5, "new_operation", with_grappe(new_operation=False), ()),
    (6, "no_european_funding", with_member(5, european_funding=True), ("690000005",)),
    (7, "not_already_funded", with_member(6, already_funded_esms_numerique=True), ("690000006",)),
    (8, "sons_same_editor", with_member(7, sons_editor="Éditeur Bêta"), ("690000007",)),
    (9, "same_editor", with_member(8, editor="Éditeur Bêta"), ("690000008",)),
    (10, "segur_referenced", with_grappe(editor_referenced=False), ()),
]


@pytest.mark.parametrize(("number", "code", "edit", "offending"), FAILING)
def test_a_grappe_failing_one_point(
    scale: Scale,
    number: int,
    code: str,
    edit: Callable[[ChecklistGrappe], ChecklistGrappe],
    offending: tuple[str, ...],
) -> None:
    checklist = check_grappe(edit(grappe()), scale=scale)
    point = checklist.point(code)
    assert point.number == number
    assert point.status is Status.NOT_MET
    assert point.offending == offending
    assert checklist.status is Status.NOT_MET
    others = [p for p in checklist.points if p.code != code]
    assert all(p.status is Status.MET for p in others), [p.code for p in others]


# What our data cannot tell: the point is to confirm, naming the unknown ESSMS.
TO_CONFIRM = [
    (1, "eligible_essms", with_member(1, is_essms=None), ("690000001",)),
    (4, "carrier_siret", with_grappe(carrier_siret=None), ()),
    (5, "new_operation", with_grappe(new_operation=None), ()),
    (6, "no_european_funding", with_member(2, european_funding=None), ("690000002",)),
    (7, "not_already_funded", with_member(3, already_funded_esms_numerique=None), ("690000003",)),
    (9, "same_editor", with_member(4, editor=None), ("690000004",)),
    (10, "segur_referenced", with_grappe(editor_referenced=None), ()),
]


@pytest.mark.parametrize(("number", "code", "edit", "unknown"), TO_CONFIRM)
def test_unknown_facts_are_to_confirm(
    scale: Scale,
    number: int,
    code: str,
    edit: Callable[[ChecklistGrappe], ChecklistGrappe],
    unknown: tuple[str, ...],
) -> None:
    checklist = check_grappe(edit(grappe()), scale=scale)
    point = checklist.point(code)
    assert (point.number, point.status, point.offending) == (number, Status.TO_CONFIRM, unknown)
    assert checklist.status is Status.TO_CONFIRM


def test_european_funding_is_to_confirm_by_default(scale: Scale) -> None:
    """Our data never says whether an ESSMS got European funding."""
    members = tuple(dataclasses.replace(m, european_funding=None) for m in grappe().members)
    checklist = check_grappe(grappe(members=members), scale=scale)
    assert checklist.point("no_european_funding").status is Status.TO_CONFIRM
    assert ChecklistMember("690000001", True, "69", EDITOR).european_funding is None


def test_one_failing_essms_outweighs_unknown_ones(scale: Scale) -> None:
    edited = with_member(2, european_funding=True)(with_member(1, european_funding=None)(grappe()))
    point = check_grappe(edited, scale=scale).point("no_european_funding")
    assert (point.status, point.offending) == (Status.NOT_MET, ("690000002",))


# Minimum size: 15 distinct FINESS ET, 8 when every ESSMS is in Corsica or overseas.
MIN_SIZE = [
    ("15 en métropole", [("69", 15)], Status.MET),
    ("14 en métropole", [("69", 14)], Status.NOT_MET),
    ("8 à La Réunion", [("974", 8)], Status.MET),
    ("7 à La Réunion", [("974", 7)], Status.NOT_MET),
    ("8 en Corse-du-Sud", [("2A", 8)], Status.MET),
    ("7 en Corse et 1 à La Réunion", [("2A", 7), ("974", 1)], Status.MET),
    ("8 outre-mer et 1 métropole", [("974", 8), ("69", 1)], Status.NOT_MET),
    ("14 outre-mer et 1 métropole", [("974", 14), ("69", 1)], Status.MET),
]


@pytest.mark.parametrize(("case", "parts", "status"), MIN_SIZE)
def test_minimum_size_and_overseas(
    scale: Scale, case: str, parts: list[tuple[str, int]], status: Status
) -> None:
    members: list[ChecklistMember] = []
    for department, count in parts:
        members += [member(len(members) + i + 1, department) for i in range(count)]
    point = check_grappe(grappe(members=tuple(members)), scale=scale).point("min_size")
    assert point.status is status, case


def test_minimum_size_counts_distinct_finess(scale: Scale) -> None:
    members = (*grappe(14).members, member(1))
    point = check_grappe(grappe(members=members), scale=scale).point("min_size")
    assert (point.status, point.offending) == (Status.NOT_MET, ("690000001",))
    assert "14 ESSMS distincts" in point.detail


def test_overseas_minimum_with_unknown_departments_is_to_confirm(scale: Scale) -> None:
    members = (*(member(i, "974") for i in range(1, 9)), member(9, department=None))
    point = check_grappe(grappe(members=members), scale=scale).point("min_size")
    assert (point.status, point.offending) == (Status.TO_CONFIRM, ("690000009",))


def test_sons_of_another_editor_without_a_grappe_editor(scale: Scale) -> None:
    edited = with_member(1, sons_editor="Éditeur Bêta")(grappe(editor=None))
    point = check_grappe(edited, scale=scale).point("sons_same_editor")
    assert (point.status, point.offending) == (Status.TO_CONFIRM, ("690000001",))


def test_editor_names_compare_without_case_or_accents(scale: Scale) -> None:
    edited = with_member(1, editor="  editeur   ALPHA ", sons_editor="EDITEUR alpha")(grappe())
    checklist = check_grappe(edited, scale=scale)
    assert checklist.point("same_editor").status is Status.MET
    assert checklist.point("sons_same_editor").status is Status.MET


def test_without_a_grappe_editor_the_minority_is_named(scale: Scale) -> None:
    edited = with_member(2, editor="Éditeur Bêta")(grappe(editor=None))
    point = check_grappe(edited, scale=scale).point("same_editor")
    assert (point.status, point.offending) == (Status.NOT_MET, ("690000002",))


def test_labels_are_french_and_use_the_scale(scale: Scale) -> None:
    labels = [point.label for point in check_grappe(grappe(), scale=scale).points]
    assert labels[1] == "La grappe compte au moins 15 ESSMS (8 en Corse et en outre-mer)"
    assert labels[9] == "La solution est référencée Ségur (ou son référencement est imminent)"


@pytest.mark.parametrize(
    ("finess", "valid"),
    [
        ("690000001", True),
        ("2A0000001", True),
        ("2b0000001", True),
        ("970400001", True),
        ("69000001", False),
        ("6900000012", False),
        ("69000000A", False),
        ("", False),
        (None, False),
    ],
)
def test_finess_format(finess: str | None, valid: bool) -> None:
    assert is_valid_finess(finess) is valid


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),
        ("732 829 320 00074", True),
        ("73282932000075", False),  # wrong Luhn key
        ("7328293200007", False),  # 13 digits
        ("35600000000048", True),  # La Poste, Luhn key valid
        ("35600000049837", True),  # La Poste: Luhn fails, but digit sum 45 is a multiple of 5
        ("35600000000013", False),  # La Poste: neither rule
        (None, False),
    ],
)
def test_siret_check(siret: str | None, valid: bool) -> None:
    assert is_valid_siret(siret) is valid


def test_point_4_says_whether_the_carrier_or_its_siret_is_missing(scale: Scale) -> None:
    no_carrier = check_grappe(grappe(carrier_siret=None), scale=scale).point("carrier_siret")
    assert no_carrier.status is Status.TO_CONFIRM
    assert no_carrier.detail.startswith("Porteur non désigné")
    named = grappe(carrier_siret=None, carrier_ej="690000001")
    no_siret = check_grappe(named, scale=scale).point("carrier_siret")
    assert no_siret.status is Status.TO_CONFIRM
    assert "690000001" in no_siret.detail and "SIRET n'est pas renseigné" in no_siret.detail
    assert "non désigné" not in no_siret.detail


def test_a_failing_point_names_the_essms(scale: Scale) -> None:
    edited = with_member(2, already_funded_esms_numerique=True)(grappe())
    point = check_grappe(edited, scale=scale).point("not_already_funded")
    assert point.detail == "1 ESSMS : déjà financé par ESMS numérique (690000002)."
    many = grappe(
        members=tuple(member(i, already_funded_esms_numerique=True) for i in range(1, 16))
    )
    listed = check_grappe(many, scale=scale).point("not_already_funded").detail
    assert listed.endswith("690000010 et 5 autres).")
