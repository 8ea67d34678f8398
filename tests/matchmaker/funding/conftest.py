"""Fixtures of the funding tests: the reference scale, and edited copies of its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.funding.scales import DEFAULT_SCALE_PATH, Scale, load_scale
from tests.support.funding import EditScale


@pytest.fixture(scope="session")
def scale() -> Scale:
    """The default instruction of the scale shipped with the project (DOMAIN.md values)."""
    return load_scale()


@pytest.fixture
def edit_scale(tmp_path: Path) -> EditScale:
    """Copy scales.toml to tmp_path with ``(old, new)`` replacements, each found once."""

    def edit(*replacements: tuple[str, str], append: str = "") -> Path:
        text = DEFAULT_SCALE_PATH.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"{old!r} must occur once in scales.toml"
            text = text.replace(old, new)
        path = tmp_path / "scales.toml"
        path.write_text(text + append, encoding="utf-8")
        return path

    return edit
