"""Great-circle distances and neighbour queries (scikit-learn BallTree, haversine metric)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where a tree is built, not by every command
    from sklearn.neighbors import BallTree

EARTH_RADIUS_KM = 6371.0088


def is_reduced_minimum(department: str, departments: Iterable[str]) -> bool:
    """True when the reduced minimum grappe size (Corsica, overseas) applies to `department`.

    `departments` is the programme's list (SolveParams.reduced_minimum_departments).

    Accepts department codes ('2A', '971') and the 3-character FINESS prefixes of overseas
    ('971', '9A'...).
    """
    code = department.strip().upper()
    allowed = set(departments)
    return code in allowed or code[:3] in allowed


def to_radians(latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """Stack (lat, lon) in radians, the layout BallTree's haversine metric expects."""
    return np.radians(np.column_stack([latitudes, longitudes]))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(1.0, h))))


def pairwise_km(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Distance matrix (km) between two arrays of (lat, lon) radians."""
    lat1 = points[:, 0][:, None]
    lat2 = others[:, 0][None, :]
    dl = others[:, 1][None, :] - points[:, 1][:, None]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def build_tree(points: np.ndarray) -> BallTree:
    """BallTree over (lat, lon) radians with the haversine metric."""
    from sklearn.neighbors import BallTree

    return BallTree(points, metric="haversine")


def knn(tree: BallTree, points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours: (distances km, indices), nearest first, ties stable."""
    k = min(k, tree.data.shape[0])
    dist, idx = tree.query(points, k=k, sort_results=True)
    return dist * EARTH_RADIUS_KM, idx


def count_within(tree: BallTree, points: np.ndarray, radius_km: float) -> np.ndarray:
    """Number of tree points within `radius_km` of each point (the point itself included)."""
    return tree.query_radius(points, r=radius_km / EARTH_RADIUS_KM, count_only=True)


def split_compact(points: np.ndarray, members: list[int], max_size: int) -> list[list[int]]:
    """Cut an oversize OG block into the fewest chunks of at most `max_size`, geographically
    compact (recursive bisection on the widest axis, sizes as equal as possible)."""
    n_chunks = -(-len(members) // max_size)
    return _bisect(points, sorted(members), n_chunks)


def _bisect(points: np.ndarray, members: list[int], n_chunks: int) -> list[list[int]]:
    if n_chunks <= 1:
        return [members]
    left_chunks = n_chunks // 2
    xy = planar(points[members])
    axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
    order = sorted(range(len(members)), key=lambda j: (xy[j, axis], members[j]))
    cut = round(len(members) * left_chunks / n_chunks)
    left = sorted(members[j] for j in order[:cut])
    right = sorted(members[j] for j in order[cut:])
    return _bisect(points, left, left_chunks) + _bisect(points, right, n_chunks - left_chunks)


def planar(points: np.ndarray) -> np.ndarray:
    """Rough equirectangular projection (km) of (lat, lon) radians, for geometric cuts."""
    lat = points[:, 0]
    x = points[:, 1] * np.cos(lat) * EARTH_RADIUS_KM
    y = lat * EARTH_RADIUS_KM
    return np.column_stack([x, y])
