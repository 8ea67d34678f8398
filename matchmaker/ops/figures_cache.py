"""Figures computed once per change of the data, not per request.

A page's figures (the home page's totals by department…) are aggregates over the whole
establishment table: at national scale they cost more than the rest of the page. They
only change when a FINESS import commits, so each web process keeps them with the
*version* they were computed for — the latest import's id and end — and recomputes them
when the version moves (a cheap primary-key read per request). Without any import (tests
building rows directly, a fresh database) nothing is kept: figures are computed live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import FinessImport

T = TypeVar("T")

EXTENSION_KEY = "grappes.figures_cache"
_lock = threading.Lock()


def finess_version(session: Session) -> Hashable | None:
    """The latest FINESS import (id, end), or None when there was none."""
    row = session.execute(
        select(FinessImport.id, FinessImport.finished_at).order_by(FinessImport.id.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def cached(app: Flask, key: str, version: Hashable | None, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``version``, computed once per process and version."""
    if version is None:
        return compute()
    store: dict[str, tuple[Hashable, object]] = app.extensions.setdefault(EXTENSION_KEY, {})
    with _lock:
        found = store.get(key)
    if found is not None and found[0] == version:
        return found[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        store[key] = (version, value)
    return value
