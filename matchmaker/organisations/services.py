"""An OG's ESSMS and their declarations: read, declare, express interest, history.

Rules:
- an ESSMS is declared within the open campaign that covers its department (its
  departments, else its region's; a campaign without scope covers every department),
  chosen by one function, ``choose_campaign``, which also says why in French. At most one
  open campaign covers a department (enforced when campaigns are created and opened);
  when legacy data still has several, the most specific scope wins (departments, then
  region, then everything), then the most recent, and the page says so;
- a declaration is about an ESSMS, not a campaign: when the chosen campaign has no
  declaration of the ESSMS yet, its latest current declaration in another campaign is
  carried over, shown « déclaré le … (campagne …) — à confirmer »; the OG confirms it
  (``confirm``: recorded as is in the chosen campaign) or corrects it (the form starts
  from it);
- a declaration from the site supersedes the current one of the same campaign without
  erasing it (``is_current`` false, ``superseded_by_id`` set), exactly as a file import
  does; an unchanged declaration is not written again;
- department is always the FINESS department; champ defaults to the FINESS champ;
- the editor typed by the user is kept as typed and resolved against the referential by
  the declarations room's matcher (``matchmaker.editors.services``): matched when certain,
  queued for review otherwise;
- "express interest" sets ``interested`` on the current declaration (creating a minimal
  one when the ESSMS never declared);
- only the OG's attached representatives and administrators write
  (``can_edit_establishment``); collectif and ARS users of the region read.

Services take the session and the acting user, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from importers.categories import essms_label
from importers.editor_names import Thresholds
from importers.geography import DEPARTMENTS
from matchmaker.audit.services import record
from matchmaker.auth.services import (
    Forbidden,
    can_edit_establishment,
    can_view_organisation,
)
from matchmaker.declarations import services as declaration_services
from matchmaker.declarations.services import DECLARED_FIELDS, DeclarationError
from matchmaker.domain_errors import NotFound
from matchmaker.grappes.scope import campaign_scope
from matchmaker.models import (
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Organisation,
    Solution,
    User,
)
from matchmaker.models.declarations import CHAMPS, DUI_STATUSES, SONS_ORDERED, SONS_STATUSES
from matchmaker.vocabulary import CampaignStatus, DeclarationSource, DuiStatus


@dataclass(frozen=True)
class DeclarationInput:
    """What the declaration form sends, already parsed."""

    editor: str | None
    dui_status: str
    sons_status: str
    sons_editor: str | None
    champ: str | None
    willing_carrier: bool
    already_funded: bool
    interested: bool
    contact_email: str | None
    comment: str | None


@dataclass(frozen=True)
class CampaignChoice:
    """The open campaign a department's ESSMS are declared in, and why (French)."""

    department: str
    campaign: Campaign | None
    #: Other open campaigns covering the department (legacy data: there should be none).
    others: tuple[Campaign, ...] = ()

    @property
    def reason(self) -> str:
        where = _department_label(self.department)
        if self.campaign is None:
            return f"Aucune campagne ouverte ne couvre {where} pour l'instant."
        name = self.campaign.name
        if not self.others:
            return f"Campagne « {name} » : c'est la campagne ouverte qui couvre {where}."
        listed = ", ".join(f"« {c.name} »" for c in (self.campaign, *self.others))
        return (
            f"{len(self.others) + 1} campagnes ouvertes couvrent {where} : {listed}. Il ne "
            f"devrait y en avoir qu'une ; en attendant, cette page utilise « {name} », la plus "
            "ciblée puis la plus récente, et reprend vos dernières déclarations, à confirmer. "
            "Prévenez le collectif de votre région."
        )


def _department_label(code: str) -> str:
    department = DEPARTMENTS.get(code)
    return f"le département {department.name} ({code})" if department else f"le département {code}"


