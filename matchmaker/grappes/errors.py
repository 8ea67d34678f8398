"""The error of a run that cannot be prepared."""

from __future__ import annotations

from matchmaker.domain_errors import Invalid


class RunError(Invalid, ValueError):
    """A run cannot be prepared (unknown scope, unknown campaign, bad parameter)."""
