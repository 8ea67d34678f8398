"""Seeded synthetic candidates at national scale (benchmarks, demo, tests).

Not real data: ~100 departments (94 mainland departments laid out inside a rough outline of
mainland France, Corsica 2A/2B, overseas 971-974 and 976) grouped into 18 regions; ESSMS
clustered around a few towns per department; OG sizes skewed (half run one ESSMS, a few run
more than 50); about 20 editors with Zipf market shares that vary by region; ESSMS without
DUI (half of them naming a preferred editor), SONS orders and volunteer carriers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from solver.types import Candidate

MAINLAND_OUTLINE: tuple[tuple[float, float], ...] = (
    (51.05, 2.40),
    (50.10, 4.20),
    (49.50, 5.90),
    (49.00, 8.20),
    (47.60, 7.60),
    (46.40, 6.10),
    (45.90, 7.00),
    (44.10, 7.70),
    (43.70, 7.50),
    (43.10, 6.00),
    (43.50, 4.00),
    (42.40, 3.10),
    (42.80, 0.00),
    (43.40, -1.80),
    (44.60, -1.20),
    (46.20, -1.20),
    (47.30, -2.50),
    (47.80, -4.50),
    (48.60, -4.70),
    (48.80, -3.00),
    (48.60, -1.50),
    (49.70, -1.90),
    (49.40, 0.10),
    (50.00, 1.40),
)
ISLANDS: dict[str, tuple[float, float, float, str]] = {
    # code: (latitude, longitude, spread km, region)
    "2A": (41.93, 8.74, 18.0, "COR"),
    "2B": (42.55, 9.25, 18.0, "COR"),
    "971": (16.25, -61.58, 12.0, "GUA"),
    "972": (14.64, -61.02, 10.0, "MAR"),
    "973": (4.94, -52.33, 20.0, "GUY"),
    "974": (-21.11, 55.53, 14.0, "REU"),
    "976": (-12.78, 45.23, 6.0, "MAY"),
}
CHAMPS: tuple[tuple[str, float], ...] = (
    ("PH", 0.35),
    ("DOM", 0.35),
    ("PA", 0.23),
    ("PDS", 0.03),
    ("PDE", 0.02),
    ("AHI", 0.01),
    ("PJM", 0.01),
)
OG_SIZES: tuple[tuple[int, int, float], ...] = (
    # (min, max, share of OG)
    (1, 1, 0.52),
    (2, 4, 0.25),
    (5, 14, 0.16),
    (15, 49, 0.06),
    (50, 120, 0.01),
)
KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class Department:
    """A synthetic department: code, centre, typical spread (km), region, weight."""

    code: str
    latitude: float
    longitude: float
    spread_km: float
    region: str
    weight: float


@dataclass(frozen=True)
class SyntheticInstance:
    """Candidates and the geography they were drawn from."""

    candidates: list[Candidate]
    departments: list[Department]

    def scope(self, regions: set[str]) -> list[Candidate]:
        """Candidates of the departments of `regions`."""
        codes = {d.code for d in self.departments if d.region in regions}
        return [c for c in self.candidates if c.department in codes]

    def regional_scope(self, target: int = 3000) -> list[Candidate]:
        """The candidates of the mainland region whose size is closest to `target`."""
        counts: dict[str, int] = {}
        region_of = {d.code: d.region for d in self.departments}
        for c in self.candidates:
            counts[region_of[c.department]] = counts.get(region_of[c.department], 0) + 1
        mainland = sorted(r for r in counts if r.startswith("R"))
        best = min(mainland, key=lambda r: (abs(counts[r] - target), r))
        return self.scope({best})


def _inside(lat: float, lon: float) -> bool:
    """Point-in-polygon (ray casting) against the mainland outline."""
    inside = False
    pts = MAINLAND_OUTLINE
    j = len(pts) - 1
    for i in range(len(pts)):
        yi, xi = pts[i]
        yj, xj = pts[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def make_departments(rng: np.random.Generator) -> list[Department]:
    """94 mainland departments of roughly equal area (Lloyd relaxation), Corsica, overseas."""
    samples: list[tuple[float, float]] = []
    while len(samples) < 6000:
        lat, lon = rng.uniform(42.3, 51.1), rng.uniform(-4.8, 8.3)
        if _inside(lat, lon):
            samples.append((lat, lon * np.cos(np.radians(46.5))))
    pts = np.array(samples)
    km = KMeans(n_clusters=94, n_init=1, random_state=int(rng.integers(1 << 30))).fit(pts)
    centres = sorted(
        ((lat, lon / np.cos(np.radians(46.5))) for lat, lon in km.cluster_centers_),
        key=lambda p: (-round(p[0], 1), p[1]),
    )
    regions = KMeans(n_clusters=12, n_init=4, random_state=int(rng.integers(1 << 30))).fit(
        np.array([(lat, lon * np.cos(np.radians(46.5))) for lat, lon in centres])
    )
    codes = [f"{n:02d}" for n in range(1, 96) if n != 20]
    weights = rng.lognormal(0.0, 0.55, size=len(codes))
    deps = [
        Department(code, lat, lon, 28.0, f"R{int(regions.labels_[k]) + 1:02d}", float(w))
        for k, (code, (lat, lon), w) in enumerate(zip(codes, centres, weights, strict=True))
    ]
    for code, (lat, lon, spread, region) in ISLANDS.items():
        factor = 0.45 if code.startswith("97") else 0.6
        deps.append(Department(code, lat, lon, spread, region, factor * float(rng.lognormal())))
    return deps


def generate(
    n: int = 35_000,
    seed: int = 0,
    n_editors: int = 20,
    no_dui_og_share: float = 0.15,
    preferred_editor_share: float = 0.5,
    sons_og_share: float = 0.12,
) -> SyntheticInstance:
    """A reproducible synthetic instance of about `n` candidates."""
    rng = np.random.default_rng(seed)
    deps = make_departments(rng)
    editors = [f"Editeur {k + 1:02d}" for k in range(n_editors)]
    national = 1.0 / np.arange(1, n_editors + 1) ** 1.1
    national /= national.sum()
    region_shares: dict[str, np.ndarray] = {}
    for region in sorted({d.region for d in deps}):
        s = national * rng.lognormal(0.0, 0.8, size=n_editors)
        region_shares[region] = s / s.sum()
    total_w = sum(d.weight for d in deps)
    candidates: list[Candidate] = []
    for dep in deps:
        quota = max(10, round(n * dep.weight / total_w))
        candidates.extend(
            _department_candidates(
                rng,
                dep,
                quota,
                editors,
                region_shares[dep.region],
                no_dui_og_share,
                preferred_editor_share,
                sons_og_share,
            )
        )
    return SyntheticInstance(candidates, deps)


def _department_candidates(
    rng: np.random.Generator,
    dep: Department,
    quota: int,
    editors: list[str],
    shares: np.ndarray,
    no_dui_og_share: float,
    preferred_editor_share: float,
    sons_og_share: float,
) -> list[Candidate]:
    n_towns = int(rng.integers(1, 5))
    towns = [_offset(rng, dep.latitude, dep.longitude, dep.spread_km * 0.8) for _ in range(n_towns)]
    overseas = dep.code.startswith("97")
    width = 6 if overseas else 7
    out: list[Candidate] = []
    seq = 0
    og_seq = 0
    size_probs = np.array([s for _, _, s in OG_SIZES])
    champs = [c for c, _ in CHAMPS]
    champ_p = np.array([p for _, p in CHAMPS])
    while seq < quota:
        lo, hi, _ = OG_SIZES[int(rng.choice(len(OG_SIZES), p=size_probs))]
        size = min(int(rng.integers(lo, hi + 1)), quota - seq)
        og_seq += 1
        ej = f"{dep.code}{5 * 10 ** (width - 1) + og_seq:0{width}d}"
        if rng.random() < 0.6:
            home = _offset(rng, *towns[int(rng.integers(n_towns))], 8.0)
        else:
            home = _offset(rng, dep.latitude, dep.longitude, dep.spread_km)
        og_editor = editors[int(rng.choice(len(editors), p=shares))]
        no_dui = rng.random() < no_dui_og_share
        preferred = (
            editors[int(rng.choice(len(editors), p=shares))]
            if rng.random() < preferred_editor_share
            else None
        )
        sons = (not no_dui) and rng.random() < sons_og_share
        willing = rng.random() < (0.25 if size >= 5 else 0.03)
        status = "reference_segur" if rng.random() < 0.55 else "non_reference"
        spread = 6.0 if size < 5 else 14.0 if size < 15 else 25.0
        for _ in range(size):
            seq += 1
            lat, lon = _offset(rng, *home, spread)
            editor: str | None = og_editor
            if rng.random() < 0.08:
                editor = editors[int(rng.choice(len(editors), p=shares))]
            if no_dui or rng.random() < 0.04:
                dui, editor, sons_editor = "aucun", preferred, None
            else:
                dui = status
                sons_editor = editor if sons else None
            out.append(
                Candidate(
                    finess_et=f"{dep.code}{seq:0{width}d}",
                    finess_ej=ej,
                    latitude=round(lat, 5),
                    longitude=round(lon, 5),
                    department=dep.code,
                    og_size=size,
                    champ=champs[int(rng.choice(len(champs), p=champ_p))],
                    dui_status=dui,
                    editor=editor,
                    sons_editor=sons_editor,
                    willing_carrier=willing,
                )
            )
    return out


def _offset(
    rng: np.random.Generator, lat: float, lon: float, sigma_km: float
) -> tuple[float, float]:
    """A point drawn around (lat, lon) with a Gaussian spread of `sigma_km`."""
    dy, dx = rng.normal(0.0, sigma_km, size=2)
    lat2 = lat + dy / KM_PER_DEGREE
    lon2 = lon + dx / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    return float(lat2), float(lon2)
