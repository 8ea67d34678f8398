"""FINESS coordinates: read the CRS from the source text, reproject to WGS84 in batches.

The ``sourcecoordet`` field of ``geolocalisation`` lines has had several spellings:

- 2016 (split by ``;`` into the line itself): ``1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;LAMBERT_93``
- 2018–2021: ``1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93`` (also ``UTM_N20``,
  ``UTM_N21``, ``UTM_N22``, ``UTM_S38``, ``UTM_S40``)
- 2026: ``rank,provider,score,geocoder,CRS text``, e.g.
  ``1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)``, with the overseas
  ``EPSG:5490 …``, ``EPSG:2972 …``, ``EPSG:2975 …``, ``EPSG:4471 …`` and two texts without
  an EPSG prefix, ``WGS84/UTM zone 21N (St-Pierre-et-Miquelon)`` and ``WGS84 / UTM 1S``.

The CRS is read from each line (never from the department). The third token is the
geocoding score; ``.`` (or an ``ADMIN-EXPRESS`` geocoder) means the point is the commune
centroid, which we flag as approximate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pyproj is imported when a CRS is first needed, not at start-up
    from pyproj import Transformer

WGS84 = 4326
LAMBERT_93 = 2154

#: UTM zones used by FINESS for French territories, and the EPSG code of their datum.
FRENCH_UTM: dict[tuple[int, str], int] = {
    (20, "N"): 5490,  # RGAF09 / UTM 20N: Guadeloupe, Martinique, St-Barthélemy, St-Martin
    (21, "N"): 32621,  # WGS84 / UTM 21N as FINESS writes it (St-Pierre-et-Miquelon)
    (22, "N"): 2972,  # RGFG95 / UTM 22N: Guyane
    (38, "S"): 4471,  # RGM04 / UTM 38S: Mayotte
    (40, "S"): 2975,  # RGR92 / UTM 40S: La Réunion
    (1, "S"): 32701,  # WGS84 / UTM 1S: Wallis-et-Futuna
}

_EPSG = re.compile(r"EPSG\s*:\s*(\d{4,5})", re.IGNORECASE)
_LAMBERT = re.compile(r"LAMBERT[\s_\-]*93", re.IGNORECASE)
_UTM_OLD = re.compile(r"UTM_([NS])(\d{1,2})\b", re.IGNORECASE)
_UTM_TEXT = re.compile(r"UTM\s*(?:ZONE\s*)?(\d{1,2})\s*([NS])\b", re.IGNORECASE)
_WGS84 = re.compile(r"WGS\s*84", re.IGNORECASE)


@dataclass(frozen=True)
class SourceInfo:
    """What a ``sourcecoordet`` text tells: the CRS, and whether the point is approximate."""

    epsg: int | None
    approximate: bool


def utm_epsg(zone: int, hemisphere: str, wgs84: bool = False) -> int:
    """EPSG code of a UTM zone: the French datum FINESS uses, else WGS84 UTM."""
    hemisphere = hemisphere.upper()
    if not wgs84 and (zone, hemisphere) in FRENCH_UTM:
        return FRENCH_UTM[(zone, hemisphere)]
    return (32600 if hemisphere == "N" else 32700) + zone


@lru_cache(maxsize=256)
def read_source(text: str) -> SourceInfo:
    """Parse a ``sourcecoordet`` text (any historical spelling) into CRS and precision.

    Unknown or empty texts give ``epsg=None``: the caller decides (department default).
    """
    tokens = [token.strip() for token in re.split(r"[,;]", text)]
    score = tokens[2] if len(tokens) > 2 else ""
    geocoder = tokens[3] if len(tokens) > 3 else ""
    approximate = score == "." or geocoder.upper().startswith("ADMIN-EXPRESS")
    epsg: int | None = None
    if match := _EPSG.search(text):
        epsg = int(match.group(1))
    elif _LAMBERT.search(text):
        epsg = LAMBERT_93
    elif match := _UTM_OLD.search(text):
        epsg = utm_epsg(int(match.group(2)), match.group(1))
    elif match := _UTM_TEXT.search(text):
        epsg = utm_epsg(int(match.group(1)), match.group(2), wgs84=bool(_WGS84.search(text)))
    return SourceInfo(epsg=epsg, approximate=approximate)


class Reprojector:
    """Projected coordinates → WGS84, one transformer per CRS, built once per import.

    ``add`` queues a point under its EPSG code; ``run`` transforms each CRS batch with one
    vectorised call and returns ``{key: (latitude, longitude)}``.
    """

    def __init__(self) -> None:
        self._transformers: dict[int, Transformer] = {}
        self._batches: dict[int, tuple[list[str], list[float], list[float]]] = {}

    def transformer(self, epsg: int) -> Transformer:
        """The (cached) transformer from ``epsg`` to WGS84, x/y in easting/northing order."""
        from pyproj import Transformer

        if epsg not in self._transformers:
            self._transformers[epsg] = Transformer.from_crs(epsg, WGS84, always_xy=True)
        return self._transformers[epsg]

    def knows(self, epsg: int | None) -> bool:
        """True when ``epsg`` is a CRS pyproj can transform from (0/None: no)."""
        from pyproj.exceptions import CRSError

        if not epsg:
            return False
        try:
            self.transformer(epsg)
        except CRSError:
            return False
        return True

    def add(self, key: str, epsg: int, x: float, y: float) -> None:
        keys, xs, ys = self._batches.setdefault(epsg, ([], [], []))
        keys.append(key)
        xs.append(x)
        ys.append(y)

    def run(self) -> dict[str, tuple[float, float]]:
        """Transform every queued batch; points that fail (infinite) are left out."""
        result: dict[str, tuple[float, float]] = {}
        for epsg, (keys, xs, ys) in self._batches.items():
            lon, lat = self.transformer(epsg).transform(np.asarray(xs), np.asarray(ys))
            lat = np.round(np.asarray(lat, dtype=float), 6)
            lon = np.round(np.asarray(lon, dtype=float), 6)
            ok = np.isfinite(lat) & np.isfinite(lon)
            for key, la, lo, good in zip(
                keys, lat.tolist(), lon.tolist(), ok.tolist(), strict=True
            ):
                if good:
                    result[key] = (la, lo)
        self._batches.clear()
        return result


def is_degrees(value: float) -> bool:
    """A value that can only be an angle (WGS84), not projected metres."""
    return abs(value) <= 180.0
