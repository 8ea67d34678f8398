"""Fixtures of the job tests: see :mod:`tests.jobs.committed`."""

from tests.jobs.committed import committed_database_url, make_app

__all__ = ["committed_database_url", "make_app"]
