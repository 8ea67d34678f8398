"""The recevabilité checklist of a grappe: the ten points of DOMAIN.md, "Eligibility".

Each point is *met*, *not met* (naming the offending ESSMS) or *to confirm* when our data
cannot tell (a ``None`` in the inputs: European funding, referencing still imminent…).
A point is *not met* as soon as one ESSMS fails it, even if others are unknown.

Pure functions over plain dataclasses; grappe sizes and the departments of Corsica and
overseas come from the :class:`Scale`. ESSMS are named by FINESS ET, or by their label
(then by their position, "membre n° 3") when the FINESS ET is missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

from matchmaker.funding.scales import Scale

#: A FINESS number: the department (2 digits, or 2A/2B in Corsica) then 7 digits.
FINESS_PATTERN = re.compile(r"(?:\d{2}|2[AB])\d{7}")
#: SIREN of La Poste, whose establishments' SIRET follow another check rule.
LA_POSTE_SIREN = "356000000"


class Status(StrEnum):
    """Outcome of one checklist point."""

    MET = "met"
    NOT_MET = "not_met"
    TO_CONFIRM = "to_confirm"

    @property
    def label(self) -> str:
        """French name shown to users."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.MET: "respecté",
    Status.NOT_MET: "non respecté",
    Status.TO_CONFIRM: "à confirmer",
}


@dataclass(frozen=True)
class ChecklistMember:
    """What we know about one ESSMS of the grappe. ``None`` means "we cannot tell".

    ``editor`` is the editor of the DUI the ESSMS will use in the project (its current one
    for a montée de version, the chosen one for an acquisition); ``sons_editor`` the editor
    it ordered SONS from, ``None`` if it ordered none.
    """

    finess_et: str | None
    is_essms: bool | None
    department: str | None
    editor: str | None
    sons_editor: str | None = None
    already_funded_esms_numerique: bool | None = False
    european_funding: bool | None = None
    label: str = ""


