"""The referential in the database: import, resolution in bulk, the review queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.errors import ImportRefused
from importers.synthetic_declarations import synthetic_referential, write_referential_csv
from matchmaker.declarations.services import current_declarations
from matchmaker.editors import services
from matchmaker.imports.declarations import import_declarations
from matchmaker.imports.editors import import_editors
from matchmaker.models import Campaign, Editor, EditorAlias, EditorMatch, Solution
from tests.support.files import write_csv


def test_import_editors_and_reimport_is_a_no_op(db_session: Session, tmp_path: Path) -> None:
    referential = synthetic_referential()
    path = write_referential_csv(tmp_path / "editeurs.csv", referential)
    first = import_editors(db_session, path)
    solutions = sum(len(editor.solutions) for editor in referential)
    assert first.created == solutions and first.blocking == []
    assert first.extra["editeurs_crees"] == len(referential)
    assert db_session.scalar(select(func.count()).select_from(Solution)) == solutions
    assert db_session.scalar(select(func.count()).select_from(EditorAlias)) == sum(
        len(editor.aliases) for editor in referential
    )
    again = import_editors(db_session, path)
    assert (again.created, again.changed, again.unchanged) == (0, 0, solutions)


def test_import_editors_updates_segur_flag_and_reports_errors(
    db_session: Session, tmp_path: Path
) -> None:
    rows = [["editeur", "solution", "reference_segur"], ["Alpha Soft", "Alpha DUI", "non"]]
    import_editors(db_session, write_csv(tmp_path / "a.csv", rows))
    rows = [
        ["Éditeur", "Logiciel", "Référencé Ségur"],
        ["ALPHA SOFT SAS", "alpha dui", "Oui"],
        ["", "Orphelin", "oui"],
        ["Beta", "Beta DUI", "peut-être"],
        ["Alpha Soft", "Alpha DUI", "oui"],
    ]
    summary = import_editors(db_session, write_csv(tmp_path / "b.csv", rows))
    assert (summary.created, summary.changed) == (0, 1)
    assert [(error.line, error.column) for error in summary.blocking] == [
        (3, "Éditeur"),
        (4, "Référencé Ségur"),
        (5, "Logiciel"),
    ]
    solution = db_session.scalar(select(Solution).where(Solution.key == "alpha dui"))
    assert solution is not None and solution.reference_segur is True
    with pytest.raises(ImportRefused):
        import_editors(db_session, tmp_path / "b.csv", strict=True)


@pytest.mark.usefixtures("referential")
def test_resolve_in_bulk(db_session: Session) -> None:
    raws = ["Aurore Informatique SAS", "Symphonie", "Logiciel maison", "Rivage Info.", ""]
    resolved = services.resolve_editors(db_session, raws)
    assert set(resolved) == set(raws) - {""}
    aurore = db_session.scalar(select(Editor).where(Editor.name == "Aurore Informatique"))
    assert aurore is not None
    assert resolved["Aurore Informatique SAS"].editor_id == aurore.id
    assert resolved["Logiciel maison"].editor_id is None
    assert resolved["Logiciel maison"].decision in {"review", "none"}


@pytest.mark.usefixtures("referential", "finess")
def test_confirm_creates_an_alias_and_fills_declarations(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "d.csv", [["finess_et", "editeur"], ["010001001", "Le logiciel T"]])
    import_declarations(db_session, path, campaign)
    (pending,) = services.pending_matches(db_session)
    assert pending.raw_text == "Le logiciel T"
    with pytest.raises(services.EditorReviewError, match="inconnu"):
        services.confirm_match(db_session, pending.id, "Éditeur qui n'existe pas")
    alias = services.confirm_match(db_session, pending.id, "tilleul logiciel")
    assert (alias.origin, alias.editor.name) == ("confirmed", "Tilleul Logiciel")
    declaration = current_declarations(db_session, campaign.id)["010001001"]
    db_session.refresh(declaration)
    assert declaration.editor_id == alias.editor_id
    assert services.pending_matches(db_session) == []
    # The same spelling never asks twice.
    second = write_csv(
        tmp_path / "e.csv", [["finess_et", "editeur"], ["010001002", "LE LOGICIEL T"]]
    )
    import_declarations(db_session, second, campaign)
    assert services.pending_matches(db_session) == []
    assert current_declarations(db_session, campaign.id)["010001002"].editor_id == alias.editor_id
    with pytest.raises(services.EditorReviewError, match="déjà traitée"):
        services.reject_match(db_session, pending.id)


@pytest.mark.usefixtures("referential", "finess")
def test_rejected_spelling_is_not_asked_again(
    db_session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "d.csv", [["finess_et", "editeur"], ["010001001", "Tableur Excel"]])
    import_declarations(db_session, path, campaign)
    (pending,) = services.pending_matches(db_session)
    services.reject_match(db_session, pending.id)
    other = write_csv(
        tmp_path / "e.csv", [["finess_et", "editeur"], ["010001002", "tableur excel"]]
    )
    import_declarations(db_session, other, campaign)
    assert services.pending_matches(db_session) == []
    match = db_session.scalar(select(EditorMatch))
    assert match is not None and (match.status, match.occurrences) == ("rejected", 1)
