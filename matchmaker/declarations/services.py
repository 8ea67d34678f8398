"""The read side of declarations and embarkation, for the solver and the site.

- ``current_declarations``: the declaration in force of each ESSMS in a campaign;
- ``embarkation_status``: per ESSMS, whether it is embarked and why. An ESSMS is
  *embarked* when an ARS list says so (ESMS numérique or SONS) or when it declared it was
  already funded by ESMS numérique. Already funded by ESMS numérique: not a candidate any
  more (checklist point 7). A SONS order (list, or declared ``commande``/``realise``)
  locks the ESSMS to the SONS editor (checklist point 8).

Services take the session and flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from importers.editor_names import Thresholds
from matchmaker.domain_errors import Conflict, Invalid
from matchmaker.editors.services import record_pending, resolve_editors
from matchmaker.models import Campaign, Declaration, Embarkation, Establishment
from matchmaker.models.declarations import SONS_ORDERED
from matchmaker.vocabulary import DeclarationSource, EmbarkationScheme


def find_campaign(session: Session, name: str) -> Campaign | None:
    """The campaign of that exact name, if any."""
    return session.scalar(select(Campaign).where(Campaign.name == name))


class DeclarationError(Invalid, ValueError):
    """A declaration that cannot be recorded; the message is French."""


#: Refusal of a second import into a campaign while one is being written.
IMPORT_IN_PROGRESS = "Un import est déjà en cours pour cette campagne."
#: PostgreSQL advisory locks are database-wide and a campaign is known by its id in its
#: schema: the first key of an import's lock is this name's hash in the current schema
#: (``hashtext(current_schema() || '/grappes.imports')``), the second the campaign's id.
IMPORT_LOCK_NAME = "/grappes.imports"


def lock_campaign_imports(session: Session, campaign_id: int) -> None:
    """Hold the campaign's import lock until the session's transaction ends, or raise
    :class:`Conflict` (« Un import est déjà en cours pour cette campagne. »).

    Call it before reading what the import compares against, so that two imports never
    both insert the current declaration of an ESSMS.

    - PostgreSQL: ``pg_try_advisory_xact_lock`` on (the schema's import space, the
      campaign's id); a second import is refused at once (it does not wait behind the
      first's rows for a unique violation).
    - SQLite: a no-op write on the campaign takes the single writer's lock now, before any
      read; a second import waits for the first (up to ``SQLITE_BUSY_TIMEOUT_S``), then
      reads what the first wrote. A lock still held after that, or a snapshot older than
      the first's commit, is the same French refusal.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        locked = session.scalar(
            text(
                "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || :name), :campaign)"
            ),
            {"name": IMPORT_LOCK_NAME, "campaign": campaign_id},
        )
        if not locked:
            raise Conflict(IMPORT_IN_PROGRESS)
        return
    try:
        session.execute(
            text("UPDATE campaigns SET id = id WHERE id = :campaign"), {"campaign": campaign_id}
        )
    except OperationalError as error:
        if "locked" in str(error.orig).lower():
            raise Conflict(IMPORT_IN_PROGRESS) from None
        raise


