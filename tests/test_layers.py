"""The domain core stays Flask-free: the solver, the funding rules and the parsers import
without the web framework or the database toolkit (a fresh interpreter per case, because
this test process has loaded both). The import-linter contracts in ``pyproject.toml``
check the same rule statically (``lint-imports`` in ``scripts/test``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

PURE = (
    "solver",
    "solver.core",
    "matchmaker.config",
    "matchmaker.funding.estimate",
    "matchmaker.funding.scales",
    "importers.finess",
    "importers.finess_plus",
    "importers.finess_ej",
    "importers.declaration_columns",
    "importers.declaration_template",
    "importers.spreadsheets",
    "importers.geography",
    "importers.synthetic",
)
HEAVY = ("flask", "flask_login", "werkzeug", "sqlalchemy", "matchmaker.models")

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.argv[2:] if name in sys.modules)))
"""


@pytest.mark.parametrize("module", PURE)
def test_pure_module_loads_neither_flask_nor_sqlalchemy(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module, *HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == [], f"importing {module} loaded {result.stdout}"


def test_the_site_does_load_them() -> None:
    """The probe can fail: the app package's factory module does pull Flask in."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "matchmaker.auth.views", *HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "flask" in json.loads(result.stdout)
