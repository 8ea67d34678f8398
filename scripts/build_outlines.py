"""Build the offline base layer of the maps: simplified department and region outlines.

Reads the IGN Admin Express 2018 outlines (via france-geojson, Licence Ouverte) from
``../shared/data/geo/`` (or ``GRAPPES_SHARED_DIR``) and writes the simplified GeoJSON the
site ships under ``static/geo/``. Run it again only when the source changes:

    .venv/bin/python scripts/build_outlines.py

Needs shapely (``pip install -e '.[build]'``); the site itself only serves the result.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GRAPPES_SHARED_DIR", ROOT.parent / "shared"))
OUT = ROOT / "static" / "geo"
ATTRIBUTION = "Contours : IGN Admin Express 2018, Licence Ouverte"
#: (source file, output file, tolerance in degrees: about 1.1 km and 2.2 km).
LAYERS = (
    ("departements-avec-outre-mer.geojson", "departements.geojson", 0.01),
    ("regions-avec-outre-mer.geojson", "regions.geojson", 0.02),
)
DECIMALS = 3


def _round(coordinates: Any) -> Any:
    if isinstance(coordinates, (int, float)):
        return round(float(coordinates), DECIMALS)
    return [_round(c) for c in coordinates]


def simplify(collection: dict[str, Any], tolerance: float) -> dict[str, Any]:
    """Each feature simplified (topology of each kept), with ``code``, ``nom`` and a
    label point inside it (``label``: [longitude, latitude])."""
    features = []
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        simple = geometry.simplify(tolerance, preserve_topology=True)
        label = geometry.representative_point()
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": feature["properties"]["code"],
                    "nom": feature["properties"]["nom"],
                    "label": [round(label.x, DECIMALS), round(label.y, DECIMALS)],
                },
                "geometry": {
                    "type": simple.geom_type,
                    "coordinates": _round(mapping(simple)["coordinates"]),
                },
            }
        )
    features.sort(key=lambda f: f["properties"]["code"])
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for source, target, tolerance in LAYERS:
        with (SHARED / "data" / "geo" / source).open(encoding="utf-8") as handle:
            collection = json.load(handle)
        result = simplify(collection, tolerance)
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        (OUT / target).write_text(text + "\n", encoding="utf-8")
        print(f"{target}: {len(result['features'])} contours, {len(text) // 1024} Ko")
    return 0


if __name__ == "__main__":
    sys.exit(main())
