"""The funding estimate, checked against DOMAIN.md ("Funding of a grappe", "SONS")."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.funding.estimate import (
    Aap,
    FundingError,
    FundingLine,
    FundingMember,
    LineCode,
    estimate_grappe,
    quick_estimate,
    rank_members,
)
from matchmaker.funding.scales import ProjectType, Scale, load_scale
from tests.support.funding import EditScale

ACQ = ProjectType.ACQUISITION
MDV = ProjectType.MONTEE_VERSION


def members_of(
    og: str, count: int, kind: ProjectType, department: str = "69", start: int = 0
) -> list[FundingMember]:
    """``count`` ESSMS of OG ``og``, FINESS ET numbered from ``start`` with the OG as prefix."""
    return [
        FundingMember(
            finess_et=f"{og}{start + index:04d}",
            finess_ej=og,
            project_type=kind,
            department=department,
        )
        for index in range(count)
    ]


# DOMAIN.md worked examples:
# type, ESSMS, référencé, OG size, usage, software, small-OG maxima, total, SONS.
WORKED_EXAMPLES = [
    pytest.param(ACQ, 46, True, None, 322_000, 667_000, 0, 989_000, 0, id="acq référencé 46"),
    pytest.param(ACQ, 46, False, None, 322_000, 552_000, 0, 874_000, 0, id="acq non réf. 46"),
    pytest.param(ACQ, 8, True, 8, 56_000, 116_000, 275_000, 447_000, 0, id="OG de 8, acq réf."),
    pytest.param(ACQ, 8, False, 8, 56_000, 96_000, 275_000, 427_000, 0, id="OG de 8, acq non réf."),
    pytest.param(MDV, 35, True, None, 175_000, 0, 0, 175_000, 43_120, id="mdv 35"),
    pytest.param(MDV, 72, True, None, 291_000, 0, 0, 291_000, 88_704, id="mdv 72, national"),
    pytest.param(MDV, 8, True, 8, 40_000, 0, 260_000, 300_000, 17_520, id="OG de 8, mdv"),
]


@pytest.mark.parametrize(
    ("kind", "essms", "referenced", "og_size", "usage", "software", "small_og", "total", "sons"),
    WORKED_EXAMPLES,
)
def test_worked_examples(
    scale: Scale,
    kind: ProjectType,
    essms: int,
    referenced: bool,
    og_size: int | None,
    usage: int,
    software: int,
    small_og: int,
    total: int,
    sons: int,
) -> None:
    estimate = quick_estimate(
        kind, essms, editor_referenced=referenced, og_size=og_size, scale=scale
    )
    assert estimate.usage_eur == usage
    assert estimate.software_eur == software
    assert estimate.small_og_max_eur == small_og
    assert estimate.total_eur == total
    assert estimate.sons_eur == sons


def lines(estimate_lines: Sequence[FundingLine]) -> list[tuple[str, int, int, int]]:
    """Lines as (code, quantity, unit, amount), to compare with DOMAIN.md's figures."""
    return [
        (line.code.value, line.quantity, line.unit_eur, line.amount_eur) for line in estimate_lines
    ]


def test_small_og_acquisition_breakdown(scale: Scale) -> None:
    """56 k usage + 116 k software + 160 k hardware + 100 k project + 15 k procurement."""
    estimate = quick_estimate(ACQ, 8, og_size=8, scale=scale)
    assert lines(estimate.lines) == [
        ("usage", 8, 7_000, 56_000),
        ("software", 8, 14_500, 116_000),
        ("hardware", 8, 20_000, 160_000),
        ("project_support", 1, 100_000, 100_000),
        ("procurement", 1, 15_000, 15_000),
    ]
    assert [line.is_maximum for line in estimate.lines] == [False, False, True, True, True]