@dataclass(frozen=True)
class ChecklistGrappe:
    """A grappe as the checklist sees it."""

    members: Sequence[ChecklistMember]
    editor: str | None
    editor_referenced: bool | None
    carrier_siret: str | None
    new_operation: bool | None
    #: The carrier's FINESS EJ, None when no carrier is designated yet.
    carrier_ej: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One point of the checklist."""

    number: int
    code: str
    label: str
    status: Status
    detail: str
    offending: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "number": self.number,
            "code": self.code,
            "label": self.label,
            "status": self.status.value,
            "status_label": self.status.label,
            "detail": self.detail,
            "offending": list(self.offending),
        }


@dataclass(frozen=True)
class Checklist:
    """The ten points, in DOMAIN.md order."""

    points: tuple[CheckResult, ...]

    @property
    def status(self) -> Status:
        """Not met if any point is not met; to confirm if any is to confirm; else met."""
        statuses = {point.status for point in self.points}
        for status in (Status.NOT_MET, Status.TO_CONFIRM):
            if status in statuses:
                return status
        return Status.MET

    def point(self, code: str) -> CheckResult:
        """The point named ``code`` (e.g. ``"min_size"``)."""
        return next(point for point in self.points if point.code == code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "status": self.status.value,
            "status_label": self.status.label,
            "points": [point.to_dict() for point in self.points],
        }


#: The ten points of DOMAIN.md, "Eligibility": (number, code, French label). The label of
#: point 2 is completed with the scale's minimum sizes.
POINTS: dict[str, tuple[int, str]] = {
    "eligible_essms": (1, "Tous les ESSMS relèvent de l'article L.312-1 du CASF"),
    "min_size": (
        2,
        "La grappe compte au moins {min} ESSMS ({min_overseas} en Corse et en outre-mer)",
    ),
    "finess_et": (3, "Chaque ESSMS a un numéro FINESS géographique"),
    "carrier_siret": (4, "Le porteur du projet a un numéro SIRET"),
    "new_operation": (5, "Le projet est une opération nouvelle"),
    "no_european_funding": (
        6,
        "Aucun ESSMS n'a reçu de financement européen pour cette opération",
    ),
    "not_already_funded": (7, "Aucun ESSMS n'a déjà été financé par ESMS numérique"),
    "sons_same_editor": (
        8,
        "Aucun ESSMS n'a reçu de financement SONS pour un autre logiciel que celui de la grappe",
    ),
    "same_editor": (9, "Tous les ESSMS utiliseront le même éditeur"),
    "segur_referenced": (
        10,
        "La solution est référencée Ségur (ou son référencement est imminent)",
    ),
}


def check_grappe(grappe: ChecklistGrappe, *, scale: Scale) -> Checklist:
    """Compute the ten points of the recevabilité checklist for ``grappe``."""
    members = list(grappe.members)
    ids = [_member_id(member, index) for index, member in enumerate(members)]
    return Checklist(
        points=(
            _check_eligible(members, ids),
            _check_min_size(members, ids, scale),
            _check_finess(members, ids),
            _check_carrier_siret(grappe.carrier_ej, grappe.carrier_siret),
            _check_new_operation(grappe.new_operation),
            _check_no_european_funding(members, ids),
            _check_not_already_funded(members, ids),
            _check_sons_editor(members, ids, grappe.editor),
            _check_same_editor(members, ids, grappe.editor),
            _check_referenced(grappe.editor_referenced),
        )
    )


def is_valid_finess(finess: str | None) -> TypeGuard[str]:
    """Nine characters: a department (two digits, or 2A/2B) then seven digits."""
    return finess is not None and FINESS_PATTERN.fullmatch(finess.strip().upper()) is not None


def is_valid_siret(siret: str | None) -> bool:
    """Fourteen digits with a valid Luhn key (or, for La Poste, a digit sum divisible by 5)."""
    if siret is None:
        return False
    digits = re.sub(r"\s", "", siret)
    if not re.fullmatch(r"\d{14}", digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    if total % 10 == 0:
        return True
    return digits.startswith(LA_POSTE_SIREN) and sum(int(d) for d in digits) % 5 == 0


def normalise_editor(name: str) -> str:
    """Editor names compare without case, accents or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class _Point:
    """One point of :data:`POINTS`, building its results."""

    code: str
    label: str

    @classmethod
    def named(cls, code: str, **label_values: int) -> _Point:
        return cls(code, POINTS[code][1].format(**label_values))

    def result(self, status: Status, detail: str, offending: Sequence[str] = ()) -> CheckResult:
        return CheckResult(
            POINTS[self.code][0], self.code, self.label, status, detail, tuple(offending)
        )

    def per_essms(
        self,
        failing: Sequence[str],
        unknown: Sequence[str],
        *,
        failing_text: str,
        unknown_text: str,
        met_text: str,
    ) -> CheckResult:
        """Not met if any ESSMS fails; else to confirm if any is unknown; else met."""
        if failing:
            return self.result(
                Status.NOT_MET,
                f"{len(failing)} ESSMS : {failing_text} ({_listing(failing)}).",
                failing,
            )
        if unknown:
            return self.result(
                Status.TO_CONFIRM,
                f"{len(unknown)} ESSMS : {unknown_text} ({_listing(unknown)}).",
                unknown,
            )
        return self.result(Status.MET, met_text)

    def yes_no(self, answer: bool | None, *, met: str, not_met: str, unknown: str) -> CheckResult:
        """A fact of the whole grappe: True met, False not met, None to confirm."""
        if answer is None:
            return self.result(Status.TO_CONFIRM, unknown)
        return self.result(Status.MET, met) if answer else self.result(Status.NOT_MET, not_met)


#: ESSMS named in a point's detail; beyond, « et N autres ».
LISTED_ESSMS = 10


def _listing(ids: Sequence[str]) -> str:
    """« 350000101, 350000102 » or « 350000101, … et 5 autres »."""
    shown = ", ".join(ids[:LISTED_ESSMS])
    rest = len(ids) - LISTED_ESSMS
    return shown + (f" et {rest} autre{'s' if rest > 1 else ''}" if rest > 0 else "")