def wait_for_campaign_imports(session: Session, campaign_id: int) -> None:
    """Let an import of the campaign in progress finish before a declaration is written
    from the site (PostgreSQL: ``pg_advisory_xact_lock_shared`` on the import lock, held
    until the transaction ends; forms do not wait for each other, an import started
    meanwhile is refused). On SQLite the single writer's lock already serialises them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT pg_advisory_xact_lock_shared("
                "hashtext(current_schema() || :name), :campaign)"
            ),
            {"name": IMPORT_LOCK_NAME, "campaign": campaign_id},
        )


#: Fields a person declares (the site's form or a file row); the others are derived.
DECLARED_FIELDS = (
    "editor_raw",
    "champ",
    "dui_status",
    "sons_status",
    "sons_editor_raw",
    "already_funded",
    "willing_carrier",
    "interested",
    "contact_email",
    "comment",
)
#: Fields compared to decide whether a new declaration changes the current one.
COMPARED_FIELDS = (*DECLARED_FIELDS, "editor_id", "sons_editor_id", "department")


def declare(
    session: Session,
    campaign: Campaign,
    finess_et: str,
    values: Mapping[str, object],
    *,
    user_id: int | None = None,
    source_kind: str = DeclarationSource.WEB,
    thresholds: Thresholds | None = None,
) -> Declaration:
    """Record one declaration (the site's form): editors are resolved, a SONS order
    without SONS editor takes the DUI editor, the department is FINESS's, a blank champ
    FINESS's. Identical to the current declaration: nothing is written and the current
    one is returned. Otherwise the new one supersedes the current one, which stays in
    history. Values are assumed validated by the form; the database checks the
    enumerations. Unresolved editor names join the review queue."""
    unknown = set(values) - set(DECLARED_FIELDS)
    if unknown:
        raise ValueError(f"unknown declaration fields: {sorted(unknown)}")
    establishment = session.get(Establishment, finess_et)
    if establishment is None:
        raise DeclarationError(f"FINESS ET {finess_et} inconnu du fichier FINESS.")
    fields: dict[str, object] = {name: values.get(name) for name in DECLARED_FIELDS}
    if fields["sons_status"] in SONS_ORDERED and not fields["sons_editor_raw"]:
        fields["sons_editor_raw"] = fields["editor_raw"]
    raws = [str(fields[name]) for name in ("editor_raw", "sons_editor_raw") if fields[name]]
    resolutions = resolve_editors(session, raws, thresholds)

    def editor_id(raw: object) -> int | None:
        return resolutions[raw].editor_id if isinstance(raw, str) and raw in resolutions else None

    fields["editor_id"] = editor_id(fields["editor_raw"])
    fields["sons_editor_id"] = editor_id(fields["sons_editor_raw"])
    fields["champ"] = fields["champ"] or establishment.champ
    fields["department"] = establishment.department
    # Before reading the current declaration: never beside an import's rows.
    wait_for_campaign_imports(session, campaign.id)
    current = session.scalar(
        select(Declaration).where(
            Declaration.campaign_id == campaign.id,
            Declaration.finess_et == finess_et,
            Declaration.is_current.is_(True),
        )
    )
    if current is not None and all(
        getattr(current, name) == fields[name] for name in COMPARED_FIELDS
    ):
        return current
    if current is not None:
        current.is_current = False
        session.flush()
    declaration = Declaration(
        campaign_id=campaign.id,
        finess_et=finess_et,
        source_kind=source_kind,
        declared_by_user_id=user_id,
        is_current=True,
        **fields,
    )
    session.add(declaration)
    session.flush()
    if current is not None:
        current.superseded_by_id = declaration.id
    record_pending(session, resolutions.values(), Counter(raws))
    session.flush()
    return declaration


def current_declarations(session: Session, campaign_id: int) -> dict[str, Declaration]:
    """The declaration in force of each ESSMS of the campaign, by FINESS ET."""
    declarations = session.scalars(
        select(Declaration).where(
            Declaration.campaign_id == campaign_id, Declaration.is_current.is_(True)
        )
    )
    return {declaration.finess_et: declaration for declaration in declarations}


def declaration_history(session: Session, campaign_id: int, finess_et: str) -> list[Declaration]:
    """Every declaration of one ESSMS in a campaign, oldest first (the last is current)."""
    return list(
        session.scalars(
            select(Declaration)
            .where(Declaration.campaign_id == campaign_id, Declaration.finess_et == finess_et)
            .order_by(Declaration.declared_at, Declaration.id)
        )
    )


@dataclass(frozen=True)
class EmbarkationStatus:
    """Where one ESSMS stands with respect to the programme."""

    finess_et: str
    #: funded by ESMS numérique (list or declaration): not a candidate
    esms_numerique: bool = False
    #: a SONS order exists (list or declaration)
    sons: bool = False
    #: the editor a SONS order locks the ESSMS to (None: unknown or no SONS)
    locked_editor_id: int | None = None
    #: where the facts come from: "liste" (ARS list) and/or "declaration"
    sources: tuple[str, ...] = ()

    @property
    def embarked(self) -> bool:
        """Counted in the ARS embarkation rate."""
        return self.esms_numerique or self.sons

    @property
    def is_candidate(self) -> bool:
        """May join a grappe (an ESSMS with SONS may, with its SONS editor only)."""
        return not self.esms_numerique


@dataclass
class _Facts:
    esms_numerique: bool = False
    sons: bool = False
    editor_id: int | None = None
    sources: list[str] = field(default_factory=list)

    def seen_in(self, source: str) -> None:
        if source not in self.sources:
            self.sources.append(source)


def embarkation_status(
    session: Session,
    campaign_id: int | None = None,
    finess_ets: Iterable[str] | None = None,
) -> dict[str, EmbarkationStatus]:
    """The status of every ESSMS with a fact about it (list rows, and the current
    declarations of ``campaign_id`` when given), restricted to ``finess_ets`` if given.
    An ESSMS absent from the result is not embarked. The ARS list is authoritative on the
    SONS editor; a declaration fills it only when the list does not say."""
    wanted = set(finess_ets) if finess_ets is not None else None
    facts: dict[str, _Facts] = {}
    listed = select(Embarkation.finess_et, Embarkation.scheme, Embarkation.editor_id)
    if wanted is not None:
        listed = listed.where(Embarkation.finess_et.in_(wanted))
    for finess, scheme, editor_id in session.execute(listed):
        entry = facts.setdefault(finess, _Facts())
        if scheme == EmbarkationScheme.ESMS_NUMERIQUE:
            entry.esms_numerique = True
        else:
            entry.sons = True
            entry.editor_id = editor_id if editor_id is not None else entry.editor_id
        entry.seen_in("liste")
    if campaign_id is not None:
        declared = select(
            Declaration.finess_et,
            Declaration.already_funded,
            Declaration.sons_status,
            Declaration.sons_editor_id,
        ).where(Declaration.campaign_id == campaign_id, Declaration.is_current.is_(True))
        if wanted is not None:
            declared = declared.where(Declaration.finess_et.in_(wanted))
        for finess, funded, sons_status, sons_editor_id in session.execute(declared):
            ordered = sons_status in SONS_ORDERED
            if not funded and not ordered:
                continue
            entry = facts.setdefault(finess, _Facts())
            entry.esms_numerique = entry.esms_numerique or bool(funded)
            if ordered:
                entry.sons = True
                if entry.editor_id is None:
                    entry.editor_id = sons_editor_id
            entry.seen_in("declaration")
    return {
        finess: EmbarkationStatus(
            finess, entry.esms_numerique, entry.sons, entry.editor_id, tuple(entry.sources)
        )
        for finess, entry in facts.items()
    }


def is_embarked(session: Session, finess_et: str, campaign_id: int | None = None) -> bool:
    """True when the ESSMS is embarked (ARS list, or declared already funded or SONS)."""
    status = embarkation_status(session, campaign_id, [finess_et]).get(finess_et)
    return status is not None and status.embarked