def test_national_upgrade_breakdown(scale: Scale) -> None:
    """49 × 5 k + 23 × 2 k = 291 k usage; SONS 72 × 1,232 = 88,704."""
    estimate = quick_estimate(MDV, 72, scale=scale)
    assert lines(estimate.lines) == [("usage", 49, 5_000, 245_000), ("usage", 23, 2_000, 46_000)]
    assert [(line.first_rank, line.last_rank) for line in estimate.lines] == [(1, 49), (50, 72)]
    assert lines(estimate.sons_lines) == [("sons", 72, 1_232, 88_704)]
    assert estimate.aap is Aap.NATIONAL


def test_small_og_upgrade_breakdown(scale: Scale) -> None:
    """40 k usage + 100 k project + 160 k hardware; no procurement support (no acquisition)."""
    estimate = quick_estimate(MDV, 8, og_size=8, scale=scale)
    assert lines(estimate.lines) == [
        ("usage", 8, 5_000, 40_000),
        ("hardware", 8, 20_000, 160_000),
        ("project_support", 1, 100_000, 100_000),
    ]
    assert lines(estimate.sons_lines) == [("sons", 8, 2_190, 17_520)]


# The 50th ESSMS of a project gets the reduced amounts: type, ESSMS, usage, software, AAP.
THRESHOLD = [
    (ACQ, True, 48, 336_000, 696_000, Aap.REGIONAL),
    (ACQ, True, 49, 343_000, 710_500, Aap.REGIONAL),
    (ACQ, True, 50, 345_000, 713_500, Aap.NATIONAL),
    (ACQ, True, 51, 347_000, 716_500, Aap.NATIONAL),
    (ACQ, False, 49, 343_000, 588_000, Aap.REGIONAL),
    (ACQ, False, 50, 345_000, 589_000, Aap.NATIONAL),
    (MDV, True, 49, 245_000, 0, Aap.REGIONAL),
    (MDV, True, 50, 247_000, 0, Aap.NATIONAL),
]


@pytest.mark.parametrize(("kind", "referenced", "essms", "usage", "software", "aap"), THRESHOLD)
def test_threshold_49_50(
    scale: Scale,
    kind: ProjectType,
    referenced: bool,
    essms: int,
    usage: int,
    software: int,
    aap: Aap,
) -> None:
    estimate = quick_estimate(kind, essms, editor_referenced=referenced, scale=scale)
    assert (estimate.usage_eur, estimate.software_eur, estimate.aap) == (usage, software, aap)


# SONS per ESSMS by the OG's number of ESSMS: 1 → 4,000; 2–4 → 2,920; 5–10 → 2,190;
# 11–19 → 1,643; 20–99 → 1,232; 100 and more → 1,133.
SONS_EDGES = [
    (1, 4_000),
    (2, 2_920),
    (4, 2_920),
    (5, 2_190),
    (10, 2_190),
    (11, 1_643),
    (19, 1_643),
    (20, 1_232),
    (99, 1_232),
    (100, 1_133),
]


@pytest.mark.parametrize(("og_essms", "per_essms"), SONS_EDGES)
def test_sons_tranche_edges(scale: Scale, og_essms: int, per_essms: int) -> None:
    assert scale.sons.per_essms_eur(og_essms) == per_essms
    estimate = quick_estimate(MDV, og_essms, og_size=og_essms, scale=scale)
    assert estimate.sons_eur == og_essms * per_essms
    assert estimate.ogs[0].sons_per_essms_eur == per_essms


def test_sons_tranche_is_the_og_size_not_its_essms_in_the_grappe(scale: Scale) -> None:
    """3 ESSMS of an OG running 40: the 20–99 tranche, not the 2–4 one."""
    estimate = estimate_grappe(
        members_of("A", 3, MDV), editor_referenced=True, scale=scale, og_essms_counts={"A": 40}
    )
    assert estimate.sons_eur == 3 * 1_232


def test_acquisitions_get_no_sons(scale: Scale) -> None:
    assert quick_estimate(ACQ, 30, scale=scale).sons_eur == 0