def _member_id(member: ChecklistMember, index: int) -> str:
    if member.finess_et and member.finess_et.strip():
        return member.finess_et.strip().upper()
    if member.label.strip():
        return member.label.strip()
    return f"membre n° {index + 1}"


def _where(flags: Sequence[bool | None], ids: Sequence[str], value: bool | None) -> list[str]:
    """The ESSMS whose flag is ``value`` (identity: True, False or None)."""
    return [i for flag, i in zip(flags, ids, strict=True) if flag is value]


def _check_eligible(members: list[ChecklistMember], ids: list[str]) -> CheckResult:
    """1. Every ESSMS is in a category of article L.312-1 CASF."""
    flags = [m.is_essms for m in members]
    return _Point.named("eligible_essms").per_essms(
        _where(flags, ids, False),
        _where(flags, ids, None),
        failing_text="catégorie hors article L.312-1",
        unknown_text="catégorie non renseignée",
        met_text="Tous les membres sont des ESSMS au sens de l'article L.312-1.",
    )


def _check_min_size(members: list[ChecklistMember], ids: list[str], scale: Scale) -> CheckResult:
    """2. At least the minimum number of distinct FINESS ET (reduced in Corsica/overseas).

    The reduced minimum applies when every ESSMS is in Corsica or overseas. When the
    count reaches only the reduced minimum and some departments are unknown, the point is
    to confirm.
    """
    rules = scale.grappe
    point = _Point.named(
        "min_size", min=rules.min_essms, min_overseas=rules.min_essms_overseas_corsica
    )
    finess = [m.finess_et.strip().upper() for m in members if is_valid_finess(m.finess_et)]
    count = len(set(finess))
    doubles = sorted(et for et, n in Counter(finess).items() if n > 1)
    counted = f"{count} ESSMS distincts" + (
        f" (comptés une fois : {', '.join(doubles)})" if doubles else ""
    )
    if count >= rules.min_essms:
        return point.result(Status.MET, f"{counted}.", doubles)
    known = [m.department for m in members if m.department]
    overseas = bool(known) and all(scale.is_overseas_corsica(d) for d in known)
    missing = [i for m, i in zip(members, ids, strict=True) if not m.department]
    if count >= rules.min_essms_overseas_corsica and (overseas or not known):
        if not missing:
            return point.result(
                Status.MET,
                f"{counted}, tous en Corse ou en outre-mer (minimum "
                f"{rules.min_essms_overseas_corsica}).",
                doubles,
            )
        return point.result(
            Status.TO_CONFIRM,
            f"{counted} : le minimum de {rules.min_essms_overseas_corsica} ne vaut que si tous "
            "sont en Corse ou en outre-mer, et des départements manquent.",
            missing,
        )
    minimum = rules.min_essms_for(overseas)
    return point.result(Status.NOT_MET, f"{counted}, minimum {minimum}.", doubles)


def _check_finess(members: list[ChecklistMember], ids: list[str]) -> CheckResult:
    """3. Every ESSMS has a (well-formed) FINESS géographique."""
    return _Point.named("finess_et").per_essms(
        [i for m, i in zip(members, ids, strict=True) if not is_valid_finess(m.finess_et)],
        [],
        failing_text="FINESS géographique absent ou mal formé (9 caractères attendus)",
        unknown_text="",
        met_text="Tous les ESSMS ont un FINESS géographique valide.",
    )


def _check_carrier_siret(carrier_ej: str | None, siret: str | None) -> CheckResult:
    """4. The carrier has a SIRET: to confirm when no carrier is designated, or when the
    carrier's SIRET is not recorded (the detail says which)."""
    point = _Point.named("carrier_siret")
    if siret is None or not siret.strip():
        if carrier_ej is None:
            return point.result(
                Status.TO_CONFIRM,
                "Porteur non désigné : choisissez l'organisme qui portera le projet.",
            )
        return point.result(
            Status.TO_CONFIRM,
            f"Le porteur (FINESS EJ {carrier_ej}) est désigné, mais son SIRET n'est pas renseigné.",
            (carrier_ej,),
        )
    if not is_valid_siret(siret):
        return point.result(
            Status.NOT_MET,
            f"SIRET « {siret.strip()} » invalide (14 chiffres avec une clé de contrôle).",
        )
    return point.result(Status.MET, f"SIRET {siret.strip()}.")


