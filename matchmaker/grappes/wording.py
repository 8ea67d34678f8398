"""Solver texts as the pages word them: the solver names grappes by their key (« G0020 »)
and writes distances with a decimal point; pages say « grappe n° 20 » and « 12,3 km »."""

from __future__ import annotations

import re
from collections.abc import Mapping

from matchmaker import formatting
from solver import types as st

_DISTANCE = re.compile(r"(\d+\.\d+) km")


def french_distances(text: str) -> str:
    """« à 12.3 km » → « à 12,3 km »."""
    return _DISTANCE.sub(lambda m: formatting.km(float(m.group(1))), text)


def near_miss_text(near_miss: st.NearMiss, numbers: Mapping[str, int]) -> str:
    """The near miss with the grappe's number in its run instead of the solver's key."""
    text = near_miss.text
    key = near_miss.grappe_key
    if key and key in numbers:
        text = re.sub(rf"\bgrappe {re.escape(key)}\b", f"grappe n° {numbers[key]}", text)
    return french_distances(text)
