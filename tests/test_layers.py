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


def _modules(package: str) -> tuple[str, ...]:
    """Every module of a top-level package of the project, found on disk."""
    folder = ROOT / package
    return tuple(
        sorted(
            package if path.stem == "__init__" else f"{package}.{path.stem}"
            for path in folder.glob("*.py")
            if path.stem != "__main__"
        )
    )


#: Each room of the pure core, imported whole in a fresh interpreter: the solver, the
#: funding rules with the settings, and every parser and validator of ``importers``.
PURE = {
    "solver": _modules("solver"),
    "funding": (
        "matchmaker.config",
        "matchmaker.resources",
        "matchmaker.funding.estimate",
        "matchmaker.funding.results",
        "matchmaker.funding.scales",
        "matchmaker.vocabulary",
        "matchmaker.rules",
    ),
    "importers": _modules("importers"),
}
HEAVY = ("flask", "flask_login", "werkzeug", "sqlalchemy", "matchmaker.models")

PROBE = """
import importlib, json, sys
modules, heavy = sys.argv[1].split(","), sys.argv[2:]
loaded = {}
for module in modules:
    importlib.import_module(module)
    loaded[module] = sorted(name for name in heavy if name in sys.modules)
    if loaded[module]:
        break
print(json.dumps(loaded))
"""


def test_the_rooms_are_complete() -> None:
    """The probe sees the modules a newcomer adds (the parsers moved out of the loaders)."""
    assert {"importers.declarations", "importers.finess", "importers.editor_names"} <= set(
        PURE["importers"]
    )
    assert "solver.core" in PURE["solver"]


@pytest.mark.parametrize("room", sorted(PURE))
def test_pure_room_loads_neither_flask_nor_sqlalchemy(room: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(PURE[room]), *HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    loaded = json.loads(result.stdout)
    assert list(loaded) == list(PURE[room]), f"the probe stopped early: {loaded}"
    culprits = {module: names for module, names in loaded.items() if names}
    assert culprits == {}, f"importing {room} loaded {culprits}"


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
    assert "flask" in json.loads(result.stdout)["matchmaker.auth.views"]
