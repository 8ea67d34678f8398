"""Each gunicorn worker is made ready before its first request (issue 14: the first
request of each worker on the ARS « non embarqués » page paid scikit-learn's import):
``post_worker_init`` of ``deploy/gunicorn.conf.py`` imports the pages' heavy libraries and
compiles the templates. Checked in a fresh interpreter, as a worker starts."""

from __future__ import annotations

from pathlib import Path

from matchmaker.ops.warmup import PAGE_LIBRARIES
from tests.helpers import run_probe

PROBE = """
import gc, json, runpy, sys, types
from matchmaker import create_app
app = create_app()
before = {
    "libraries": [name for name in sys.argv[1:] if name in sys.modules],
    "templates": len(app.jinja_env.cache or {}),
}
hooks = runpy.run_path("deploy/gunicorn.conf.py")
hooks["post_worker_init"](types.SimpleNamespace(wsgi=app))
after = {
    "libraries": [name for name in sys.argv[1:] if name in sys.modules],
    "templates": sorted(key[1] for key in (app.jinja_env.cache or {})),
    "frozen": gc.get_freeze_count(),
}
print(json.dumps({"before": before, "after": after}))
"""


def test_a_gunicorn_worker_imports_the_pages_libraries_and_compiles_the_templates(
    tmp_path: Path,
) -> None:
    probe = run_probe(PROBE, *PAGE_LIBRARIES, folder=tmp_path)
    # The app alone loads none of them: the worker's warm-up does.
    assert probe["before"] == {"libraries": [], "templates": 0}
    assert probe["after"]["libraries"] == list(PAGE_LIBRARIES)
    for page in ("ars/targets.html", "campaigns/run.html", "base.html"):
        assert page in probe["after"]["templates"]
    assert probe["after"]["frozen"] > 0
