"""The "aller-vers" priority score of a non-embarked ESSMS. Pure functions, no database.

    score = isolation × small OG × champ weight

- **isolation** (1 to 2): an ESSMS needs ``min_size − 1`` partners to form a grappe (15 or
  8 with the reduced minimum of Corsica and overseas, ``GRAPPE_MIN_SIZE*`` settings). With
  ``peers`` non-embarked ESSMS of its region within ``ARS_ISOLATION_RADIUS_KM``, its
  isolation is ``1 + shortfall / needed`` where ``shortfall = max(0, needed − peers)``: 1
  when a grappe could form around it, 2 when nobody is near. It is *isolated* when the
  shortfall is positive. Without coordinates isolation is unknown: factor 1, not isolated.
- **small OG**: ``ARS_SMALL_OG_FACTOR`` (default 2) for an ESSMS whose OG runs fewer ESSMS
  than the small-OG threshold (``SMALL_OG_THRESHOLD*``), 1 otherwise.
- **champ weight**: set by the region's ARS on the page (``ARS_DEFAULT_CHAMP_WEIGHT`` until
  then); 0 removes a champ from the priorities.

Higher scores come first; ties are broken by FINESS number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Mean Earth radius, in km (haversine distances are in radians).
EARTH_RADIUS_KM = 6371.0088


def peer_counts(
    latitudes: Sequence[float | None],
    longitudes: Sequence[float | None],
    radius_km: float,
) -> list[int | None]:
    """For each point, the number of *other* points within ``radius_km`` (great-circle
    distance); None without coordinates.

    Two points are within ``radius_km`` when the angle between them is at most
    ``radius_km / EARTH_RADIUS_KM``, i.e. when the straight line between them on the unit
    sphere is at most ``2 sin(angle / 2)`` long: a ball tree of the points' unit vectors
    (euclidean, 5 times faster than the haversine metric on the same tree) counts them —
    a dense region's 7,000 ESSMS in about 50 ms. scikit-learn is imported on first use;
    web workers import it as they start (:mod:`matchmaker.ops.warmup`), not on a page's
    first request (its import takes seconds: issue 14)."""
    located = [
        i
        for i, (lat, lon) in enumerate(zip(latitudes, longitudes, strict=True))
        if lat is not None and lon is not None
    ]
    counts: list[int | None] = [None] * len(latitudes)
    if not located:
        return counts
    from sklearn.neighbors import BallTree  # pages not scoring never load it

    lat = np.radians(np.fromiter((latitudes[i] for i in located), float, len(located)))
    lon = np.radians(np.fromiter((longitudes[i] for i in located), float, len(located)))
    points = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    chord = 2 * math.sin(min(radius_km / EARTH_RADIUS_KM, math.pi) / 2)
    # Each point is at distance 0 of itself: one less.
    within = BallTree(points).query_radius(points, r=chord, count_only=True) - 1
    for index, count in zip(located, within.tolist(), strict=True):
        counts[index] = int(count)
    return counts


def isolation_factor(peers: int | None, min_size: int) -> float:
    """``1 + shortfall / needed`` with ``needed = min_size − 1`` partners (see the module)."""
    needed = max(min_size - 1, 1)
    if peers is None:
        return 1.0
    shortfall = max(0, needed - peers)
    return 1.0 + shortfall / needed


def is_isolated(peers: int | None, min_size: int) -> bool:
    """Fewer partners within the radius than a grappe of ``min_size`` needs."""
    return peers is not None and peers < min_size - 1


def priority_score(
    peers: int | None,
    min_size: int,
    small_og: bool,
    small_og_factor: float,
    champ_weight: float,
) -> float:
    """isolation × small OG × champ weight, rounded to 3 decimals."""
    small = small_og_factor if small_og else 1.0
    return round(isolation_factor(peers, min_size) * small * champ_weight, 3)
