"""The command line starts light: ``grappes --help`` and the light commands never load the
heavy libraries, which only the code that needs them imports (issue 14, « A fast CLI »).

Checked on ``sys.modules`` of a fresh interpreter, not on time: the machine's load makes
timings flaky, while an import that sneaks back into a module's header fails here at once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matchmaker.cli import COMMANDS
from tests.helpers import ROOT, run_probe

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
    probe: dict[str, object] = run_probe(PROBE, *args, folder=tmp_path)
    return probe


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


#: Loaded by the app (``create_app``: blueprints, models, forms) and its extensions, not
#: by ``grappes --help``, which lists the commands without building the app.
APP_ONLY = (
    "sqlalchemy",
    "wtforms",
    "flask_wtf",
    "flask_login",
    "flask_limiter",
    "numpy",
    "solver",
    "importers",
    "matchmaker.models",
    "matchmaker.campaigns.views",
)


def test_help_lists_every_command_without_building_the_app(tmp_path: Path):
    probe = _run("--help", tmp_path=tmp_path)
    output = str(probe["output"])
    for command in (*COMMANDS, "run", "shell", "routes", "limiter"):
        assert f"  {command} " in output
    assert "Forme les grappes d'une campagne" in output
    modules = set(probe["modules"])  # type: ignore[call-overload]
    assert [name for name in APP_ONLY if name in modules] == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_help_is_the_commands_own(name: str):
    """``grappes --help`` prints the short help kept in ``COMMANDS`` (to list a command
    without importing it): it must be the first sentence of the command's docstring."""
    command = COMMANDS[name].load()
    assert COMMANDS[name].help == command.get_short_help_str(limit=1_000)
    assert command.name == name


def test_a_lazy_command_runs_inside_the_app(tmp_path: Path):
    """Commands loaded on use still get the app's context (settings, database): the
    schema is created, then read back, through the ``grappes`` script."""
    upgraded = _run("db", "upgrade", tmp_path=tmp_path)
    assert "Base de données à jour" in str(upgraded["output"])
    listed = _run("runs", tmp_path=tmp_path)
    assert str(listed["output"]).strip() == "Aucune exécution."
    assert "matchmaker.models" in listed["modules"]  # type: ignore[operator]


def test_a_subcommands_help_does_not_build_the_app(tmp_path: Path):
    probe = _run("solve", "--help", tmp_path=tmp_path)
    assert "--campaign" in str(probe["output"])
    # Nor the database layer, nor the solver: the module's header imports click alone.
    modules = set(probe["modules"])  # type: ignore[call-overload]
    assert [name for name in APP_ONLY if name in modules] == []


def test_the_db_commands_build_the_app_without_its_pages(tmp_path: Path):
    """``grappes db`` needs the settings and the database, not the pages' modules."""
    _run("db", "upgrade", tmp_path=tmp_path)
    probe = _run("db", "current", tmp_path=tmp_path)
    assert str(probe["output"]).strip() == migrations_head()
    modules = set(probe["modules"])  # type: ignore[call-overload]
    assert "matchmaker.extensions" in modules
    pages = [name for name in modules if name.endswith(".views") or name.endswith(".forms")]
    assert pages == []


def migrations_head() -> str:
    from alembic.script import ScriptDirectory

    from matchmaker.extensions import make_engine
    from matchmaker.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


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
