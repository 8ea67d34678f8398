"""The editor referential in the database: matching raw names, the review queue, aliases.

Services take the session, flush but never commit. ``resolve_editors`` is what importers
call: exact aliases and reviewed decisions first, then the fitted matcher
(``importers.editor_names``). Raw names it cannot place automatically are queued as
pending ``EditorMatch`` rows; confirming one creates an alias, so the same spelling never
asks twice, and fills in the editor of the declarations already imported with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from importers.editor_names import (
    Decision,
    EditorMatcher,
    ReferenceName,
    Thresholds,
    build_matcher,
    normalise_name,
)
from matchmaker.domain_errors import Invalid
from matchmaker.models import Declaration, Editor, EditorAlias, EditorMatch, Embarkation, Solution
from matchmaker.vocabulary import EditorMatchStatus


class EditorReviewError(Invalid):
    """A review action that cannot be done (unknown match or editor); message in French."""


@dataclass(frozen=True)
class Resolution:
    """How one raw name was resolved: ``editor_id`` is set only when it is certain
    (automatic match, alias, or a confirmed review)."""

    raw: str
    key: str
    editor_id: int | None
    decision: Decision
    score: float
    suggested_editor_id: int | None = None
    #: already decided by a person (confirmed or rejected): never queued again
    reviewed: bool = False


def thresholds_from(config: Mapping[str, Any]) -> Thresholds:
    """Thresholds from app settings ``EDITOR_MATCH_AUTO``/``_REVIEW``/``_MARGIN`` when set."""
    default = Thresholds()
    return Thresholds(
        auto=float(config.get("EDITOR_MATCH_AUTO", default.auto)),
        review=float(config.get("EDITOR_MATCH_REVIEW", default.review)),
        margin=float(config.get("EDITOR_MATCH_MARGIN", default.margin)),
    )


def reference_names(session: Session) -> tuple[ReferenceName, ...]:
    """Every known name: editors, solutions, "editor solution" pairs and aliases, in a
    stable order (the matcher cache is keyed on it)."""
    names: list[ReferenceName] = []
    editors = dict(session.execute(select(Editor.id, Editor.name)).all())
    for _editor_id, name in sorted(editors.items()):
        names.append(ReferenceName(name, name, "editor"))
    solutions = session.execute(select(Solution.editor_id, Solution.name).order_by(Solution.id))
    for editor_id, solution in solutions:
        editor = editors[editor_id]
        names.append(ReferenceName(solution, editor, "solution", solution))
        names.append(ReferenceName(f"{editor} {solution}", editor, "editor_solution", solution))
    aliases = session.execute(
        select(EditorAlias.alias, EditorAlias.editor_id).order_by(EditorAlias.id)
    )
    names.extend(ReferenceName(alias, editors[editor_id], "alias") for alias, editor_id in aliases)
    return tuple(names)


def editor_matcher(session: Session, thresholds: Thresholds | None = None) -> EditorMatcher | None:
    """The fitted matcher of the current referential (cached), or None when it is empty."""
    names = reference_names(session)
    return build_matcher(names, thresholds) if names else None


def resolve_editors(
    session: Session, raws: Iterable[str], thresholds: Thresholds | None = None
) -> dict[str, Resolution]:
    """Resolve distinct raw editor names (blank ones are skipped), keyed by raw text.

    Reads only. Order: reviewed decisions (confirmed → that editor; rejected → none,
    never asked again), then the matcher (aliases are exact hits inside it).
    """
    distinct = sorted({raw for raw in raws if raw and raw.strip()})
    if not distinct:
        return {}
    keys = {raw: normalise_name(raw) for raw in distinct}
    reviewed = {
        key: (status, editor_id)
        for key, status, editor_id in session.execute(
            select(EditorMatch.key, EditorMatch.status, EditorMatch.resolved_editor_id).where(
                EditorMatch.status != EditorMatchStatus.PENDING,
                EditorMatch.key.in_(set(keys.values())),
            )
        )
    }
    ids_by_name = dict(session.execute(select(Editor.name, Editor.id)).all())
    matcher = editor_matcher(session, thresholds)
    to_match = [raw for raw in distinct if keys[raw] not in reviewed]
    matches = matcher.match_many(to_match) if matcher and to_match else []
    resolutions: dict[str, Resolution] = {}
    for raw in distinct:
        if keys[raw] in reviewed:
            status, editor_id = reviewed[keys[raw]]
            decision: Decision = "auto" if status == EditorMatchStatus.CONFIRMED else "none"
            score = 1.0 if status == EditorMatchStatus.CONFIRMED else 0.0
            resolutions[raw] = Resolution(raw, keys[raw], editor_id, decision, score, reviewed=True)
    for match in matches:
        suggested = ids_by_name.get(match.editor) if match.editor else None
        resolutions[match.raw] = Resolution(
            match.raw,
            match.key,
            suggested if match.decision == "auto" else None,
            match.decision,
            match.score,
            suggested if match.decision == "review" else None,
        )
    for raw in distinct:
        resolutions.setdefault(raw, Resolution(raw, keys[raw], None, "none", 0.0))
    return resolutions


def record_pending(
    session: Session, resolutions: Iterable[Resolution], occurrences: Mapping[str, int]
) -> int:
    """Queue the unresolved names for review (bulk), or add to their occurrence count.

    ``occurrences``: rows using each raw name. Returns how many new names were queued.
    """
    unresolved = [
        r for r in resolutions if r.editor_id is None and not r.reviewed and r.key.strip()
    ]
    by_key: dict[str, Resolution] = {}
    counts: Counter[str] = Counter()
    for resolution in unresolved:
        by_key.setdefault(resolution.key, resolution)
        counts[resolution.key] += occurrences.get(resolution.raw, 1)
    if not by_key:
        return 0
    existing: dict[str, int] = {}
    current: dict[int, int] = {}
    for key, match_id, occurrences_so_far in session.execute(
        select(EditorMatch.key, EditorMatch.id, EditorMatch.occurrences).where(
            EditorMatch.key.in_(set(by_key))
        )
    ):
        existing[key] = match_id
        current[match_id] = occurrences_so_far
    if existing:
        session.execute(
            update(EditorMatch),
            [
                {
                    "id": existing[key],
                    "occurrences": current[existing[key]] + counts[key],
                    "suggested_editor_id": by_key[key].suggested_editor_id,
                    "score": by_key[key].score,
                }
                for key in existing
            ],
        )
    new = [
        {
            "raw_text": resolution.raw[:200],
            "key": key[:200],
            "suggested_editor_id": resolution.suggested_editor_id,
            "score": resolution.score,
            "status": EditorMatchStatus.PENDING,
            "occurrences": counts[key],
        }
        for key, resolution in by_key.items()
        if key not in existing
    ]
    if new:
        session.execute(insert(EditorMatch).execution_options(render_nulls=True), new)
    session.flush()
    return len(new)


def pending_matches(session: Session) -> list[EditorMatch]:
    """The review queue, most used spellings first."""
    return list(
        session.scalars(
            select(EditorMatch)
            .where(EditorMatch.status == EditorMatchStatus.PENDING)
            .order_by(EditorMatch.occurrences.desc(), EditorMatch.key)
        )
    )


def find_editor(session: Session, name: str) -> Editor | None:
    """An editor by its name in any spelling that normalises to its key."""
    return session.scalar(select(Editor).where(Editor.key == normalise_name(name)))


def confirm_match(session: Session, match_id: int, editor_name: str) -> EditorAlias:
    """A person says spelling ``match_id`` means ``editor_name``: record an alias and set
    the editor on the declarations and embarkations imported with that spelling."""
    match = _pending(session, match_id)
    editor = find_editor(session, editor_name)
    if editor is None:
        raise EditorReviewError(
            f"Éditeur « {editor_name} » inconnu du référentiel ; "
            "importez-le d'abord avec `grappes import-editors`."
        )
    match.status = EditorMatchStatus.CONFIRMED
    match.resolved_editor_id = editor.id
    alias = session.scalar(select(EditorAlias).where(EditorAlias.key == match.key))
    if alias is None:
        alias = EditorAlias(
            key=match.key, alias=match.raw_text, editor_id=editor.id, origin="confirmed"
        )
        session.add(alias)
    else:
        alias.editor_id = editor.id
        alias.origin = "confirmed"
    session.flush()
    _apply_to_imported(session, match.key, editor.id)
    return alias


def reject_match(session: Session, match_id: int) -> EditorMatch:
    """A person says spelling ``match_id`` is no known editor: never proposed again."""
    match = _pending(session, match_id)
    match.status = EditorMatchStatus.REJECTED
    match.resolved_editor_id = None
    session.flush()
    return match


def _pending(session: Session, match_id: int) -> EditorMatch:
    match = session.get(EditorMatch, match_id)
    if match is None:
        raise EditorReviewError(f"Aucune correspondance n° {match_id}.")
    if match.status != EditorMatchStatus.PENDING:
        raise EditorReviewError(
            f"La correspondance n° {match_id} est déjà traitée ({match.status})."
        )
    return match


def _apply_to_imported(session: Session, key: str, editor_id: int) -> None:
    """Fill the editor of stored rows whose raw text has ``key`` and no editor yet."""
    targets = (
        (Declaration, Declaration.editor_raw, Declaration.editor_id, "editor_id"),
        (Declaration, Declaration.sons_editor_raw, Declaration.sons_editor_id, "sons_editor_id"),
        (Embarkation, Embarkation.editor_raw, Embarkation.editor_id, "editor_id"),
    )
    for model, raw_column, id_column, attribute in targets:
        rows = session.execute(
            select(model.id, raw_column).where(id_column.is_(None), raw_column.is_not(None))
        )
        ids = [row_id for row_id, raw in rows if raw is not None and normalise_name(raw) == key]
        if ids:
            session.execute(update(model), [{"id": row_id, attribute: editor_id} for row_id in ids])
    session.flush()
