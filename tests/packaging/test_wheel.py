"""The wheel is a working app: built, installed in a fresh venv, migrated, serving pages.

The fresh venv gets Grappes only from the wheel; its dependencies come from the development
venv (a ``.pth`` line adds its site-packages after the venv's own, and a ``.pth`` line does
not run the editable install's hook there), so the test needs no network beyond the build
backend that ``pip wheel`` fetches.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.helpers import ROOT

SERVE = """
import sys
from pathlib import Path
import matchmaker, solver, importers
from matchmaker import create_app

venv = Path(sys.prefix).resolve()
for module in (matchmaker, solver, importers):
    assert Path(module.__file__).resolve().is_relative_to(venv), module.__file__
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "wheel-test"})
assert Path(app.template_folder).resolve().is_relative_to(venv), app.template_folder
client = app.test_client()
page = client.get("/")
assert page.status_code == 200, page.status_code
assert "Grappes" in page.get_data(as_text=True)
assert client.get("/static/grappes.css").status_code == 200
print("served", page.status_code)
"""


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_installs_migrates_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("grappes-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "matchmaker/_data/templates/base.html",
        "matchmaker/_data/static/grappes.css",
        "matchmaker/_data/migrations/env.py",
        "matchmaker/funding/scales.toml",
        "importers/data/categories.csv",
        "solver/core.py",
    ):
        assert shipped in names, shipped
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        cwd=tmp_path,
    )
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site / "_grappes_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GRAPPES_"))}
    url = f"sqlite:///{tmp_path / 'wheel.sqlite3'}"
    env["GRAPPES_DATABASE_URL"] = url
    run(venv / "bin" / "grappes", "db", "upgrade", cwd=tmp_path, env=env)
    assert "served 200" in run(python, "-c", SERVE, url, cwd=tmp_path, env=env)

    # Another distribution installing its own ``solver`` over ours: the app refuses to start.
    init = site / "solver" / "__init__.py"
    init.write_text('"""Some other distribution\'s solver."""\n')
    refused = subprocess.run(
        [venv / "bin" / "grappes", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "remplacé par une autre distribution" in refused.stderr


def test_a_shadowing_solver_package_is_refused(tmp_path: Path) -> None:
    """A ``solver`` of another distribution first on sys.path stops the app at start."""
    (tmp_path / "solver").mkdir()
    (tmp_path / "solver" / "__init__.py").write_text("")
    script = (
        "from matchmaker import create_app\n"
        "from matchmaker.resources import InstallationError\n"
        "try:\n"
        "    create_app({'TESTING': True, 'DATABASE_URL': 'sqlite://'})\n"
        "except InstallationError as error:\n"
        "    print(error)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    out = run(sys.executable, "-c", script, cwd=tmp_path, env=env)
    assert "n'est pas celui de Grappes" in out
