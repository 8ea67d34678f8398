"""The error of a run that cannot be prepared."""

from __future__ import annotations


class RunError(ValueError):
    """A run cannot be prepared (unknown scope, unknown campaign, bad parameter)."""