# Small OG: fewer than 15 ESSMS (8 in Corsica and overseas) by default; "at most" when
# configured. OG size, Corsica/overseas, comparison mode, small?
SMALL_OG = [
    (14, False, "fewer_than", True),
    (15, False, "fewer_than", False),
    (15, False, "at_most", True),
    (16, False, "at_most", False),
    (7, True, "fewer_than", True),
    (8, True, "fewer_than", False),
    (8, True, "at_most", True),
    (9, True, "at_most", False),
    (14, True, "fewer_than", False),
]


@pytest.mark.parametrize(("og_size", "overseas", "comparison", "small"), SMALL_OG)
def test_small_og_thresholds(
    edit_scale: EditScale, og_size: int, overseas: bool, comparison: str, small: bool
) -> None:
    scale = load_scale(edit_scale(('comparison = "fewer_than"', f'comparison = "{comparison}"')))
    estimate = quick_estimate(ACQ, og_size, og_size=og_size, overseas_corsica=overseas, scale=scale)
    assert estimate.ogs[0].small is small
    expected = og_size * 20_000 + 100_000 + 15_000 if small else 0
    assert estimate.small_og_max_eur == expected


@pytest.mark.parametrize(
    ("departments", "small"),
    [
        (["974"] * 10, False),  # overseas: 10 is not fewer than 8
        (["9D"] * 10, False),  # same, FINESS coding of La Réunion
        (["2A"] * 7, True),
        (["69"] * 10, True),  # mainland: 10 is fewer than 15
        (["2A"] * 9 + ["13"], True),  # one mainland ESSMS: mainland threshold
    ],
)
def test_og_territory_comes_from_its_essms(
    scale: Scale, departments: list[str], small: bool
) -> None:
    members = [
        FundingMember(f"E{index:03d}", "OG", MDV, department)
        for index, department in enumerate(departments)
    ]
    estimate = estimate_grappe(members, editor_referenced=True, scale=scale)
    assert estimate.ogs[0].small is small


def test_an_og_joining_a_grappe_gets_its_share(scale: Scale) -> None:
    """DOMAIN.md: an OG with 8 ESSMS joining an acquisition grappe, référencé: 447 k at most.

    Its own ESSMS bring 56 k + 116 k + 160 k; the grappe adds project support for the
    carrier and procurement support once.
    """
    members = members_of("BIG", 20, ACQ) + members_of("SMALL", 8, ACQ)
    estimate = estimate_grappe(
        members, editor_referenced=True, scale=scale, og_essms_counts={"BIG": 60}
    )
    small = next(og for og in estimate.ogs if og.finess_ej == "SMALL")
    assert (small.usage_eur, small.software_eur, small.hardware_max_eur) == (
        56_000,
        116_000,
        160_000,
    )
    grappe_wide = {line.code: line.amount_eur for line in estimate.lines}
    assert grappe_wide[LineCode.PROJECT_SUPPORT] == 100_000
    assert grappe_wide[LineCode.PROCUREMENT] == 15_000
    assert small.total_eur + 100_000 + 15_000 == 447_000
    big = next(og for og in estimate.ogs if og.finess_ej == "BIG")
    assert not big.small and big.hardware_max_eur == 0


def test_project_support_is_paid_once_per_grappe(scale: Scale) -> None:
    members = members_of("A", 5, ACQ) + members_of("B", 5, ACQ) + members_of("C", 5, ACQ)
    estimate = estimate_grappe(members, editor_referenced=True, scale=scale)
    assert estimate.small_og_max_eur == 15 * 20_000 + 100_000 + 15_000


def test_procurement_support_needs_a_small_og_acquiring(scale: Scale) -> None:
    """A small OG in montée de version beside a large acquiring OG: no procurement line."""
    members = members_of("BIG", 20, ACQ) + members_of("SMALL", 3, MDV)
    estimate = estimate_grappe(members, editor_referenced=True, scale=scale)
    codes = [line.code for line in estimate.lines]
    assert LineCode.PROJECT_SUPPORT in codes
    assert LineCode.PROCUREMENT not in codes
    assert estimate.small_og_max_eur == 3 * 20_000 + 100_000


