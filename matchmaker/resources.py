"""Where the app's non-Python files are: templates, static files, Alembic migrations.

The source tree keeps them at the top level (``templates/``, ``static/``, ``migrations/``);
the wheel ships them inside the package as ``matchmaker/_data/<name>`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``). Both are found
through the package, never through the current directory. Flask-free.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
from importlib import metadata, resources
from pathlib import Path

#: The folders shipped with the package.
DATA_FOLDERS = ("templates", "static", "migrations")


def data_folder(name: str) -> Path:
    """The folder ``name`` (one of ``DATA_FOLDERS``): packaged in the wheel, or at the top
    of the source tree (editable and development installs)."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {DATA_FOLDERS}")
    packaged = resources.files("matchmaker") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(str(resources.files("matchmaker"))).resolve().parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(
        f"{name}/ is missing: neither {packaged} (installed package) nor {source} "
        "(source tree) exists; reinstall Grappes."
    )


#: Top-level packages of this distribution whose names other distributions could also use.
SHARED_NAMES = ("solver", "importers")


class InstallationError(RuntimeError):
    """Another installed distribution shadows or overwrote one of Grappes' packages."""


@functools.cache
def check_top_level_packages() -> None:
    """Refuse to start when ``solver`` or ``importers`` is not Grappes' own package.

    Two ways it can go wrong: another distribution's package of the same name comes first on
    ``sys.path`` (the package is then not beside ``matchmaker``), or it was installed over
    ours in the same folder (its ``__init__.py`` then differs from the one recorded in our
    wheel's RECORD). Cheap: nothing is imported, two small files are hashed, once per process.
    """
    home = Path(str(resources.files("matchmaker"))).resolve().parent
    recorded = _recorded_hashes()
    for name in SHARED_NAMES:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin).resolve() if spec and spec.origin else None
        if origin is None or origin.parent.parent != home:
            raise InstallationError(
                f"le paquet {name!r} importé ({origin}) n'est pas celui de Grappes "
                f"(attendu dans {home}) : une autre distribution installée porte ce nom ; "
                "installez Grappes dans son propre environnement virtuel."
            )
        expected = recorded.get(f"{name}/__init__.py")
        if expected is not None and _sha256(origin) != expected:
            raise InstallationError(
                f"{origin} a été remplacé par une autre distribution installée ; "
                "installez Grappes dans son propre environnement virtuel."
            )


def _recorded_hashes() -> dict[str, str]:
    """The RECORD hashes of the installed ``grappes`` distribution (empty for a source tree
    or an editable install, whose RECORD lists no package file)."""
    try:
        files = metadata.distribution("grappes").files or []
    except metadata.PackageNotFoundError:
        return {}
    return {
        str(f).replace("\\", "/"): f.hash.value
        for f in files
        if f.hash is not None and f.hash.mode == "sha256"
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
