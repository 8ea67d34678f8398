"""Fixtures of the production tests: the job apps of ``tests.jobs`` and a real Redis."""

from __future__ import annotations

import os

import pytest

from tests.jobs.committed import committed_database_url, make_app

__all__ = ["committed_database_url", "make_app", "redis_url"]


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (``GRAPPES_TEST_REDIS_URL``, default the local server). Missing:
    skipped with a warning locally, a failure in CI."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("GRAPPES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as error:
        message = f"Redis is not reachable at {url} ({error})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url
