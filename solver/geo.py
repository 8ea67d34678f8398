"""Great-circle distances and neighbour queries.

Neighbour queries run on a k-d tree (scipy's cKDTree) over the points' unit vectors: the
chord between two points grows with their great-circle distance, so the neighbours are the
same as with a haversine BallTree, about 20 times faster (5 s -> 0.25 s for the 48 nearest
of 35,000 points); distances are converted back to great-circle kilometres.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scipy is imported where a tree is built, not by every command
    from scipy.spatial import cKDTree

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


def rows_km(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Distance (km) between points[j] and others[j] for every j: `pairwise_km`'s formula,
    row by row."""
    lat1, lat2 = points[:, 0], others[:, 0]
    dl = others[:, 1] - points[:, 1]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(points: np.ndarray) -> np.ndarray:
    """(x, y, z) on the unit sphere of (lat, lon) radians."""
    lat, lon = points[:, 0], points[:, 1]
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def _chord(angle: np.ndarray | float) -> Any:
    """Chord of the unit sphere for a central angle (radians)."""
    return 2 * np.sin(np.minimum(np.asarray(angle, dtype=float), np.pi) / 2)


class GeoTree:
    """Neighbour queries over (lat, lon) radians: the subset of scikit-learn's haversine
    BallTree that the solver uses (`data`, `query`, `query_radius`; radii in radians), on a
    k-d tree of unit vectors."""

    def __init__(self, points: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.data = np.asarray(points, dtype=float).reshape(-1, 2)
        self._tree: cKDTree = cKDTree(unit_vectors(self.data))

    def query(
        self, points: np.ndarray, k: int, sort_results: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """(central angles in radians, indices) of the k nearest, nearest first."""
        chord, idx = self._tree.query(unit_vectors(np.asarray(points).reshape(-1, 2)), k=k)
        chord, idx = chord.reshape(len(points), k), idx.reshape(len(points), k)
        return 2 * np.arcsin(np.minimum(1.0, chord / 2)), idx.astype(np.intp)

    def query_radius(
        self, points: np.ndarray, r: float | np.ndarray, count_only: bool = False
    ) -> np.ndarray:
        """Per point: the number (count_only) or the indices of tree points within `r`
        radians (one radius, or one per point; the point itself included)."""
        xyz = unit_vectors(np.asarray(points).reshape(-1, 2))
        # a hair wider than the chord of r: the float noise of the chord must not lose a
        # point that the haversine formula puts exactly at r
        found = self._tree.query_ball_point(
            xyz, r=_chord(r) * (1 + 1e-12), return_length=count_only
        )
        if count_only:
            return np.asarray(found, dtype=np.intp)
        out = np.empty(len(found), dtype=object)
        for j, near in enumerate(found):
            out[j] = np.asarray(near, dtype=np.intp)
        return out


def build_tree(points: np.ndarray) -> GeoTree:
    """Neighbour index over (lat, lon) radians (great-circle distances)."""
    return GeoTree(points)


def knn(tree: GeoTree, points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours: (distances km, indices), nearest first."""
    k = min(k, tree.data.shape[0])
    dist, idx = tree.query(points, k=k, sort_results=True)
    return dist * EARTH_RADIUS_KM, idx


def count_within(tree: GeoTree, points: np.ndarray, radius_km: float) -> np.ndarray:
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