def test_mixed_grappe_ranks_acquisitions_first(scale: Scale) -> None:
    """30 acquisitions (ranks 1–30) then 25 montées de version: 19 at full rate, 6 reduced."""
    members = members_of("UPG", 25, MDV) + members_of("ACQ", 30, ACQ)
    estimate = estimate_grappe(members, editor_referenced=True, scale=scale)
    assert [
        (line.code.value, line.project_type, line.first_rank, line.last_rank, line.amount_eur)
        for line in estimate.lines
    ] == [
        ("usage", ACQ, 1, 30, 30 * 7_000),
        ("usage", MDV, 31, 49, 19 * 5_000),
        ("usage", MDV, 50, 55, 6 * 2_000),
        ("software", ACQ, 1, 30, 30 * 14_500),
    ]
    assert estimate.usage_eur == 317_000
    assert estimate.software_eur == 435_000
    assert estimate.total_eur == 752_000
    assert estimate.sons_eur == 25 * 1_232
    assert dict(estimate.deadlines_months) == {ACQ: 18, MDV: 9}
    assert any("acquisitions d'abord" in note for note in estimate.notes)


def test_mixed_grappe_with_acquisitions_past_the_threshold(scale: Scale) -> None:
    members = members_of("ACQ", 52, ACQ) + members_of("UPG", 3, MDV)
    estimate = estimate_grappe(
        members, editor_referenced=False, scale=scale, og_essms_counts={"UPG": 30}
    )
    assert estimate.usage_eur == 49 * 7_000 + 3 * 2_000 + 3 * 2_000
    assert estimate.software_eur == 49 * 12_000 + 3 * 1_000
    assert estimate.sons_eur == 3 * 1_232


def test_rank_order_is_acquisitions_then_finess(scale: Scale) -> None:
    members = [
        FundingMember("690000003", "A", MDV, "69"),
        FundingMember("690000002", "A", ACQ, "69"),
        FundingMember("690000001", "B", MDV, "69"),
        FundingMember("690000004", "B", ACQ, "69"),
    ]
    assert [m.finess_et for m in rank_members(members)] == [
        "690000002",
        "690000004",
        "690000001",
        "690000003",
    ]


def test_payment_schedule_splits_the_total(scale: Scale) -> None:
    estimate = quick_estimate(ACQ, 46, scale=scale)
    assert [(p.percent, p.amount_eur) for p in estimate.payments] == [
        (50, 494_500),
        (50, 494_500),
    ]


def test_odd_total_rounds_the_first_payment_down(edit_scale: EditScale) -> None:
    scale = load_scale(
        edit_scale(("usage_before_threshold_eur = 5_000", "usage_before_threshold_eur = 5_001"))
    )
    estimate = quick_estimate(MDV, 1, og_size=20, scale=scale)
    assert [p.amount_eur for p in estimate.payments] == [2_500, 2_501]


def test_modified_scale_changes_the_result_without_code(edit_scale: EditScale) -> None:
    """The 2022 deck's 3,000 usage from the 50th ESSMS, applied to the 72-ESSMS example."""
    path = edit_scale(
        (
            "usage_before_threshold_eur = 5_000\nusage_from_threshold_eur = 2_000",
            "usage_before_threshold_eur = 5_000\nusage_from_threshold_eur = 3_000",
        ),
        (
            "{ from_og_essms = 20, per_essms_eur = 1_232 }",
            "{ from_og_essms = 20, per_essms_eur = 1_300 }",
        ),
        ("threshold = 15", "threshold = 80"),
    )
    scale = load_scale(path)
    estimate = quick_estimate(MDV, 72, scale=scale)
    assert estimate.usage_eur == 49 * 5_000 + 23 * 3_000
    assert estimate.sons_eur == 72 * 1_300
    assert estimate.ogs[0].small  # 72 < 80
    assert estimate.small_og_max_eur == 72 * 20_000 + 100_000


