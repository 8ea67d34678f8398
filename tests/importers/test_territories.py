"""One territory rule and one reduced-minimum list (issue 12, point 4).

Saint-Martin and Saint-Barthélemy get the same territory from the legacy CSV (``9A`` and
commune ``127``/``123``) and from the FINESS+ JSON (``cogCommune`` 97127/97123); the
territories with the reduced grappe minimum are the scale file's list, and nothing else
holds one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from flask import Flask

import importers.geography
import solver.types
from importers.finess import read_finess
from matchmaker.extensions import rules_of
from matchmaker.funding.scales import load_scale
from matchmaker.grappes.params import solve_params
from solver import SolveParams


def test_saint_martin_has_one_territory_in_both_formats(
    sample_path: Path, plus_path: Path, tmp_path: Path
) -> None:
    legacy = read_finess(sample_path).records
    by_postcode = {r.postcode: r.department for r in legacy.values() if r.postcode}
    assert (by_postcode["97150"], by_postcode["97133"]) == ("978", "977")
    data = json.loads(gzip.decompress(plus_path.read_bytes()))
    ege = next(e for pmej in data["pmej"] for e in pmej.get("ege") or [] if e.get("adresse"))
    address = ege["adresse"][0]
    for commune, postcode in (("97127", "97150"), ("97123", "97133")):
        address.update(cogCommune=commune, codePostal=postcode, usageAdresse="03")
        path = tmp_path / "moved.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        finess_et = ege["informationsGeneralesEGE"]["numFinessEge"]
        record = read_finess(path).records[finess_et]
        assert record.department == by_postcode[postcode]
        assert record.region == "01"  # the ARS of Guadeloupe


def test_the_reduced_minimum_list_is_the_scale_files(app: Flask) -> None:
    programme = load_scale().overseas_corsica_departments
    assert {"977", "978", "975"} <= programme
    assert sorted(app.config["REDUCED_MINIMUM_DEPARTMENTS"]) == sorted(programme)
    # the solver holds no list of its own: it receives the scale file's as plain data
    assert not hasattr(solver.types, "REDUCED_MINIMUM_DEPARTMENTS")
    assert SolveParams().reduced_minimum_departments == frozenset()
    assert solve_params(app.config, rules=rules_of(app)).reduced_minimum_departments == programme
    assert not hasattr(importers.geography, "DEFAULT_REDUCED_MINIMUM")
