"""Types of the funding tests' fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

#: The ``edit_scale`` fixture: writes a copy of scales.toml with exact, unique text
#: replacements; returns its path.
EditScale = Callable[..., Path]
