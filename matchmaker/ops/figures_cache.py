"""Figures computed once per change of the data, not per request.

A page's figures (the home page's totals by department, the ARS desk's scored
non-embarked…) are aggregates over whole tables: at national scale they cost more than the
rest of the page. They only change when what they are computed from changes, so they are
kept with the *version* they were computed for — a few cheap aggregates read per request
(the latest import's id and end, row counts and last ids…) — and recomputed when the
version moves. Without any import (tests building rows directly, a fresh database) the
version is None and nothing is kept: figures are computed live.

Two levels: each process keeps its figures in memory, and the site's processes share
them through ``FIGURES_CACHE_FOLDER`` (one file per figure, signed with ``SECRET_KEY``),
so that only the first of the web workers computes a new version and the others, or a
restarted worker, read it (issue 14: the first request of each worker paid the whole
computation). A missing, unreadable, stale or badly signed file is computed again; a
folder that cannot be written leaves the process level alone (``off``: no folder).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import FinessImport

T = TypeVar("T")

EXTENSION_KEY = "grappes.figures_cache"
_lock = threading.Lock()
logger = logging.getLogger(__name__)

#: ``FIGURES_CACHE_FOLDER`` value that keeps the figures per process only.
OFF = "off"


def finess_version(session: Session) -> Hashable | None:
    """The latest FINESS import (id, end), or None when there was none."""
    row = session.execute(
        select(FinessImport.id, FinessImport.finished_at).order_by(FinessImport.id.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def cached(app: Flask, key: str, version: Hashable | None, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``version``: from this process's memory, else from the
    shared folder, else computed (and kept in both)."""
    if version is None:
        return compute()
    store: dict[str, tuple[Hashable, object]] = app.extensions.setdefault(EXTENSION_KEY, {})
    with _lock:
        found = store.get(key)
    if found is not None and found[0] == version:
        return found[1]  # type: ignore[return-value]
    shared = _SharedFile.of(app, key, version)
    value: T
    loaded = shared.read() if shared else None
    if loaded is not None:
        value = loaded[0]  # type: ignore[assignment]
    else:
        value = compute()
        if shared:
            shared.write(value)
    with _lock:
        store[key] = (version, value)
    return value


class _SharedFile:
    """One figure's file in the shared folder: ``signature | version | pickled value``,
    the signature an HMAC of the rest with the app's secret (a file someone else wrote is
    never unpickled)."""

    def __init__(self, path: Path, secret: bytes, version: bytes) -> None:
        self.path = path
        self.secret = secret
        self.version = version

    @classmethod
    def of(cls, app: Flask, key: str, version: Hashable) -> _SharedFile | None:
        folder = str(app.config.get("FIGURES_CACHE_FOLDER") or OFF)
        if folder == OFF:
            return None
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        secret = str(app.config["SECRET_KEY"]).encode()
        return cls(Path(folder) / f"{name}.figures", secret, repr(version).encode())

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.secret, body, hashlib.sha256).digest()

    def read(self) -> tuple[object] | None:
        """``(value,)`` when the file holds this version, signed with this secret."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        signature, body = data[:32], data[32:]
        version, _, payload = body.partition(b"\n")
        if version != self.version or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            return (pickle.loads(payload),)  # signed with our secret (above)
        except Exception:  # a file of an older code version: computed again
            logger.warning("figures cache file unreadable: %s", self.path, exc_info=True)
            return None

    def write(self, value: object) -> None:
        """Replace the file at once (readers see the old one or the new one)."""
        # ``repr`` writes no line break: the version ends at the first one.
        body = self.version + b"\n" + pickle.dumps(value, protocol=5)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(self._sign(body) + body)
            os.replace(temporary, self.path)
        except OSError:
            logger.warning("figures cache folder not writable: %s", self.path.parent)
