"""Project habits that drift unless a test holds them: the lock pins every declared
dependency, and pre-commit runs the static checks of the test command."""

from __future__ import annotations

import re
import tomllib

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
