"""How much funding a grappe can get, and for whom.

Pure functions over plain dataclasses; every number comes from a :class:`Scale`.

Rules (DOMAIN.md, "Funding of a grappe" and "SONS"):

- Usage and software funding are paid per ESSMS. The ESSMS of ranks 1 to
  ``threshold_rank - 1`` (1st to 49th) get the full amounts, those of rank
  ``threshold_rank`` (50th) and beyond the reduced amounts.
- **Ranks in a mixed grappe** (:func:`rank_members`): ranks are counted over the whole
  project, acquisitions first, then montées de version; within a project type, by FINESS ET
  in ascending order. With the reference scale this gives the full rate to the lines where
  it matters most (an acquisition loses 16,000 € or more from the threshold, a montée de
  version 3,000 €), so the estimate is the highest the instruction allows; and it does not
  depend on the order in which members are listed. In a single-type grappe the order only
  decides which OG's ESSMS carry the reduced amounts, never the total.
- Small-OG extras are maxima (the ARS decides case by case): hardware per ESSMS of each
  small OG; project support (AMOA) once for the carrier, i.e. once per grappe, when at
  least one small OG takes part; procurement support once per project, when at least one
  small OG takes part with an acquisition.
- An OG is judged against the Corsica/overseas threshold when all its ESSMS in the grappe
  are in Corsica or overseas; its size is the number of ESSMS it runs (all of them, not
  only those in the grappe).
- SONS is paid by the State to the editor for each ESSMS in montée de version, at the
  amount of its OG's tranche. It is shown apart and is not part of the total.
- ``total_eur = usage_eur + software_eur + small_og_max_eur``; the payment schedule splits
  it into the first payment (rounded down to the euro) and the rest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matchmaker.funding.results import (
    Aap,
    FundingLine,
    GrappeEstimate,
    LineCode,
    OgFunding,
    Payment,
)
from matchmaker.funding.scales import ProjectType, Scale

__all__ = [
    "RANK_ORDER",
    "Aap",
    "FundingError",
    "FundingLine",
    "FundingMember",
    "GrappeEstimate",
    "LineCode",
    "OgFunding",
    "Payment",
    "estimate_grappe",
    "quick_estimate",
    "rank_members",
]

#: Project types in ranking order: acquisitions get the first ranks.
RANK_ORDER: tuple[ProjectType, ...] = (ProjectType.ACQUISITION, ProjectType.MONTEE_VERSION)


class FundingError(ValueError):
    """The estimate cannot be computed from these inputs; the message is French."""


@dataclass(frozen=True)
class FundingMember:
    """One ESSMS of a grappe, as the estimator needs it.

    ``department`` is the ESSMS's department code (INSEE or FINESS coding, e.g. ``"69"``,
    ``"2A"``, ``"974"`` or ``"9D"``).
    """

    finess_et: str
    finess_ej: str
    project_type: ProjectType
    department: str


def rank_members(members: Iterable[FundingMember]) -> list[FundingMember]:
    """Members in rank order: acquisitions first, then montées de version, each by FINESS ET.

    The first member has rank 1. See the module docstring for why.
    """
    return sorted(members, key=lambda m: (RANK_ORDER.index(m.project_type), m.finess_et))


def estimate_grappe(
    members: Sequence[FundingMember],
    *,
    editor_referenced: bool,
    scale: Scale,
    og_essms_counts: Mapping[str, int] | None = None,
) -> GrappeEstimate:
    """Funding of a grappe: totals, lines, per-OG breakdown, SONS and payment schedule.

    ``og_essms_counts`` gives, per FINESS EJ, the number of ESSMS the OG runs (from
    FINESS); it decides small OG and SONS tranches. An OG missing from it counts only its
    ESSMS in the grappe. Raises :class:`FundingError` on an empty grappe, an ESSMS listed
    twice, or an OG said to run fewer ESSMS than it has in the grappe.
    """
    if not members:
        raise FundingError("La grappe n'a aucun ESSMS : rien à estimer.")
    duplicates = sorted(et for et, n in Counter(m.finess_et for m in members).items() if n > 1)
    if duplicates:
        raise FundingError(f"ESSMS en double dans la grappe : {', '.join(duplicates)}.")
    counts = og_essms_counts or {}
    in_grappe = Counter(m.finess_ej for m in members)
    ogs: dict[str, _Og] = {}
    for ej, n_in_grappe in in_grappe.items():
        og_essms = counts.get(ej, n_in_grappe)
        if og_essms < n_in_grappe:
            raise FundingError(
                f"L'OG {ej} gère {og_essms} ESSMS selon FINESS mais en a {n_in_grappe} dans la "
                "grappe."
            )
        overseas = all(
            scale.is_overseas_corsica(m.department) for m in members if m.finess_ej == ej
        )
        ogs[ej] = _Og(key=ej, og_essms=og_essms, overseas_corsica=overseas)
    ranked = [(m.finess_ej, m.project_type) for m in rank_members(members)]
    return _estimate(ranked, ogs, editor_referenced=editor_referenced, scale=scale)


def quick_estimate(
    project_type: ProjectType,
    essms: int,
    *,
    editor_referenced: bool = True,
    og_size: int | None = None,
    overseas_corsica: bool = False,
    scale: Scale,
) -> GrappeEstimate:
    """Funding of ``essms`` ESSMS of one project type, without a stored grappe.

    Each ESSMS belongs to an OG running ``og_size`` ESSMS (default: ``essms``, a single
    OG). With ``og_size`` below ``essms`` the ESSMS are spread over as many OG as needed,
    all of that size (the last one may have only part of its ESSMS in the project).
    """
    if essms < 1:
        raise FundingError(f"Le nombre d'ESSMS doit être au moins 1 (reçu : {essms}).")
    size = essms if og_size is None else og_size
    if size < 1:
        raise FundingError(f"La taille de l'OG doit être au moins 1 ESSMS (reçu : {size}).")
    n_ogs = -(-essms // size)
    keys = [f"OG {index + 1}" if n_ogs > 1 else "OG" for index in range(n_ogs)]
    ogs = {key: _Og(key=key, og_essms=size, overseas_corsica=overseas_corsica) for key in keys}
    ranked = [(keys[index // size], project_type) for index in range(essms)]
    return _estimate(ranked, ogs, editor_referenced=editor_referenced, scale=scale)


@dataclass(frozen=True)
class _Og:
    key: str
    og_essms: int
    overseas_corsica: bool


def _estimate(
    ranked: Sequence[tuple[str, ProjectType]],
    ogs: Mapping[str, _Og],
    *,
    editor_referenced: bool,
    scale: Scale,
) -> GrappeEstimate:
    """The computation shared by grappes and quick estimates; ``ranked`` is in rank order."""
    small = {
        key: scale.small_og.is_small(og.og_essms, og.overseas_corsica) for key, og in ogs.items()
    }
    usage: dict[str, int] = defaultdict(int)
    software: dict[str, int] = defaultdict(int)
    by_type: dict[str, Counter[ProjectType]] = defaultdict(Counter)
    groups: dict[tuple[ProjectType, bool], list[int]] = defaultdict(list)
    for rank, (key, kind) in enumerate(ranked, start=1):
        reduced = scale.is_reduced_rank(rank)
        amounts = scale.per_essms(kind, editor_referenced)
        usage[key] += amounts.usage_eur(reduced)
        software[key] += amounts.software_eur(reduced)
        by_type[key][kind] += 1
        groups[(kind, reduced)].append(rank)

    lines = _rate_lines(groups, editor_referenced, scale)
    lines += _small_og_lines(ogs, small, by_type, scale)
    sons_lines = _sons_lines(ogs, by_type, scale)

    og_rows = []
    for key, og in ogs.items():
        n_mdv = by_type[key][ProjectType.MONTEE_VERSION]
        sons_unit = scale.sons.per_essms_eur(og.og_essms)
        og_rows.append(
            OgFunding(
                finess_ej=key,
                og_essms=og.og_essms,
                essms_in_grappe=sum(by_type[key].values()),
                acquisition_essms=by_type[key][ProjectType.ACQUISITION],
                montee_version_essms=n_mdv,
                overseas_corsica=og.overseas_corsica,
                small=small[key],
                usage_eur=usage[key],
                software_eur=software[key],
                hardware_max_eur=(
                    sum(by_type[key].values()) * scale.small_og.hardware_per_essms_eur
                    if small[key]
                    else 0
                ),
                sons_per_essms_eur=sons_unit,
                sons_eur=n_mdv * sons_unit,
            )
        )

    def total(code: LineCode) -> int:
        return sum(line.amount_eur for line in lines if line.code is code)

    small_og_max = sum(line.amount_eur for line in lines if line.is_maximum)
    grand_total = total(LineCode.USAGE) + total(LineCode.SOFTWARE) + small_og_max
    kinds = [kind for kind in RANK_ORDER if any(k is kind for _, k in ranked)]
    n_essms = len(ranked)
    return GrappeEstimate(
        instruction=scale.instruction,
        editor_referenced=editor_referenced,
        essms=n_essms,
        aap=Aap.NATIONAL if n_essms >= scale.grappe.national_aap_from_essms else Aap.REGIONAL,
        usage_eur=total(LineCode.USAGE),
        software_eur=total(LineCode.SOFTWARE),
        small_og_max_eur=small_og_max,
        sons_eur=sum(line.amount_eur for line in sons_lines),
        lines=tuple(lines),
        sons_lines=tuple(sons_lines),
        ogs=tuple(og_rows),
        payments=_payments(grand_total, scale),
        deadlines_months=tuple((kind, scale.payment.deadline_months(kind)) for kind in kinds),
        notes=_notes(ranked, ogs, small, editor_referenced, scale),
    )


def _rate_lines(
    groups: Mapping[tuple[ProjectType, bool], list[int]], editor_referenced: bool, scale: Scale
) -> list[FundingLine]:
    """Usage lines then software lines, one per project type and rate, in rank order.

    Lines whose amount per ESSMS is zero are left out.
    """
    keys = sorted(groups, key=lambda key: min(groups[key]))
    lines: list[FundingLine] = []
    for code in (LineCode.USAGE, LineCode.SOFTWARE):
        for kind, reduced in keys:
            ranks = groups[(kind, reduced)]
            amounts = scale.per_essms(kind, editor_referenced)
            if code is LineCode.USAGE:
                unit = amounts.usage_eur(reduced)
            else:
                unit = amounts.software_eur(reduced)
            if unit == 0:
                continue  # e.g. software of a montée de version: SONS pays the editor
            lines.append(
                FundingLine(
                    code=code,
                    label=_rate_label(code, kind, editor_referenced, min(ranks), max(ranks)),
                    quantity=len(ranks),
                    unit_eur=unit,
                    amount_eur=len(ranks) * unit,
                    project_type=kind,
                    first_rank=min(ranks),
                    last_rank=max(ranks),
                )
            )
    return lines


def _rate_label(
    code: LineCode, kind: ProjectType, editor_referenced: bool, first: int, last: int
) -> str:
    ranks = f"rang {first}" if first == last else f"rangs {first} à {last}"
    if code is LineCode.USAGE:
        return f"Usage — {kind.label}, {ranks}"
    if kind is ProjectType.MONTEE_VERSION:
        return f"Logiciel — {kind.label} (payé à l'éditeur par SONS), {ranks}"
    referencing = "éditeur référencé Ségur" if editor_referenced else "éditeur non référencé"
    return f"Logiciel — {kind.label}, {referencing}, {ranks}"


def _small_og_lines(
    ogs: Mapping[str, _Og],
    small: Mapping[str, bool],
    by_type: Mapping[str, Counter[ProjectType]],
    scale: Scale,
) -> list[FundingLine]:
    """Hardware per ESSMS of small OG; project support and procurement once per grappe."""
    rules = scale.small_og
    small_keys = [key for key in ogs if small[key]]
    if not small_keys:
        return []
    n_hardware = sum(sum(by_type[key].values()) for key in small_keys)
    lines = [
        FundingLine(
            code=LineCode.HARDWARE,
            label="Matériel et infrastructure des petits OG (maximum)",
            quantity=n_hardware,
            unit_eur=rules.hardware_per_essms_eur,
            amount_eur=n_hardware * rules.hardware_per_essms_eur,
            is_maximum=True,
        ),
        FundingLine(
            code=LineCode.PROJECT_SUPPORT,
            label="Accompagnement projet (AMOA) du porteur (maximum)",
            quantity=1,
            unit_eur=rules.project_support_per_carrier_eur,
            amount_eur=rules.project_support_per_carrier_eur,
            is_maximum=True,
        ),
    ]
    if any(by_type[key][ProjectType.ACQUISITION] for key in small_keys):
        lines.append(
            FundingLine(
                code=LineCode.PROCUREMENT,
                label="Accompagnement à l'achat (maximum)",
                quantity=1,
                unit_eur=rules.procurement_per_acquisition_project_eur,
                amount_eur=rules.procurement_per_acquisition_project_eur,
                is_maximum=True,
                project_type=ProjectType.ACQUISITION,
            )
        )
    return lines


def _sons_lines(
    ogs: Mapping[str, _Og], by_type: Mapping[str, Counter[ProjectType]], scale: Scale
) -> list[FundingLine]:
    """SONS paid to the editor for montée de version ESSMS, one line per tranche."""
    per_tranche: Counter[int] = Counter()
    for key, og in ogs.items():
        n_mdv = by_type[key][ProjectType.MONTEE_VERSION]
        if n_mdv:
            per_tranche[scale.sons.tranches.index(scale.sons.tranche_for(og.og_essms))] += n_mdv
    lines = []
    for index in sorted(per_tranche):
        tranche = scale.sons.tranches[index]
        upper = scale.sons.upper_bound(tranche)
        if upper is None:
            sizes = f"{tranche.from_og_essms} ESSMS et plus"
        elif upper == tranche.from_og_essms:
            sizes = f"{upper} ESSMS"
        else:
            sizes = f"{tranche.from_og_essms} à {upper} ESSMS"
        lines.append(
            FundingLine(
                code=LineCode.SONS,
                label=f"SONS versé à l'éditeur — OG de {sizes}",
                quantity=per_tranche[index],
                unit_eur=tranche.per_essms_eur,
                amount_eur=per_tranche[index] * tranche.per_essms_eur,
                project_type=ProjectType.MONTEE_VERSION,
            )
        )
    return lines


def _payments(total: int, scale: Scale) -> tuple[Payment, ...]:
    """First payment rounded down to the euro; the second is the rest, so they add up."""
    rules = scale.payment
    first = total * rules.at_signature_percent // 100
    return (
        Payment(
            label=(
                f"{rules.at_signature_percent} % à la signature (convention ARS et convention "
                "de partenariat)"
            ),
            percent=rules.at_signature_percent,
            amount_eur=first,
        ),
        Payment(
            label=(
                f"{rules.after_vsr_percent} % après la VSR, une fois les objectifs d'usage atteints"
            ),
            percent=rules.after_vsr_percent,
            amount_eur=total - first,
        ),
    )


def _notes(
    ranked: Sequence[tuple[str, ProjectType]],
    ogs: Mapping[str, _Og],
    small: Mapping[str, bool],
    editor_referenced: bool,
    scale: Scale,
) -> tuple[str, ...]:
    """French remarks a reader of the estimate needs."""
    notes = []
    kinds = {kind for _, kind in ranked}
    if ProjectType.MONTEE_VERSION in kinds and not editor_referenced:
        notes.append(
            "La montée de version n'est financée que vers une version référencée Ségur : "
            "le référencement de l'éditeur est à confirmer."
        )
    if any(small.values()):
        notes.append(
            "Les montants des petits OG sont des maxima, accordés au cas par cas par l'ARS."
        )
    if len(kinds) > 1 and len(ranked) >= scale.threshold_rank:
        notes.append(
            f"Grappe mixte d'au moins {scale.threshold_rank} ESSMS : les rangs sont comptés "
            "sur tout le projet, acquisitions d'abord, puis montées de version, chacune par "
            "numéro FINESS ET."
        )
    overseas = all(og.overseas_corsica for og in ogs.values())
    minimum = scale.grappe.min_essms_for(overseas)
    if len(ranked) < minimum:
        where = "en Corse et en outre-mer" if overseas else "en métropole"
        notes.append(
            f"Moins de {minimum} ESSMS : une grappe {where} doit en compter au moins "
            f"{minimum} ; ce chiffrage vaut pour la part de ces ESSMS dans une grappe."
        )
    return tuple(notes)
