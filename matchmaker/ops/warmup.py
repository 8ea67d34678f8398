"""A web worker made ready before it takes its first request (issue 14).

Pages import their heavy libraries on use, so that the command line and the pages that
don't need them start light; but then the first request of each web worker that needs
one pays its import (scikit-learn: over a second, on the ARS « non embarqués » page), and
every page its templates' compilation. gunicorn calls :func:`warm` in each worker once
the app is loaded, before it accepts connections (``post_worker_init`` in
``deploy/gunicorn.conf.py``): the libraries are imported, the templates compiled, then
everything loaded so far is frozen out of the garbage collector's sweeps (long-lived,
never garbage: a request's collections then only scan the request's own objects).
"""

from __future__ import annotations

import gc
import importlib

from flask import Flask

#: Imported on use by pages (not by ``create_app``): the ARS desk's peer counts.
PAGE_LIBRARIES = ("sklearn.neighbors",)


def warm(app: Flask) -> None:
    """Import the pages' heavy libraries, compile every HTML template, freeze the heap."""
    for name in PAGE_LIBRARIES:
        importlib.import_module(name)
    environment = app.jinja_env
    for template in environment.list_templates(filter_func=lambda name: name.endswith(".html")):
        environment.get_template(template)
    gc.freeze()
