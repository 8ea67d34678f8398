"""The non-embarked ESSMS of a region, scored for "aller-vers", and the champ weights.

The list holds the region's eligible ESSMS on no embarkation list, with their OG, FINESS
address and phone, whether an editor is known for them (a current declaration, in any
campaign, names one), their current stage in the contact log and their priority score
(``matchmaker.ars.scoring``). Isolation counts the non-embarked ESSMS of the same region
within ``ARS_ISOLATION_RADIUS_KM``: the partners an ESSMS could still form a grappe with.
The whole region is scored once (one query, one count of great-circle peers), then
filtered and paged.
An ESSMS already in a grappe of a published run is no longer a target: it stays listed,
after every target, followed up as « en grappe (publiée) », never as « Jamais contacté ».
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from matchmaker.ars import scoring
from matchmaker.ars.dashboard import (
    CHAMP_LABELS,
    STAGE_LABELS,
    eligible_filter,
    not_embarked_condition,
)
from matchmaker.audit.services import record
from matchmaker.models import (
    Campaign,
    ChampWeight,
    ContactAction,
    Declaration,
    Embarkation,
    Establishment,
    Grappe,
    GrappeMember,
    Organisation,
    User,
)
from matchmaker.models.declarations import CHAMPS
from matchmaker.ops.figures_cache import finess_version
from matchmaker.public.services import Page
from matchmaker.rules import ProgrammeRules

#: Values of the "editor" filter.
EDITOR_KNOWN = "connu"
EDITOR_UNKNOWN = "inconnu"


@dataclass(frozen=True)
class Target:
    """A non-embarked ESSMS as the desk lists it."""

    finess_et: str
    name: str
    finess_ej: str
    og_name: str | None
    address: str | None
    postcode: str | None
    commune: str | None
    department: str
    phone: str | None
    champ: str | None
    latitude: float | None
    longitude: float | None
    og_essms_count: int
    small_og: bool
    editor_known: bool
    #: Non-embarked ESSMS of the region within the isolation radius (None: no coordinates).
    peers: int | None
    isolated: bool
    score: float
    #: Current stage in the region's contact log (None: never contacted).
    stage: str | None
    #: Member of a grappe of a published run: no longer a target.
    in_published_grappe: bool = False

    @property
    def follow_up(self) -> str:
        """The « Suivi » column: the contact stage, « en grappe (publiée) » or « Jamais
        contacté »."""
        label = STAGE_LABELS.get(self.stage, self.stage) if self.stage else None
        if self.in_published_grappe:
            return f"{label} — en grappe (publiée)" if label else "en grappe (publiée)"
        return label or "Jamais contacté"

    @property
    def full_address(self) -> str:
        town = " ".join(part for part in (self.postcode, self.commune) if part)
        return ", ".join(part for part in (self.address, town) if part)


@dataclass(frozen=True)
class Filters:
    """The table's filters; empty values do not filter."""

    department: str | None = None
    champ: str | None = None
    editor: str | None = None
    small_og: bool = False
    isolated: bool = False

    def keep(self, target: Target) -> bool:
        if self.department and target.department != self.department:
            return False
        if self.champ and target.champ != self.champ:
            return False
        if self.editor == EDITOR_KNOWN and not target.editor_known:
            return False
        if self.editor == EDITOR_UNKNOWN and target.editor_known:
            return False
        if self.small_og and not target.small_og:
            return False
        return not (self.isolated and not target.isolated)


def champ_weights(session: Session, region: str, config: Mapping[str, Any]) -> dict[str, int]:
    """The region's weight of every champ (the default for those never set)."""
    weights = dict.fromkeys(CHAMPS, int(config["ARS_DEFAULT_CHAMP_WEIGHT"]))
    rows = session.execute(
        select(ChampWeight.champ, ChampWeight.weight).where(ChampWeight.region == region)
    )
    weights.update({champ: int(weight) for champ, weight in rows})
    return weights


