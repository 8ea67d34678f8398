"""Job functions by kind.

A job function takes a :class:`~matchmaker.jobs.context.JobContext` and returns a
JSON-serialisable mapping (stored as the job's ``result``) or None::

    @job("import_declarations")
    def import_declarations(ctx: JobContext) -> dict[str, Any]:
        ...

Workers run in fresh processes: the modules that define jobs are listed in
``JOB_MODULES`` and imported on the first lookup, so a kind is known wherever it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from matchmaker.jobs.context import JobContext

JobFunction = Callable[["JobContext"], Mapping[str, Any] | None]
#: Called when a job ends without its function having run to an end of its own: cancelled
#: while queued, or interrupted by a restart. Receives the session (the caller commits),
#: the job's params, the final status and the French reason.
AbandonHook = Callable[[Session, Mapping[str, Any], str, str], None]
F = TypeVar("F", bound=JobFunction)

#: Modules defining the project's jobs, imported before the first lookup.
JOB_MODULES: tuple[str, ...] = ("matchmaker.campaigns.jobs",)

_REGISTRY: dict[str, JobFunction] = {}
_ABANDON_HOOKS: dict[str, AbandonHook] = {}
_loaded = False


class UnknownJobKind(LookupError):
    """No job function is registered under this kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"Type de tâche inconnu : « {kind} ».")
        self.kind = kind


def job(kind: str, *, on_abandon: AbandonHook | None = None) -> Callable[[F], F]:
    """Register the decorated function as the job of ``kind`` (one function per kind).

    ``on_abandon`` lets the job's own rows follow when the job ends without running
    (cancelled while queued, interrupted by a restart): e.g. mark its solver run failed.
    """

    def decorator(function: F) -> F:
        existing = _REGISTRY.get(kind)
        if existing is not None and existing is not function:
            same = (existing.__module__, existing.__qualname__) == (
                function.__module__,
                function.__qualname__,
            )
            if not same:
                raise ValueError(f"job kind {kind!r} is already registered by {existing!r}")
        _REGISTRY[kind] = function
        if on_abandon is not None:
            _ABANDON_HOOKS[kind] = on_abandon
        return function

    return decorator


def get(kind: str) -> JobFunction:
    """The function registered for ``kind``; raises :class:`UnknownJobKind`."""
    _load_job_modules()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def abandon_hook(kind: str) -> AbandonHook | None:
    """The ``on_abandon`` hook of ``kind``, if any."""
    _load_job_modules()
    return _ABANDON_HOOKS.get(kind)


def kinds() -> list[str]:
    """Every registered kind, sorted."""
    _load_job_modules()
    return sorted(_REGISTRY)


def _load_job_modules() -> None:
    global _loaded
    if _loaded:
        return
    for name in JOB_MODULES:
        importlib.import_module(name)
    _loaded = True
