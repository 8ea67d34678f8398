"""Project habits that drift unless a test holds them: the lock pins every declared
dependency, pre-commit runs the static checks of the test command, and no test module
imports another test module or a conftest."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from tests.helpers import ROOT


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return {_normalised(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_normalised(name)] = version
    return pins


def test_the_lock_pins_every_declared_dependency() -> None:
    missing = _declared() - set(_pinned())
    assert not missing, (
        f"not pinned in constraints.txt: {sorted(missing)}; regenerate it (CONTRIBUTING.md)"
    )


def test_pre_commit_runs_the_static_checks_of_the_test_command() -> None:
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    checks = re.findall(r"^\.venv/bin/(ruff [^\n]*|mypy|lint-imports)$", script, re.MULTILINE)
    assert len(checks) == 4, checks
    for check in checks:
        assert f"entry: .venv/bin/{check}\n" in hooks, check


def _is_test_module(dotted: str) -> bool:
    """``tests.x.test_y``, ``test_y``, ``tests.x.conftest``: a test module or a conftest."""
    last = dotted.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def forbidden_imports(path: Path) -> list[str]:
    """The imports of ``path`` that reach a test module or a conftest (absolute or relative,
    of the module or of a name in it), as ``line: statement``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            bad = [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and _is_test_module(node.module):
                bad = [module]
            else:  # ``from tests.x import test_y`` or ``from . import conftest``
                prefix = module if module.endswith(".") else f"{module}."
                bad = [prefix + a.name for a in node.names if _is_test_module(a.name)]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in bad]
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (bad := forbidden_imports(path))
    }
    assert not offenders, (
        f"support code belongs in tests/support/, tests/factories.py or tests/helpers.py, "
        f"never in a test module or a conftest: {offenders}"
    )


def test_the_import_guard_sees_every_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "test_sample.py"
    module.write_text(
        "import tests.site.test_auth\n"
        "from tests.ars.conftest import World\n"
        "from .conftest import world\n"
        "from tests.site import test_maps\n"
        "from . import conftest\n"
        "from tests.support.desk import Desk\n"
        "from tests.factories import make_user\n"
        "import tests.helpers\n",
        encoding="utf-8",
    )
    assert forbidden_imports(module) == [
        "1: tests.site.test_auth",
        "2: tests.ars.conftest",
        "3: .conftest",
        "4: tests.site.test_maps",
        "5: .conftest",
    ]


#: Folders of tests/ that mirror no code folder, on purpose (CONTRIBUTING.md).
CROSS_CUTTING = {"e2e", "production", "packaging", "support"}


def test_the_test_folders_mirror_the_code_folders() -> None:
    """Every folder of tests/ is tests/<path> for a package <path> of the code, or one of
    the cross-cutting folders."""
    tests = ROOT / "tests"
    strays = []
    for folder in sorted(p for p in tests.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        relative = folder.relative_to(tests)
        if relative.parts[0] in CROSS_CUTTING:
            continue
        if not (ROOT / relative / "__init__.py").is_file():
            strays.append(str(relative))
    assert not strays, f"tests/ folders that mirror no package of the code: {strays}"