def set_champ_weights(
    session: Session,
    user: User,
    region: str,
    weights: Mapping[str, int],
    config: Mapping[str, Any],
) -> dict[str, int]:
    """Store the region's champ weights (0 to ``ARS_CHAMP_WEIGHT_MAX``); audited."""
    maximum = int(config["ARS_CHAMP_WEIGHT_MAX"])
    existing = {
        row.champ: row
        for row in session.scalars(select(ChampWeight).where(ChampWeight.region == region))
    }
    for champ, weight in weights.items():
        if champ not in CHAMPS:
            raise ValueError(f"Champ inconnu : {champ}")
        if not 0 <= int(weight) <= maximum:
            raise ValueError(f"Le poids du champ {champ} doit être compris entre 0 et {maximum}.")
        row = existing.get(champ)
        if row is None:
            session.add(
                ChampWeight(
                    region=region, champ=champ, weight=int(weight), updated_by_user_id=user.id
                )
            )
        else:
            row.weight = int(weight)
            row.updated_by_user_id = user.id
    record(
        session,
        user,
        "ars.champ_weights",
        object_type="region",
        object_id=region,
        weights={champ: int(weight) for champ, weight in weights.items()},
    )
    session.flush()
    return champ_weights(session, region, config)


def non_embarked(
    session: Session,
    region: str,
    config: Mapping[str, Any],
    weights: Mapping[str, int],
    rules: ProgrammeRules,
) -> list[Target]:
    """Every non-embarked eligible ESSMS of the region, highest priority first; the grappe
    minimum and the small-OG threshold come from the programme ``rules``."""
    known = _editor_known(session, region)
    grouped = _in_published_grappe(session, region)
    query = (
        select(
            Establishment.finess_et,
            Establishment.long_name,
            Establishment.short_name,
            Establishment.finess_ej,
            Organisation.name,
            Establishment.address,
            Establishment.postcode,
            Establishment.commune,
            Establishment.department,
            Establishment.phone,
            Establishment.champ,
            Establishment.latitude,
            Establishment.longitude,
            Organisation.essms_count,
            ContactAction.stage,
        )
        .join(Establishment.organisation)
        .outerjoin(
            ContactAction,
            and_(
                ContactAction.finess_et == Establishment.finess_et,
                ContactAction.region == region,
                ContactAction.is_current.is_(True),
            ),
        )
        .where(*eligible_filter(region, None), not_embarked_condition())
        .order_by(Establishment.finess_et)
    )
    rows = session.execute(query).all()
    radius = float(config["ARS_ISOLATION_RADIUS_KM"])
    peers = scoring.peer_counts([r.latitude for r in rows], [r.longitude for r in rows], radius)
    factor = float(config["ARS_SMALL_OG_FACTOR"])
    default_weight = int(config["ARS_DEFAULT_CHAMP_WEIGHT"])
    targets: list[Target] = []
    for row, count in zip(rows, peers, strict=True):
        size = rules.min_size_in(row.department)
        og_size = int(row.essms_count or 0)
        small = og_size < rules.small_og_threshold_in(row.department)
        weight = weights.get(row.champ or "", default_weight)
        targets.append(
            Target(
                finess_et=row.finess_et,
                name=row.long_name or row.short_name,
                finess_ej=row.finess_ej,
                og_name=row.name,
                address=row.address,
                postcode=row.postcode,
                commune=row.commune,
                department=row.department,
                phone=row.phone,
                champ=row.champ,
                latitude=row.latitude,
                longitude=row.longitude,
                og_essms_count=og_size,
                small_og=small,
                editor_known=row.finess_et in known,
                peers=count,
                isolated=scoring.is_isolated(count, size),
                score=scoring.priority_score(count, size, small, factor, weight),
                stage=row.stage,
                in_published_grappe=row.finess_et in grouped,
            )
        )
    targets.sort(key=lambda t: (t.in_published_grappe, -t.score, t.finess_et))
    return targets


