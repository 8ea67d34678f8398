"""Load parsed FINESS records (legacy CSV or FINESS+ JSON) into the database.

The contract of ``load``:

- one transaction: it only executes statements on the caller's session and flushes; the
  caller commits (or rolls back: the previous state stays intact);
- upsert keyed by FINESS ET with a content hash: a record whose hash and open state are
  unchanged is not written at all, so re-importing the same file writes nothing but the
  ``FinessImport`` row;
- bulk statements (``executemany`` in chunks) and one query for the existing hashes: no
  ORM object per row;
- establishments are never deleted. With ``close_missing`` (legacy full extracts), an open
  establishment that a previous FINESS import brought in and that this file lacks is
  marked closed, **but only within the departments present in the file**, so a regional
  or departmental extract closes nothing elsewhere. Establishments on rejected lines are
  not closed, and nothing is closed when the file looks truncated or when a rejected line
  could not be tied to an establishment (its FINESS number unreadable). A partial file (a
  sample, a hand-made slice) would close most of its departments: when more than
  ``MAX_CLOSE_SHARE`` of the open establishments of those departments would close,
  nothing is closed (``Extract.close_blocked`` says how many would have been) unless
  ``allow_mass_close`` is given — a real monthly extract closes a few per cent at most;
- a rejected or missing part never overwrites a stored value with empty: the parsers list,
  per FINESS ET, the fields this file could not vouch for (``Extract.kept``: a rejected
  or absent ``geolocalisation`` line, an unreadable SIRET, date, category or state), and
  the stored values of those fields are kept before the content hash is compared; an
  establishment whose only news was a damaged part is therefore unchanged;
- organisations are created for every FINESS EJ the establishments refer to; the EJ file
  (or the FINESS+ ``pmej``) fills their names, legal status and SIREN; the ESSMS count of
  each organisation (open ESSMS) is recomputed in SQL and written only where it changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from importers.finess_records import (
    ESTABLISHMENT_FIELDS,
    ORGANISATION_FIELDS,
    Extract,
    content_hash,
)
from matchmaker.models import Establishment, FinessImport, Organisation
from matchmaker.models.establishments import search_key

CHUNK = 5000
#: Above this share of closures among the open establishments of the file's departments,
#: the file is taken for a partial one and closes nothing (see ``allow_mass_close``).
MAX_CLOSE_SHARE = 0.2
#: How many rejected lines the FinessImport row keeps.
KEPT_ERRORS = 200

_establishment_values = attrgetter(*ESTABLISHMENT_FIELDS)
_organisation_values = attrgetter(*ORGANISATION_FIELDS)


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _string_lengths(model: type[Any]) -> dict[str, int]:
    """Declared lengths of the model's string columns (PostgreSQL enforces them)."""
    return {
        column.name: length
        for column in _table(model).columns
        if isinstance(length := getattr(column.type, "length", None), int)
    }


def _clip(values: dict[str, Any], lengths: dict[str, int]) -> dict[str, Any]:
    """Cut over-long strings to their column's length (FINESS fields are free text)."""
    for name, length in lengths.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > length:
            values[name] = value[:length]
    return values


def load(
    session: Session, extract: Extract, *, close_missing: bool, allow_mass_close: bool = False
) -> FinessImport:
    """Write ``extract`` into the session's transaction; returns the FinessImport row.

    See the module docstring for the rules. Does not commit.
    """
    now = datetime.now(UTC)
    finess_import = FinessImport(
        file_name=extract.file_name,
        file_sha256=extract.file_sha256,
        file_format=extract.file_format,
        ej_file_name=extract.ej_file_name,
        extract_date=extract.extract_date,
        started_at=now,
        errors=[
            {"line": e.line, "column": e.column, "reason": str(e), "severity": e.severity}
            for e in extract.errors[:KEPT_ERRORS]
        ],
    )
    session.add(finess_import)
    session.flush()
    import_id = finess_import.id

    org_created, org_updated, org_counts = _load_organisations(session, extract, import_id, now)
    created, updated, unchanged = _load_establishments(session, extract, import_id, now)
    closed = (
        _close_missing(session, extract, import_id, now, allow_mass_close) if close_missing else 0
    )
    org_updated += _refresh_organisation_counts(session, org_counts, now)
    if extract.close_blocked:
        finess_import.errors = [
            *finess_import.errors,
            {
                "line": 0,
                "column": None,
                "reason": f"{extract.close_blocked} établissement(s) absent(s) non fermé(s) : "
                "trop nombreux pour un extrait complet (fichier partiel ?)",
                "severity": "warning",
            },
        ]

    finess_import.created_count = created
    finess_import.updated_count = updated
    finess_import.closed_count = closed
    finess_import.unchanged_count = unchanged
    finess_import.rejected_count = len(extract.rejected)
    finess_import.organisation_count = org_created
    finess_import.finished_at = datetime.now(UTC)
    session.flush()
    return finess_import