def _check_new_operation(new_operation: bool | None) -> CheckResult:
    """5. The project is a new operation."""
    return _Point.named("new_operation").yes_no(
        new_operation,
        met="Opération nouvelle.",
        not_met="Le projet n'est pas une opération nouvelle.",
        unknown="À confirmer par le porteur.",
    )


def _check_no_european_funding(members: list[ChecklistMember], ids: list[str]) -> CheckResult:
    """6. No ESSMS got European funding for this operation."""
    flags = [m.european_funding for m in members]
    return _Point.named("no_european_funding").per_essms(
        _where(flags, ids, True),
        _where(flags, ids, None),
        failing_text="a reçu un financement européen pour cette opération",
        unknown_text="financement européen non renseigné",
        met_text="Aucun ESSMS concerné.",
    )


def _check_not_already_funded(members: list[ChecklistMember], ids: list[str]) -> CheckResult:
    """7. No ESSMS was already funded by ESMS numérique."""
    flags = [m.already_funded_esms_numerique for m in members]
    return _Point.named("not_already_funded").per_essms(
        _where(flags, ids, True),
        _where(flags, ids, None),
        failing_text="déjà financé par ESMS numérique",
        unknown_text="financement ESMS numérique antérieur non renseigné",
        met_text="Aucun ESSMS concerné.",
    )


def _check_sons_editor(
    members: list[ChecklistMember], ids: list[str], editor: str | None
) -> CheckResult:
    """8. An ESSMS that ordered SONS from an editor can only join that editor's grappe."""
    point = _Point.named("sons_same_editor")
    with_sons = [
        (normalise_editor(m.sons_editor), i)
        for m, i in zip(members, ids, strict=True)
        if m.sons_editor and m.sons_editor.strip()
    ]
    if editor is None or not editor.strip():
        return point.per_essms(
            [],
            [i for _, i in with_sons],
            failing_text="",
            unknown_text="commande SONS, mais l'éditeur de la grappe n'est pas choisi",
            met_text="Aucun ESSMS n'a de commande SONS.",
        )
    target = normalise_editor(editor)
    return point.per_essms(
        [i for name, i in with_sons if name != target],
        [],
        failing_text=f"commande SONS chez un autre éditeur que « {editor.strip()} »",
        unknown_text="",
        met_text="Aucune commande SONS chez un autre éditeur.",
    )


def _check_same_editor(
    members: list[ChecklistMember], ids: list[str], editor: str | None
) -> CheckResult:
    """9. All ESSMS will use the same editor, the grappe's.

    Without a grappe editor, the most common editor among members is the reference (ties:
    alphabetical); members who name none are to confirm.
    """
    named = [
        (normalise_editor(m.editor), i)
        for m, i in zip(members, ids, strict=True)
        if m.editor and m.editor.strip()
    ]
    unknown = [i for m, i in zip(members, ids, strict=True) if not (m.editor and m.editor.strip())]
    if editor and editor.strip():
        target, shown = normalise_editor(editor), editor.strip()
    elif named:
        counts = Counter(name for name, _ in named)
        target = shown = min(counts, key=lambda name: (-counts[name], name))
    else:
        target = shown = ""
    return _Point.named("same_editor").per_essms(
        [i for name, i in named if name != target],
        unknown,
        failing_text=f"autre éditeur que « {shown} »",
        unknown_text="éditeur non renseigné",
        met_text=f"Tous les ESSMS utiliseront « {shown} ».",
    )


def _check_referenced(referenced: bool | None) -> CheckResult:
    """10. The solution is référencé Ségur (``None``: unknown or referencing imminent)."""
    return _Point.named("segur_referenced").yes_no(
        referenced,
        met="Solution référencée Ségur.",
        not_met="La solution de l'éditeur n'est pas référencée Ségur.",
        unknown="Référencement non renseigné ou imminent : à confirmer.",
    )