def test_upgrade_with_an_unreferenced_editor_is_flagged(scale: Scale) -> None:
    estimate = quick_estimate(MDV, 20, editor_referenced=False, scale=scale)
    assert estimate.usage_eur == 100_000
    assert any("référencée Ségur" in note for note in estimate.notes)


@pytest.mark.parametrize(
    ("members", "counts", "message"),
    [
        ([], None, "aucun ESSMS"),
        (
            members_of("A", 2, ACQ) + members_of("A", 1, ACQ),
            None,
            "en double dans la grappe : A0000",
        ),
        (members_of("A", 5, ACQ), {"A": 3}, "L'OG A gère 3 ESSMS selon FINESS mais en a 5"),
    ],
)
def test_invalid_grappes(
    scale: Scale,
    members: list[FundingMember],
    counts: dict[str, int] | None,
    message: str,
) -> None:
    with pytest.raises(FundingError, match=message):
        estimate_grappe(members, editor_referenced=True, scale=scale, og_essms_counts=counts)


@pytest.mark.parametrize(("essms", "og_size"), [(0, None), (5, 0), (-1, 3)])
def test_invalid_quick_estimates(scale: Scale, essms: int, og_size: int | None) -> None:
    with pytest.raises(FundingError, match="au moins 1"):
        quick_estimate(ACQ, essms, og_size=og_size, scale=scale)


def test_quick_estimate_spreads_essms_over_ogs_of_the_given_size(scale: Scale) -> None:
    estimate = quick_estimate(MDV, 10, og_size=4, scale=scale)
    assert [(og.og_essms, og.essms_in_grappe) for og in estimate.ogs] == [(4, 4), (4, 4), (4, 2)]
    assert estimate.sons_eur == 10 * 2_920
    assert estimate.small_og_max_eur == 10 * 20_000 + 100_000


# Invariants on random grappes: the parts add up, and member order does not matter.
grappe_members = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C", "D"]),
        st.sampled_from([ACQ, MDV]),
        st.sampled_from(["69", "974", "2A"]),
    ),
    min_size=1,
    max_size=70,
)


@settings(max_examples=60, deadline=None)
@given(rows=grappe_members, referenced=st.booleans(), extra=st.integers(0, 120), data=st.data())
def test_parts_add_up_and_order_does_not_matter(
    scale: Scale,
    rows: list[tuple[str, ProjectType, str]],
    referenced: bool,
    extra: int,
    data: st.DataObject,
) -> None:
    members = [
        FundingMember(f"{og}{index:05d}", og, kind, department)
        for index, (og, kind, department) in enumerate(rows)
    ]
    counts = {"A": sum(1 for m in members if m.finess_ej == "A") + extra}
    estimate = estimate_grappe(
        members, editor_referenced=referenced, scale=scale, og_essms_counts=counts
    )
    assert estimate.total_eur == sum(line.amount_eur for line in estimate.lines)
    assert estimate.usage_eur == sum(og.usage_eur for og in estimate.ogs)
    assert estimate.software_eur == sum(og.software_eur for og in estimate.ogs)
    assert estimate.sons_eur == sum(og.sons_eur for og in estimate.ogs)
    assert estimate.sons_eur == sum(line.amount_eur for line in estimate.sons_lines)
    grappe_wide = sum(
        line.amount_eur
        for line in estimate.lines
        if line.code in (LineCode.PROJECT_SUPPORT, LineCode.PROCUREMENT)
    )
    assert estimate.total_eur == sum(og.total_eur for og in estimate.ogs) + grappe_wide
    assert sum(p.amount_eur for p in estimate.payments) == estimate.total_eur
    assert sum(og.essms_in_grappe for og in estimate.ogs) == len(members)
    shuffled = data.draw(st.permutations(members))
    again = estimate_grappe(
        shuffled, editor_referenced=referenced, scale=scale, og_essms_counts=counts
    )
    assert sorted(dataclasses.astuple(og) for og in again.ogs) == sorted(
        dataclasses.astuple(og) for og in estimate.ogs
    )
    assert again.lines == estimate.lines
