"""The real ``grappes`` command and the real app, with the test job kinds registered: the
tests that kill processes start ``python -m tests.support.job_server worker`` (the ``grappes
worker`` command) and ``gunicorn 'tests.support.job_server:create_app()'``."""

from __future__ import annotations

from flask import Flask

import tests.support.sample_jobs  # noqa: F401  (registers the test.* kinds)
from matchmaker import create_app as create_grappes_app


def create_app() -> Flask:
    """The app as ``matchmaker:create_app()`` builds it from the environment."""
    return create_grappes_app()


if __name__ == "__main__":
    from matchmaker.cli import cli

    cli()