@dataclass(frozen=True)
class EssmsRow:
    """One ESSMS of an OG with its campaign and current declaration; without one in that
    campaign, its latest declaration elsewhere (``carried``), to confirm."""

    establishment: Establishment
    campaign: Campaign | None
    declaration: Declaration | None
    editor_name: str | None
    carried: Declaration | None = None
    carried_campaign: str | None = None

    @property
    def interested(self) -> bool:
        return self.declaration is not None and self.declaration.interested is True

    @property
    def essms_to_confirm(self) -> bool:
        """Its FINESS category could not be decided ESSMS or not (« à confirmer »)."""
        e = self.establishment
        return essms_label(e.category_code, e.is_essms) == "à confirmer"

    @property
    def to_confirm(self) -> bool:
        """A declaration carried over from another campaign, not yet confirmed."""
        return self.declaration is None and self.carried is not None

    @property
    def shown(self) -> Declaration | None:
        """The declaration the page shows: the campaign's, else the carried one."""
        return self.declaration or self.carried


@dataclass(frozen=True)
class OrganisationOverview:
    organisation: Organisation
    rows: list[EssmsRow]
    can_edit: bool
    #: Which campaign the page uses for each of the OG's departments, and why.
    choices: list[CampaignChoice] = field(default_factory=list)

    @property
    def declared(self) -> int:
        return sum(1 for row in self.rows if row.declaration is not None)

    @property
    def to_confirm(self) -> int:
        return sum(1 for row in self.rows if row.to_confirm)

    @property
    def interested(self) -> int:
        return sum(1 for row in self.rows if row.interested)


# Reading -----------------------------------------------------------------------------------


def get_establishment(session: Session, finess_et: str) -> Establishment:
    establishment = session.get(Establishment, finess_et)
    if establishment is None:
        raise NotFound(finess_et)
    return establishment


def campaign_covers(campaign: Campaign, department: str) -> bool:
    scope = campaign_scope(campaign)
    return not scope or department in scope


def open_campaigns(session: Session) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.OPEN)
            .order_by(Campaign.id.desc())
        )
    )


def _specificity(campaign: Campaign) -> int:
    """0 for a campaign naming its departments, 1 for a region's, 2 for one without scope."""
    if campaign.departments:
        return 0
    return 1 if campaign.region else 2


def choose_campaign(department: str, campaigns: Sequence[Campaign]) -> CampaignChoice:
    """The one rule for the campaign of a department: the open campaign covering it; with
    several (legacy data), the most specific scope, then the most recent."""
    covering = sorted(
        (c for c in campaigns if campaign_covers(c, department)),
        key=lambda c: (_specificity(c), -c.id),
    )
    if not covering:
        return CampaignChoice(department, None)
    return CampaignChoice(department, covering[0], tuple(covering[1:]))


def campaign_for(establishment: Establishment, campaigns: Sequence[Campaign]) -> Campaign | None:
    """The campaign an ESSMS is declared in (``choose_campaign``)."""
    return choose_campaign(establishment.department, campaigns).campaign


def _current(
    session: Session, campaign_id: int, finess_ets: Iterable[str]
) -> dict[str, Declaration]:
    wanted = list(finess_ets)
    if not wanted:
        return {}
    rows = session.scalars(
        select(Declaration).where(
            Declaration.campaign_id == campaign_id,
            Declaration.is_current.is_(True),
            Declaration.finess_et.in_(wanted),
        )
    )
    return {d.finess_et: d for d in rows}


def latest_declarations(
    session: Session, finess_ets: Iterable[str], *, except_campaign: dict[str, int | None]
) -> dict[str, tuple[Declaration, str]]:
    """Per ESSMS, its latest current declaration in any campaign but ``except_campaign[et]``,
    with that campaign's name: what a new campaign starts from."""
    wanted = list(finess_ets)
    if not wanted:
        return {}
    rows = session.execute(
        select(Declaration, Campaign.name)
        .join(Campaign, Campaign.id == Declaration.campaign_id)
        .where(Declaration.is_current.is_(True), Declaration.finess_et.in_(wanted))
        .order_by(Declaration.declared_at.desc(), Declaration.id.desc())
    )
    latest: dict[str, tuple[Declaration, str]] = {}
    for declaration, name in rows:
        if declaration.campaign_id == except_campaign.get(declaration.finess_et):
            continue
        latest.setdefault(declaration.finess_et, (declaration, name))
    return latest


def editor_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Editor.id, Editor.name).where(Editor.id.in_(wanted)))
    return {editor_id: name for editor_id, name in rows}