def _load_organisations(
    session: Session, extract: Extract, import_id: int, now: datetime
) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """Insert missing organisations, update those the EJ data changed.

    Only EJ referenced by this extract's establishments, or already known, are written (a
    national EJ file imported with a regional extract adds no stranger). Returns
    (created, updated, stored counts by EJ).
    """
    table = _table(Organisation)
    columns = [table.c[name] for name in ORGANISATION_FIELDS]
    existing: dict[str, tuple[Any, ...]] = {}
    stored_counts: dict[str, tuple[int, int]] = {}
    for row in session.execute(select(*columns, table.c.essms_count, table.c.establishment_count)):
        existing[row[0]] = tuple(row[: len(columns)])
        stored_counts[row[0]] = (row[-2], row[-1])

    lengths = _string_lengths(Organisation)
    wanted = {record.finess_ej for record in extract.records.values()}
    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    for ej in sorted(wanted | (set(extract.organisations) & set(existing))):
        org = extract.organisations.get(ej)
        if ej not in existing:
            values: dict[str, Any] = (
                dict(zip(ORGANISATION_FIELDS, _organisation_values(org), strict=True))
                if org
                else {name: ej if name == "finess_ej" else None for name in ORGANISATION_FIELDS}
            )
            _clip(values, lengths)
            values.update(
                last_import_id=import_id, updated_at=now, essms_count=0, establishment_count=0
            )
            to_insert.append(values)
            stored_counts[ej] = (0, 0)
        elif org is not None:
            values = _clip(
                dict(zip(ORGANISATION_FIELDS, _organisation_values(org), strict=True)), lengths
            )
            stored = dict(zip(ORGANISATION_FIELDS, existing[ej], strict=True))
            for name in extract.kept_organisations.get(ej, ()):
                values[name] = stored[name]
            if tuple(values.values()) != existing[ej]:
                values.update(last_import_id=import_id, updated_at=now)
                to_update.append(values)
    for chunk in _chunks(to_insert):
        session.execute(insert(table), chunk)
    for chunk in _chunks(to_update):
        session.execute(update(Organisation), chunk)
    return len(to_insert), len(to_update), stored_counts


@dataclass
class EstablishmentPlan:
    """What loading an extract would do to the establishments table."""

    to_insert: list[dict[str, Any]]
    to_update: list[dict[str, Any]]
    unchanged: int


def _stored_values(session: Session, kept: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    """The stored values of the kept fields, for the establishments that have some."""
    table = _table(Establishment)
    names = sorted(set().union(*kept.values())) if kept else []
    if not names:
        return {}
    wanted = sorted(kept)
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(table.c.finess_et, *[table.c[name] for name in names]).where(
                table.c.finess_et.in_(wanted[start : start + CHUNK])
            )
        )
        for row in rows:
            stored[row[0]] = dict(zip(names, row[1:], strict=True))
    return stored


def plan_establishments(
    session: Session, extract: Extract, import_id: int | None, now: datetime
) -> EstablishmentPlan:
    """Rows to insert and update, and the count left unchanged (reads, never writes).

    Kept fields (``Extract.kept``) take their stored values first, so a damaged part
    changes nothing.
    """
    table = _table(Establishment)
    existing = {
        finess_et: (digest, is_open)
        for finess_et, digest, is_open in session.execute(
            select(table.c.finess_et, table.c.content_hash, table.c.is_open)
        )
    }
    stored = _stored_values(session, extract.kept)
    lengths = _string_lengths(Establishment)
    plan = EstablishmentPlan([], [], 0)
    for finess_et, record in extract.records.items():
        for name in extract.kept.get(finess_et, ()) if finess_et in stored else ():
            setattr(record, name, stored[finess_et][name])
        digest = content_hash(record)
        known = existing.get(finess_et)
        if known is not None and known == (digest, record.is_open):
            plan.unchanged += 1
            continue
        values = dict(zip(ESTABLISHMENT_FIELDS, _establishment_values(record), strict=True))
        values.update(content_hash=digest, last_import_id=import_id, updated_at=now)
        names = (values["short_name"], values["long_name"], values["commune"])
        values["search_text"] = search_key(*names)
        _clip(values, lengths)
        (plan.to_insert if known is None else plan.to_update).append(values)
    return plan


