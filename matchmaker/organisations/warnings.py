"""Warnings at declaration time: what the declaration says that will block the ESSMS's
grappe later (the recevabilité points 8 and 10, and an editor nobody can match).

The declaration is accepted; the OG is told now rather than at the recevabilité check.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Declaration, Editor, Solution
from matchmaker.models.declarations import SONS_ORDERED
from matchmaker.vocabulary import DuiStatus


def _editor_name(session: Session, editor_id: int | None) -> str | None:
    if editor_id is None:
        return None
    editor = session.get(Editor, editor_id)
    return editor.name if editor else None


def _referenced(session: Session, editor_id: int) -> bool | None:
    """True when one of the editor's solutions is référencée Ségur; None when the
    referential lists no solution for it."""
    flags = list(
        session.scalars(select(Solution.reference_segur).where(Solution.editor_id == editor_id))
    )
    return any(flags) if flags else None


def declaration_warnings(session: Session, declaration: Declaration) -> list[str]:
    """French warnings for one declaration, empty when nothing will block its grappe."""
    warnings: list[str] = []
    has_dui = declaration.dui_status not in (None, DuiStatus.AUCUN)
    editor = _editor_name(session, declaration.editor_id) or declaration.editor_raw
    if declaration.editor_raw and declaration.editor_id is None:
        warnings.append(
            f"L'éditeur « {declaration.editor_raw} » n'est pas reconnu : le collectif va le "
            "vérifier. D'ici là, cet ESSMS ne peut pas être regroupé avec d'autres clients "
            "de cet éditeur ; vérifiez l'orthographe ou choisissez un nom de la liste."
        )
    elif (
        has_dui
        and declaration.editor_id is not None
        and _referenced(session, declaration.editor_id) is False
    ):
        warnings.append(
            f"Aucune solution de l'éditeur « {editor} » n'est référencée Ségur : une "
            "grappe autour de cet éditeur ne sera pas recevable (point 10) tant qu'il "
            "ne l'est pas."
        )
    if declaration.sons_status in SONS_ORDERED and has_dui:
        sons = _editor_name(session, declaration.sons_editor_id) or declaration.sons_editor_raw
        same = (
            declaration.sons_editor_id == declaration.editor_id
            if declaration.sons_editor_id is not None and declaration.editor_id is not None
            else _same_name(sons, editor)
        )
        if sons and editor and not same:
            warnings.append(
                f"La commande SONS est passée auprès de « {sons} », mais votre DUI est de "
                f"« {editor} » : cet ESSMS ne pourra rejoindre qu'une grappe de « {sons} » "
                "(point 8 de recevabilité)."
            )
    return warnings


def _same_name(first: str | None, second: str | None) -> bool:
    if not first or not second:
        return True
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())