def _shape(session: Session, *columns: Any, where: Any = None) -> tuple[Any, ...]:
    """A few aggregates in one row (how many rows, the last id or change)."""
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    return tuple(session.execute(query).one())


def desk_version(session: Session, region: str) -> Hashable:
    """What the dashboard of ``region`` (:func:`matchmaker.ars.dashboard.build_dashboard`)
    is computed from, read cheaply: the latest FINESS import and the last change of
    establishments and OG, the embarkation lists (rows added or removed: count and last id
    move) and the region's contact log. Equal versions give the same figures."""
    return (
        finess_version(session),
        _shape(session, func.count(Establishment.finess_et), func.max(Establishment.updated_at)),
        _shape(session, func.max(Organisation.updated_at)),
        _shape(session, func.count(Embarkation.id), func.max(Embarkation.id)),
        _shape(
            session,
            func.count(ContactAction.id),
            func.max(ContactAction.id),
            where=ContactAction.region == region,
        ),
    )


def targets_version(session: Session, region: str, weights: Mapping[str, int]) -> Hashable:
    """What :func:`non_embarked` of ``region`` is computed from, read cheaply: what the
    dashboard is (:func:`desk_version`), and the declarations (count and last id), the
    published runs with their members, and the champ weights. Equal versions give the same
    list (the settings are the app's, fixed per process)."""
    published = select(Campaign.published_run_id).where(Campaign.published_run_id.is_not(None))
    members = (
        select(func.count(GrappeMember.id), func.max(GrappeMember.id))
        .join(Grappe, Grappe.id == GrappeMember.grappe_id)
        .where(Grappe.run_id.in_(published))
    )
    return (
        desk_version(session, region),
        _shape(session, func.count(Declaration.id), func.max(Declaration.id)),
        tuple(sorted(run_id for run_id in session.scalars(published) if run_id is not None)),
        tuple(session.execute(members).one()),
        tuple(sorted(weights.items())),
    )


def _in_published_grappe(session: Session, region: str) -> set[str]:
    """ESSMS of the region that are members of a grappe of a campaign's published run."""
    query = (
        select(GrappeMember.finess_et)
        .join(Grappe, Grappe.id == GrappeMember.grappe_id)
        .join(Campaign, Campaign.published_run_id == Grappe.run_id)
        .join(GrappeMember.establishment)
        .where(Establishment.region == region)
        .distinct()
    )
    return set(session.scalars(query))


def _editor_known(session: Session, region: str) -> set[str]:
    """ESSMS of the region for which a current declaration, in any campaign, names an
    editor (one pass over the declarations, joined to the region's establishments)."""
    named = or_(
        Declaration.editor_id.is_not(None),
        and_(Declaration.editor_raw.is_not(None), Declaration.editor_raw != ""),
    )
    query = (
        select(Declaration.finess_et)
        .join(Establishment, Establishment.finess_et == Declaration.finess_et)
        .where(Establishment.region == region, Declaration.is_current.is_(True), named)
        .distinct()
    )
    return set(session.scalars(query))


def filtered(targets: Sequence[Target], filters: Filters) -> list[Target]:
    """The targets the filters keep, in the same order."""
    return [target for target in targets if filters.keep(target)]


T = TypeVar("T")


def page_of(items: Sequence[T], number: int, per_page: int) -> Page[T]:
    """Page ``number`` (from 1; out-of-range numbers give the nearest page)."""
    pages = max(1, -(-len(items) // per_page))
    number = min(max(1, number), pages)
    start = (number - 1) * per_page
    return Page(
        items=items[start : start + per_page], number=number, per_page=per_page, total=len(items)
    )


def champ_choices() -> list[tuple[str, str]]:
    """Select options of the champ filter."""
    return [(code, f"{code} — {CHAMP_LABELS[code]}") for code in CHAMPS]
