"""Browser tests: a real headless Chromium (Debian's ``chromium``, driven by Playwright)
against the app served on 127.0.0.1 from a SQLite file of its own.

Without Chromium the tests are skipped locally and fail under ``CI=true``. Screenshots go
to ``test-artifacts/`` (ignored by git; CI keeps them as artefacts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchmaker.extensions import make_engine
from matchmaker.models import Base
from tests.helpers import ROOT
from tests.support.e2e_server import LiveServer

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("GRAPPES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium per test session."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _missing("playwright n'est pas installé")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app in a subprocess on a free port, with a fresh SQLite file (schema from the
    models; NOT the rolled-back test database)."""
    database_url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.e2e_server", database_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the server did not start: {line!r}"
        yield LiveServer(f"http://127.0.0.1:{int(line.split()[1])}", engine)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        engine.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: axe-core, from its npm package, installed on first use under .cache/npm (gitignored).
AXE_PREFIX = ROOT / ".cache" / "npm"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
AXE_PACKAGE = "axe-core@4"


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """The path of ``axe.min.js``: installed with npm when missing (``npm install --prefix
    .cache/npm axe-core@4``). Offline without it: skipped locally, a failure under CI."""
    if not AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm introuvable : installez Node.js pour les contrôles axe-core")
        result = subprocess.run(
            [npm, "install", "--prefix", str(AXE_PREFIX), "--no-audit", "--no-fund", AXE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not AXE_SCRIPT.is_file():
            _missing(f"installation d'axe-core impossible : {result.stderr.strip()[-500:]}")
    return AXE_SCRIPT
