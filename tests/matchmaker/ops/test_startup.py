"""The command line starts light: ``grappes --help`` and the light commands never load the
heavy libraries, which only the code that needs them imports (issue 14, « A fast CLI »).

Checked on ``sys.modules`` of a fresh interpreter, not on time: the machine's load makes
timings flaky, while an import that sneaks back into a module's header fails here at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

#: Loaded by the solver, the editor matcher, maps, spreadsheets and reprojection only.
HEAVY = ("sklearn", "scipy", "pandas", "ortools", "folium", "branca", "openpyxl", "pyproj")

PROBE = """
import contextlib, io, json, sys
from matchmaker.cli import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(sys.argv[1:], prog_name="grappes", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps({"output": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _run(*args: str, tmp_path: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "GRAPPES_SECRET_KEY": "startup-test",
        "GRAPPES_DATABASE_URL": f"sqlite:///{tmp_path / 'startup.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _heavy(modules: object) -> list[str]:
    assert isinstance(modules, list)
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("funding", "--type", "acquisition", "--essms", "20"),
        ("settings",),
        ("db", "--help"),
    ],
    ids=["help", "funding", "settings", "db-help"],
)
def test_light_commands_do_not_import_heavy_libraries(args: tuple[str, ...], tmp_path: Path):
    probe = _run(*args, tmp_path=tmp_path)
    assert probe["output"], "the command printed nothing"
    assert _heavy(probe["modules"]) == []


def test_help_lists_every_command_group(tmp_path: Path):
    """The app (every blueprint) is built for ``--help``: the light import graph is the
    site's own, not a reduced one."""
    probe = _run("--help", tmp_path=tmp_path)
    output = str(probe["output"])
    for command in ("db", "worker", "solve", "import-finess", "funding", "settings"):
        assert command in output
    assert "matchmaker.campaigns.views" in probe["modules"]  # type: ignore[operator]


def test_the_solver_still_loads_its_libraries_when_used():
    """The lazy imports are real imports: solving a tiny instance loads OR-Tools."""
    code = (
        "import sys, solver; from solver import Candidate, SolveParams; "
        "print('ortools' in sys.modules); solver.solve; print('ortools' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["False", "True"]
