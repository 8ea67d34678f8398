"""The priority score's pure rules (``matchmaker.ars.scoring``)."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.ars import scoring


@pytest.mark.parametrize(
    ("peers", "min_size", "factor", "isolated"),
    [
        (14, 15, 1.0, False),  # enough partners for a grappe of 15
        (20, 15, 1.0, False),
        (13, 15, 1 + 1 / 14, True),
        (0, 15, 2.0, True),  # nobody within the radius
        (7, 8, 1.0, False),  # reduced minimum (Corsica, overseas)
        (3, 8, 1 + 4 / 7, True),
        (None, 15, 1.0, False),  # no coordinates: unknown
    ],
)
def test_isolation(peers: int | None, min_size: int, factor: float, isolated: bool) -> None:
    assert scoring.isolation_factor(peers, min_size) == pytest.approx(factor)
    assert scoring.is_isolated(peers, min_size) is isolated


@pytest.mark.parametrize(
    ("peers", "small", "weight", "score"),
    [
        (0, True, 1, 4.0),
        (0, False, 1, 2.0),
        (14, True, 1, 2.0),
        (14, False, 3, 3.0),
        (7, True, 2, 6.0),  # isolation 1.5 × 2 × 2
        (0, True, 0, 0.0),  # weight 0 removes the champ from the priorities
    ],
)
def test_priority_score(peers: int, small: bool, weight: int, score: float) -> None:
    assert scoring.priority_score(peers, 15, small, 2.0, weight) == pytest.approx(score)


def test_peer_counts_use_great_circle_distances() -> None:
    # Toulouse, Colomiers (8.8 km away), Montauban (46.6 km from Toulouse, 45.3 km from
    # Colomiers), one without coordinates.
    latitudes = [43.604, 43.611, 44.018, None]
    longitudes = [1.444, 1.335, 1.355, None]
    assert scoring.peer_counts(latitudes, longitudes, 20) == [1, 1, 0, None]
    assert scoring.peer_counts(latitudes, longitudes, 46) == [1, 2, 1, None]
    assert scoring.peer_counts(latitudes, longitudes, 50) == [2, 2, 2, None]
    assert scoring.peer_counts([None], [None], 20) == [None]


def test_peer_counts_agree_with_the_haversine_distance_over_a_region() -> None:
    # 2,500 points over Occitanie (several blocks of products), against every pairwise
    # haversine distance.
    rng = np.random.default_rng(7)
    latitudes = rng.uniform(42.3, 45.0, 2500)
    longitudes = rng.uniform(-0.3, 4.8, 2500)
    lat, lon = np.radians(latitudes), np.radians(longitudes)
    half_dlat = (lat[:, None] - lat[None, :]) / 2
    half_dlon = (lon[:, None] - lon[None, :]) / 2
    a = (
        np.sin(half_dlat) ** 2
        + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(half_dlon) ** 2
    )
    distance_km = 2 * scoring.EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    for radius in (5.0, 30.0, 120.0):
        expected = (np.count_nonzero(distance_km <= radius, axis=1) - 1).tolist()
        assert scoring.peer_counts(list(latitudes), list(longitudes), radius) == expected
