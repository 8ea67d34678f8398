"""The editor rule of the programme, in one place.

An ESSMS with a SONS order can only join a grappe of the SONS editor; one with a DUI, a grappe
of its DUI's editor; one without DUI may join a grappe of any editor (it is *flexible*): the
model chooses, and the editor it prefers, if it named one, is a soft preference
(`preferred_editor`). An open grappe (editor None, to be chosen together) only takes flexible
ESSMS.
"""

from __future__ import annotations

from solver.types import Candidate


def hard_editor(c: Candidate) -> str | None:
    """The editor a candidate is bound to, or None when it may join any editor.

    SONS wins over everything (hard lock); then the DUI's editor. The preference of an ESSMS
    without DUI does not bind it (see `preferred_editor`).
    """
    if c.sons_editor:
        return c.sons_editor
    if c.dui_status == "aucun":
        return None
    return c.editor or None


def preferred_editor(c: Candidate) -> str | None:
    """The editor a flexible ESSMS (no DUI, no SONS order) said it prefers, if any."""
    if c.sons_editor or c.dui_status != "aucun":
        return None
    return c.editor or None


def compatible(c: Candidate, editor: str | None) -> bool:
    """Can candidate `c` belong to a grappe of `editor` (None = open grappe, flexible only)?"""
    bound = hard_editor(c)
    if editor is None:
        return bound is None
    return bound is None or bound == editor