def _load_establishments(
    session: Session, extract: Extract, import_id: int, now: datetime
) -> tuple[int, int, int]:
    """Insert new establishments, update changed ones; returns (created, updated, unchanged)."""
    table = _table(Establishment)
    plan = plan_establishments(session, extract, import_id, now)
    for chunk in _chunks(plan.to_insert):
        session.execute(insert(table), chunk)
    for chunk in _chunks(plan.to_update):
        session.execute(update(Establishment), chunk)
    return len(plan.to_insert), len(plan.to_update), plan.unchanged


def plan_closures(session: Session, extract: Extract, allow_mass_close: bool) -> list[str]:
    """The open, FINESS-imported establishments of the file's departments that the file
    lacks (reads, never writes). None from a truncated file, nor from a partial one (then
    ``extract.close_blocked`` says how many would have closed)."""
    if extract.truncated or extract.unidentified_rejects or not extract.departments:
        return []
    table = _table(Establishment)
    present = extract.records.keys() | extract.rejected_finess
    open_here = [
        finess_et
        for (finess_et,) in session.execute(
            select(table.c.finess_et).where(
                table.c.is_open.is_(True),
                table.c.last_import_id.is_not(None),
                table.c.department.in_(sorted(extract.departments)),
            )
        )
    ]
    missing = [finess_et for finess_et in open_here if finess_et not in present]
    if not allow_mass_close and len(missing) > MAX_CLOSE_SHARE * len(open_here):
        extract.close_blocked = len(missing)
        return []
    return missing


def _close_missing(
    session: Session, extract: Extract, import_id: int, now: datetime, allow_mass_close: bool
) -> int:
    """Mark closed the establishments ``plan_closures`` lists."""
    table = _table(Establishment)
    missing = plan_closures(session, extract, allow_mass_close)
    closed_on = extract.extract_date or now.date()
    for start in range(0, len(missing), CHUNK):
        session.execute(
            update(table)
            .where(table.c.finess_et.in_(missing[start : start + CHUNK]))
            .values(is_open=False, closed_on=closed_on, last_import_id=import_id, updated_at=now)
        )
    return len(missing)


@dataclass(frozen=True)
class Forecast:
    """What ``load`` would do, computed without writing (``import-finess --dry-run``)."""

    created: int
    changed: int
    closed: int
    unchanged: int


def forecast(
    session: Session, extract: Extract, *, close_missing: bool, allow_mass_close: bool = False
) -> Forecast:
    """The counts ``load`` would report for ``extract``; executes no write."""
    plan = plan_establishments(session, extract, None, datetime.now(UTC))
    closing = plan_closures(session, extract, allow_mass_close) if close_missing else []
    return Forecast(len(plan.to_insert), len(plan.to_update), len(closing), plan.unchanged)


def _refresh_organisation_counts(
    session: Session, stored: dict[str, tuple[int, int]], now: datetime
) -> int:
    """Recompute (open ESSMS, open establishments) per EJ; write only the changed ones."""
    table = _table(Establishment)
    computed: dict[str, tuple[int, int]] = {
        ej: (int(essms or 0), int(total))
        for ej, essms, total in session.execute(
            select(
                table.c.finess_ej,
                func.sum(case((table.c.is_essms.is_(True), 1), else_=0)),
                func.count(),
            )
            .where(table.c.is_open.is_(True))
            .group_by(table.c.finess_ej)
        )
    }
    changes = [
        {"key": ej, "essms": now_counts[0], "total": now_counts[1], "stamp": now}
        for ej, before in stored.items()
        if (now_counts := computed.get(ej, (0, 0))) != before
    ]
    organisations = _table(Organisation)
    statement = (
        update(organisations)
        .where(organisations.c.finess_ej == bindparam("key"))
        .values(
            essms_count=bindparam("essms"),
            establishment_count=bindparam("total"),
            updated_at=bindparam("stamp"),
        )
    )
    for chunk in _chunks(changes):
        session.execute(statement, chunk)
    return len(changes)
