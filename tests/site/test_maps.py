"""Which part of France a map shows first."""

from __future__ import annotations

import pytest

from matchmaker.maps import main_bounds

RENNES, NANTES, SAINT_DENIS = (48.11, -1.68), (47.22, -1.55), (-20.88, 55.45)


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ([], None),
        ([RENNES, NANTES, SAINT_DENIS], ((47.22, -1.68), (48.11, -1.55))),
        ([RENNES, SAINT_DENIS, (-21.3, 55.5)], ((-21.3, -1.68), (48.11, 55.5))),
        ([SAINT_DENIS, (-21.3, 55.5)], ((-21.3, 55.45), (-20.88, 55.5))),
    ],
    ids=["empty", "mainland-majority", "overseas-majority", "overseas-only"],
)
def test_the_mainland_majority_is_shown_first(
    positions: list[tuple[float, float]], expected: object
) -> None:
    assert main_bounds(positions) == expected