def display_editor(declaration: Declaration | None, names: dict[int, str]) -> str | None:
    """The referential's name when matched, else the text as typed."""
    if declaration is None:
        return None
    if declaration.editor_id is not None and declaration.editor_id in names:
        return names[declaration.editor_id]
    return declaration.editor_raw


def overview(session: Session, user: User, finess_ej: str) -> OrganisationOverview:
    """The OG's open ESSMS, each with its campaign and current declaration."""
    organisation = session.get(Organisation, finess_ej)
    if organisation is None:
        raise NotFound(finess_ej)
    if not can_view_organisation(session, user, finess_ej):
        raise Forbidden("Vous ne pouvez pas consulter cet organisme.")
    establishments = list(
        session.scalars(
            select(Establishment)
            .where(
                Establishment.finess_ej == finess_ej,
                Establishment.is_open.is_(True),
                Establishment.is_essms.is_(True),
            )
            .order_by(Establishment.short_name, Establishment.finess_et)
        )
    )
    campaigns = open_campaigns(session)
    choices = {
        department: choose_campaign(department, campaigns)
        for department in sorted({e.department for e in establishments})
    }
    by_campaign: dict[int, list[str]] = {}
    chosen: dict[str, Campaign | None] = {}
    for establishment in establishments:
        campaign = choices[establishment.department].campaign
        chosen[establishment.finess_et] = campaign
        if campaign is not None:
            by_campaign.setdefault(campaign.id, []).append(establishment.finess_et)
    declarations: dict[str, Declaration] = {}
    for campaign_id, finess_ets in by_campaign.items():
        declarations.update(_current(session, campaign_id, finess_ets))
    carried = latest_declarations(
        session,
        [e.finess_et for e in establishments if e.finess_et not in declarations],
        except_campaign={k: c.id if c else None for k, c in chosen.items()},
    )
    shown = [*declarations.values(), *(d for d, _ in carried.values())]
    names = editor_names(session, (d.editor_id for d in shown))
    rows = []
    for e in establishments:
        declaration = declarations.get(e.finess_et)
        previous, previous_campaign = carried.get(e.finess_et, (None, None))
        rows.append(
            EssmsRow(
                establishment=e,
                campaign=chosen[e.finess_et],
                declaration=declaration,
                editor_name=display_editor(declaration or previous, names),
                carried=None if declaration else previous,
                carried_campaign=None if declaration else previous_campaign,
            )
        )
    can_edit = bool(establishments) and can_edit_establishment(user, establishments[0])
    return OrganisationOverview(organisation, rows, can_edit, list(choices.values()))


@dataclass(frozen=True)
class DeclarationContext:
    """What the declaration form of one ESSMS shows and starts from."""

    establishment: Establishment
    choice: CampaignChoice
    declaration: Declaration | None
    carried: Declaration | None = None
    carried_campaign: str | None = None

    @property
    def campaign(self) -> Campaign | None:
        return self.choice.campaign


def declaration_context(session: Session, user: User, finess_et: str) -> DeclarationContext:
    """The ESSMS to declare for, its campaign (and why), its current declaration there,
    else its latest declaration in another campaign (to pre-fill, to confirm)."""
    establishment = get_establishment(session, finess_et)
    if not can_edit_establishment(user, establishment):
        raise Forbidden("Vous ne pouvez pas déclarer pour cet établissement.")
    choice = choose_campaign(establishment.department, open_campaigns(session))
    declaration = None
    if choice.campaign is not None:
        declaration = _current(session, choice.campaign.id, [finess_et]).get(finess_et)
    if declaration is not None:
        return DeclarationContext(establishment, choice, declaration)
    previous = latest_declarations(
        session,
        [finess_et],
        except_campaign={finess_et: choice.campaign.id if choice.campaign else None},
    ).get(finess_et)
    if previous is None:
        return DeclarationContext(establishment, choice, None)
    return DeclarationContext(establishment, choice, None, previous[0], previous[1])


@dataclass(frozen=True)
class HistoryEntry:
    declaration: Declaration
    campaign_name: str
    editor_name: str | None
    declared_by: str | None


