"""The editor referential into the database: the load stage, and the whole import.

The rows come parsed and validated by ``importers.editors`` (pure). Load upserts editors by
normalised name, solutions by (editor, normalised name) and aliases by normalised spelling,
so re-importing the same file changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers.editor_names import normalise_name
from importers.editors import EditorRow, parse
from importers.errors import ImportRefused
from importers.reports import ImportSummary, write_report
from matchmaker.models import Editor, EditorAlias, Solution


def load(session: Session, rows: list[EditorRow], *, dry_run: bool = False) -> dict[str, int]:
    """Upsert editors, solutions and aliases (bulk). Returns created/changed/unchanged row
    counts and how many editors and aliases were created. Writes nothing on ``dry_run``."""
    editors = {
        key: (id_, name)
        for id_, key, name in session.execute(select(Editor.id, Editor.key, Editor.name))
    }
    new_editors: dict[str, str] = {}
    for row in rows:
        key = normalise_name(row.editor)
        if key not in editors and key not in new_editors:
            new_editors[key] = row.editor
    if new_editors and not dry_run:
        created = session.execute(
            insert(Editor).returning(Editor.id, Editor.key, Editor.name),
            [{"name": name, "key": key} for key, name in new_editors.items()],
        )
        editors.update({key: (id_, name) for id_, key, name in created})
    solutions: dict[tuple[int | None, str], tuple[int, bool]] = {
        (editor_id, key): (id_, segur)
        for id_, editor_id, key, segur in session.execute(
            select(Solution.id, Solution.editor_id, Solution.key, Solution.reference_segur)
        )
    }
    aliases = dict(session.execute(select(EditorAlias.key, EditorAlias.editor_id)).all())
    counts = {"created": 0, "changed": 0, "unchanged": 0, "editors": len(new_editors), "aliases": 0}
    solution_inserts: list[dict[str, object]] = []
    solution_updates: list[dict[str, object]] = []
    alias_inserts: list[dict[str, object]] = []
    for row in rows:
        editor_key = normalise_name(row.editor)
        editor_id = editors[editor_key][0] if editor_key in editors else None
        outcome = "created" if editor_key in new_editors else "unchanged"
        if row.solution:
            key = normalise_name(row.solution)
            existing = solutions.get((editor_id, key)) if editor_id is not None else None
            if existing is None:
                outcome = "created"
                solution_inserts.append(
                    {
                        "editor_id": editor_id,
                        "name": row.solution,
                        "key": key,
                        "reference_segur": row.reference_segur,
                    }
                )
                solutions[(editor_id, key)] = (0, row.reference_segur)
            elif existing[1] != row.reference_segur:
                outcome = "changed" if outcome == "unchanged" else outcome
                solution_updates.append({"id": existing[0], "reference_segur": row.reference_segur})
        for alias in row.aliases:
            key = normalise_name(alias)
            if key and key not in aliases and key != editor_key:
                aliases[key] = editor_id or 0
                alias_inserts.append(
                    {"key": key, "alias": alias, "editor_id": editor_id, "origin": "referential"}
                )
                outcome = "changed" if outcome == "unchanged" else outcome
        counts[outcome] += 1
    counts["aliases"] = len(alias_inserts)
    if dry_run:
        return counts
    if solution_inserts:
        session.execute(insert(Solution).execution_options(render_nulls=True), solution_inserts)
    if solution_updates:
        session.execute(update(Solution), solution_updates)
    if alias_inserts:
        session.execute(insert(EditorAlias).execution_options(render_nulls=True), alias_inserts)
    session.flush()
    return counts


def import_editors(
    session: Session, path: Path, *, dry_run: bool = False, strict: bool = False
) -> ImportSummary:
    """Parse, validate and load an editor referential file (one transaction, not
    committed here). ``strict`` refuses the file on any error; otherwise valid rows load
    and the errors are written to ``<name>.rejets.csv``."""
    path = Path(path)
    rows, errors, ignored = parse(path)
    summary = ImportSummary(file=path.name, dry_run=dry_run, errors=errors, ignored_headers=ignored)
    summary.rejected = len({error.line for error in summary.blocking})
    if strict and summary.blocking:
        summary.report_path = write_report(path, errors)
        raise ImportRefused(
            f"{path.name} : {len(summary.blocking)} erreur(s), fichier refusé (mode strict).",
            errors,
        )
    counts = load(session, rows, dry_run=dry_run)
    summary.created, summary.changed, summary.unchanged = (
        counts["created"],
        counts["changed"],
        counts["unchanged"],
    )
    summary.extra = {"editeurs_crees": counts["editors"], "alias_crees": counts["aliases"]}
    if errors and not dry_run:
        summary.report_path = write_report(path, errors)
    return summary