def history(
    session: Session, user: User, finess_et: str
) -> tuple[Establishment, list[HistoryEntry]]:
    """Every declaration of an ESSMS in every campaign, newest first, with who made it."""
    establishment = get_establishment(session, finess_et)
    if not can_view_organisation(session, user, establishment.finess_ej):
        raise Forbidden("Vous ne pouvez pas consulter cet établissement.")
    rows = session.execute(
        select(Declaration, Campaign.name, User.email)
        .join(Campaign, Campaign.id == Declaration.campaign_id)
        .outerjoin(User, User.id == Declaration.declared_by_user_id)
        .where(Declaration.finess_et == finess_et)
        .order_by(Declaration.declared_at.desc(), Declaration.id.desc())
    ).all()
    names = editor_names(session, (d.editor_id for d, _, _ in rows))
    return establishment, [
        HistoryEntry(d, campaign, display_editor(d, names), email) for d, campaign, email in rows
    ]


def editor_suggestions(session: Session, query: str, limit: int = 20) -> list[str]:
    """Editor and product names of the referential containing ``query`` (any case)."""
    text = " ".join(query.split())
    editors = select(Editor.name)
    solutions = (
        select(Editor.name + " — " + Solution.name).select_from(Solution).join(Solution.editor)
    )
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        editors = editors.where(Editor.name.ilike(pattern, escape="\\"))
        solutions = solutions.where(
            or_(
                Editor.name.ilike(pattern, escape="\\"),
                Solution.name.ilike(pattern, escape="\\"),
            )
        )
    names = list(session.scalars(editors.order_by(Editor.name).limit(limit)))
    if len(names) < limit:
        names += list(session.scalars(solutions.order_by(Editor.name).limit(limit - len(names))))
    return names


# Writing -----------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def check_input(data: DeclarationInput) -> None:
    """The rules of a declaration, whatever form it came from."""
    if data.dui_status not in DUI_STATUSES:
        raise DeclarationError(f"Statut DUI inconnu : {data.dui_status}.")
    if data.sons_status not in SONS_STATUSES:
        raise DeclarationError(f"Statut SONS inconnu : {data.sons_status}.")
    if data.champ is not None and data.champ not in CHAMPS:
        raise DeclarationError(f"Champ inconnu : {data.champ}.")
    if data.dui_status != DuiStatus.AUCUN and not _clean(data.editor):
        raise DeclarationError("Indiquez l'éditeur de votre DUI (ou « pas de DUI »).")
    if data.sons_status in SONS_ORDERED and not (_clean(data.sons_editor) or _clean(data.editor)):
        raise DeclarationError("Indiquez l'éditeur de la commande SONS.")


def _record(
    session: Session,
    user: User,
    campaign: Campaign,
    finess_et: str,
    values: dict[str, object],
    thresholds: Thresholds | None,
) -> tuple[Declaration, bool]:
    """Write through the declarations room's ``declare`` (editor resolution, history,
    unchanged → nothing written); returns the current declaration and whether it is new."""
    before = _current(session, campaign.id, [finess_et]).get(finess_et)
    declaration = declaration_services.declare(
        session,
        campaign,
        finess_et,
        values,
        user_id=user.id,
        source_kind=DeclarationSource.WEB,
        thresholds=thresholds,
    )
    changed = before is None or declaration.id != before.id
    if changed:
        record(
            session,
            user,
            "declaration.web",
            object_type="establishment",
            object_id=finess_et,
            campaign_id=campaign.id,
            declaration_id=declaration.id,
        )
    return declaration, changed


def declare(
    session: Session,
    user: User,
    finess_ets: Sequence[str],
    data: DeclarationInput,
    *,
    thresholds: Thresholds | None = None,
) -> list[Declaration]:
    """Record the same declaration for one or several ESSMS of the user's OG.

    Each ESSMS keeps its own FINESS department; the champ given applies to a single ESSMS
    only (several ESSMS keep their FINESS champ). Refused as a whole when one ESSMS cannot
    be declared.
    """
    if not finess_ets:
        raise DeclarationError("Choisissez au moins un établissement.")
    check_input(data)
    campaigns = open_campaigns(session)
    targets: list[tuple[Establishment, Campaign]] = []
    for finess_et in finess_ets:
        establishment = get_establishment(session, finess_et)
        if not can_edit_establishment(user, establishment):
            raise Forbidden("Vous ne pouvez pas déclarer pour cet établissement.")
        campaign = campaign_for(establishment, campaigns)
        if campaign is None:
            raise DeclarationError(
                f"Aucune campagne ouverte ne couvre le département {establishment.department} "
                f"({establishment.short_name}) : la déclaration n'est pas possible pour l'instant."
            )
        targets.append((establishment, campaign))
    written = []
    for establishment, campaign in targets:
        values: dict[str, object] = {
            # With no DUI, the editor is the preferred one (optional).
            "editor_raw": _clean(data.editor),
            "champ": data.champ if len(targets) == 1 and data.champ else None,
            "dui_status": data.dui_status,
            "sons_status": data.sons_status,
            "sons_editor_raw": _clean(data.sons_editor)
            if data.sons_status in SONS_ORDERED
            else None,
            "already_funded": data.already_funded,
            "willing_carrier": data.willing_carrier,
            "interested": data.interested,
            "contact_email": _clean(data.contact_email),
            "comment": data.comment.strip() if data.comment and data.comment.strip() else None,
        }
        declaration, _ = _record(
            session, user, campaign, establishment.finess_et, values, thresholds
        )
        written.append(declaration)
    return written


def set_interest(
    session: Session,
    user: User,
    finess_ets: Sequence[str],
    interested: bool = True,
    *,
    thresholds: Thresholds | None = None,
) -> int:
    """Express (or withdraw) interest in the campaign for these ESSMS in one action.

    Returns how many declarations changed. An ESSMS without a declaration in the campaign
    starts from its latest declaration in another campaign (carried over), else gets a
    minimal one (champ and department from FINESS, the rest to complete later).
    """
    campaigns = open_campaigns(session)
    changed = 0
    for finess_et in finess_ets:
        campaign = _editable_campaign(session, user, finess_et, campaigns)
        previous = _current(session, campaign.id, [finess_et]).get(finess_et)
        if previous is None:  # start from the latest declaration of another campaign
            carried = latest_declarations(
                session, [finess_et], except_campaign={finess_et: campaign.id}
            ).get(finess_et)
            previous = carried[0] if carried else None
        if previous is not None:
            values = {name: getattr(previous, name) for name in DECLARED_FIELDS}
        else:
            values = dict.fromkeys(DECLARED_FIELDS)
        if values["interested"] is interested:
            continue
        values["interested"] = interested
        _record(session, user, campaign, finess_et, values, thresholds)
        changed += 1
    return changed


def _editable_campaign(
    session: Session, user: User, finess_et: str, campaigns: Sequence[Campaign]
) -> Campaign:
    """The open campaign an ESSMS the user may act for declares in (``Forbidden`` when the
    user may not act for it, ``DeclarationError`` when no open campaign covers it)."""
    establishment = get_establishment(session, finess_et)
    if not can_edit_establishment(user, establishment):
        raise Forbidden("Vous ne pouvez pas agir pour cet établissement.")
    campaign = campaign_for(establishment, campaigns)
    if campaign is None:
        raise DeclarationError(
            f"Aucune campagne ouverte ne couvre le département {establishment.department}."
        )
    return campaign


def confirm(
    session: Session,
    user: User,
    finess_ets: Sequence[str],
    *,
    thresholds: Thresholds | None = None,
) -> int:
    """Confirm, as they stand, the declarations carried over from another campaign: each is
    recorded in the ESSMS's campaign. Returns how many were confirmed (an ESSMS already
    declared in its campaign, or with nothing to carry over, is left as it is)."""
    campaigns = open_campaigns(session)
    confirmed = 0
    for finess_et in finess_ets:
        campaign = _editable_campaign(session, user, finess_et, campaigns)
        if _current(session, campaign.id, [finess_et]):
            continue
        previous = latest_declarations(
            session, [finess_et], except_campaign={finess_et: campaign.id}
        ).get(finess_et)
        if previous is None:
            continue
        values = {name: getattr(previous[0], name) for name in DECLARED_FIELDS}
        _record(session, user, campaign, finess_et, values, thresholds)
        confirmed += 1
    return confirmed
