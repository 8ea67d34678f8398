"""The funding scale of ESMS numérique, read from a versioned TOML file.

``scales.toml`` (beside this module) holds one section per yearly instruction. Every
programme number the estimator and the checklist use comes from there: amounts per ESSMS
before and from the threshold rank, small-OG extras and threshold, SONS tranches, payment
schedule, grappe minimum size, departments of Corsica and overseas.

The whole file is validated when loaded: a missing, unknown or ill-typed key raises a
:class:`ScaleError` whose French message names the key, so a typo in a new instruction is
caught before any estimate is computed.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from importers.geography import DEPARTMENTS, reduced_minimum_applies

DEFAULT_SCALE_PATH = Path(__file__).with_name("scales.toml")

T = TypeVar("T")

#: Field metadata: the smallest value the file may give (amounts default to 0).
AT_LEAST_1 = {"minimum": 1}


class ScaleError(ValueError):
    """The scale file cannot be used; the message (French) names the file and the key."""


class ProjectType(StrEnum):
    """What an ESSMS does in the project."""

    ACQUISITION = "acquisition"
    MONTEE_VERSION = "montee_version"

    @property
    def label(self) -> str:
        """French name shown to users."""
        return _PROJECT_TYPE_LABELS[self]


_PROJECT_TYPE_LABELS = {
    ProjectType.ACQUISITION: "acquisition",
    ProjectType.MONTEE_VERSION: "montée de version",
}


class Comparison(StrEnum):
    """How an OG's number of ESSMS is compared with the small-OG threshold."""

    FEWER_THAN = "fewer_than"
    AT_MOST = "at_most"


@dataclass(frozen=True)
class PerEssmsAmounts:
    """Funding per ESSMS for one project type, before and from the threshold rank."""

    usage_before_threshold_eur: int
    usage_from_threshold_eur: int
    software_before_threshold_eur: int
    software_from_threshold_eur: int

    def usage_eur(self, reduced: bool) -> int:
        """Usage funding of one ESSMS; ``reduced`` for ranks from the threshold on."""
        return self.usage_from_threshold_eur if reduced else self.usage_before_threshold_eur

    def software_eur(self, reduced: bool) -> int:
        """Software funding of one ESSMS; ``reduced`` for ranks from the threshold on."""
        return self.software_from_threshold_eur if reduced else self.software_before_threshold_eur


@dataclass(frozen=True)
class SmallOgRules:
    """Who is a small OG, and the extras (maxima) a small OG may get."""

    threshold: int = field(metadata=AT_LEAST_1)
    threshold_overseas_corsica: int = field(metadata=AT_LEAST_1)
    comparison: Comparison
    hardware_per_essms_eur: int
    project_support_per_carrier_eur: int
    procurement_per_acquisition_project_eur: int

    def threshold_for(self, overseas_corsica: bool) -> int:
        """The threshold that applies in mainland France or in Corsica/overseas."""
        return self.threshold_overseas_corsica if overseas_corsica else self.threshold

    def is_small(self, og_essms: int, overseas_corsica: bool) -> bool:
        """An OG running ``og_essms`` ESSMS is small: fewer than (or at most) the threshold."""
        threshold = self.threshold_for(overseas_corsica)
        if self.comparison is Comparison.AT_MOST:
            return og_essms <= threshold
        return og_essms < threshold


@dataclass(frozen=True)
class SonsTranche:
    """SONS amount per ESSMS for an OG running at least ``from_og_essms`` ESSMS."""

    from_og_essms: int
    per_essms_eur: int


@dataclass(frozen=True)
class SonsScale:
    """SONS amounts per ESSMS by the OG's number of ESSMS (tranches in increasing order)."""

    tranches: tuple[SonsTranche, ...]

    def tranche_for(self, og_essms: int) -> SonsTranche:
        """The tranche of an OG running ``og_essms`` ESSMS (the last one it reaches)."""
        if og_essms < self.tranches[0].from_og_essms:
            raise ValueError(f"un OG gère au moins un ESSMS (reçu : {og_essms})")
        return [tranche for tranche in self.tranches if og_essms >= tranche.from_og_essms][-1]

    def upper_bound(self, tranche: SonsTranche) -> int | None:
        """Largest OG size of ``tranche``; None for the last, open-ended tranche."""
        index = self.tranches.index(tranche)
        if index + 1 == len(self.tranches):
            return None
        return self.tranches[index + 1].from_og_essms - 1

    def per_essms_eur(self, og_essms: int) -> int:
        """Amount per ESSMS paid to the editor for an OG running ``og_essms`` ESSMS."""
        return self.tranche_for(og_essms).per_essms_eur


@dataclass(frozen=True)
class PaymentRules:
    """Two payments: at signature, then after the VSR once usage targets are reached."""

    at_signature_percent: int
    after_vsr_percent: int
    acquisition_deadline_months: int = field(metadata=AT_LEAST_1)
    montee_version_deadline_months: int = field(metadata=AT_LEAST_1)

    def deadline_months(self, project_type: ProjectType) -> int:
        """Months after signature to reach the usage targets."""
        if project_type is ProjectType.ACQUISITION:
            return self.acquisition_deadline_months
        return self.montee_version_deadline_months


@dataclass(frozen=True)
class GrappeRules:
    """Size rules of a grappe."""

    min_essms: int = field(metadata=AT_LEAST_1)
    min_essms_overseas_corsica: int = field(metadata=AT_LEAST_1)
    national_aap_from_essms: int = field(metadata=AT_LEAST_1)

    def min_essms_for(self, overseas_corsica: bool) -> int:
        """Minimum number of distinct ESSMS in mainland France or in Corsica/overseas."""
        return self.min_essms_overseas_corsica if overseas_corsica else self.min_essms


@dataclass(frozen=True)
class Scale:
    """One yearly instruction of the funding scale."""

    instruction: str
    label: str
    threshold_rank: int
    acquisition_referenced: PerEssmsAmounts
    acquisition_not_referenced: PerEssmsAmounts
    montee_version: PerEssmsAmounts
    small_og: SmallOgRules
    sons: SonsScale
    payment: PaymentRules
    grappe: GrappeRules
    overseas_corsica_departments: frozenset[str]

    def per_essms(self, project_type: ProjectType, editor_referenced: bool) -> PerEssmsAmounts:
        """Amounts per ESSMS for a project type; the referencing matters for acquisitions."""
        if project_type is ProjectType.MONTEE_VERSION:
            return self.montee_version
        if editor_referenced:
            return self.acquisition_referenced
        return self.acquisition_not_referenced

    def is_reduced_rank(self, rank: int) -> bool:
        """Rank ``rank`` (1-based, over the whole project) gets the reduced amounts."""
        return rank >= self.threshold_rank

    def is_overseas_corsica(self, department: str | None) -> bool:
        """The department (INSEE or FINESS code) is in Corsica or overseas."""
        if department is None:
            return False
        return reduced_minimum_applies(department, self.overseas_corsica_departments)


def load_scale(path: str | os.PathLike[str] | None = None, instruction: str | None = None) -> Scale:
    """Read and validate the scale file, then return one instruction.

    ``path`` defaults to the ``scales.toml`` shipped with the package; ``instruction``
    defaults to the file's ``default_instruction``. Every section of the file is validated,
    not only the one returned. Raises :class:`ScaleError` with a French message.
    """
    file = Path(path) if path is not None else DEFAULT_SCALE_PATH
    scales = load_scales(file)
    name = instruction if instruction is not None else scales.default_instruction
    if name not in scales.instructions:
        available = ", ".join(sorted(scales.instructions))
        raise ScaleError(
            f"Barème {file} : instruction « {name} » absente (instructions disponibles : "
            f"{available})."
        )
    return scales.instructions[name]


#: The settings naming the programme rules (``GRAPPES_FUNDING_SCALE_FILE`` and
#: ``GRAPPES_FUNDING_INSTRUCTION`` in the environment).
SCALE_SETTINGS = ("FUNDING_SCALE_FILE", "FUNDING_INSTRUCTION")


def programme_scale(config: Mapping[str, Any] | None = None) -> Scale:
    """The programme rules, from one place for every entry point (site, console, CLI):
    the scale file and instruction of the settings — ``config`` (the app's), else the
    ``GRAPPES_*`` environment variables — else the shipped file's default instruction."""
    if config is None:
        config = {name: os.environ.get(f"GRAPPES_{name}") for name in SCALE_SETTINGS}
    path, instruction = (config.get(name) or None for name in SCALE_SETTINGS)
    return load_scale(path, instruction)


@dataclass(frozen=True)
class ScaleFile:
    """Every instruction of a scale file, and the one used by default."""

    default_instruction: str
    instructions: dict[str, Scale]


def load_scales(path: str | os.PathLike[str] | None = None) -> ScaleFile:
    """Read and validate every instruction of a scale file (cached while the file is
    unchanged: pages and estimates call this on every request)."""
    file = Path(path) if path is not None else DEFAULT_SCALE_PATH
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        raise ScaleError(f"Fichier de barème introuvable : {file}.") from None
    return _load_scales(file.resolve(), stamp)


@functools.lru_cache(maxsize=16)
def _load_scales(file: Path, _stamp: int) -> ScaleFile:
    try:
        with file.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        raise ScaleError(f"Fichier de barème introuvable : {file}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ScaleError(f"Fichier de barème {file} illisible (TOML invalide) : {error}.") from None
    reader = _Reader(file)
    reader.keys(data, "", {"default_instruction", "instructions"})
    default = reader.string(data, "", "default_instruction")
    sections = reader.table(data, "", "instructions")
    if not sections:
        raise ScaleError(f"Barème {file} : la table « instructions » ne contient aucune section.")
    instructions = {
        name: _read_instruction(reader, name, reader.table(sections, "instructions", name))
        for name in sections
    }
    if default not in instructions:
        raise ScaleError(
            f"Barème {file} : « default_instruction » vaut « {default} », qui n'est pas une "
            f"section de « instructions » ({', '.join(sorted(instructions))})."
        )
    return ScaleFile(default_instruction=default, instructions=instructions)


def _read_instruction(reader: _Reader, name: str, section: dict[str, Any]) -> Scale:
    base = f"instructions.{name}"
    reader.keys(
        section,
        base,
        {"label", "per_essms", "small_og", "sons", "payment", "grappe", "territory"},
    )
    per_essms = reader.table(section, base, "per_essms")
    per_essms_path = f"{base}.per_essms"
    reader.keys(
        per_essms,
        per_essms_path,
        {
            "threshold_rank",
            "acquisition_referenced",
            "acquisition_not_referenced",
            "montee_version",
        },
    )
    return Scale(
        instruction=name,
        label=reader.string(section, base, "label"),
        threshold_rank=reader.integer(per_essms, per_essms_path, "threshold_rank", minimum=2),
        acquisition_referenced=_read_amounts(
            reader, per_essms, per_essms_path, "acquisition_referenced"
        ),
        acquisition_not_referenced=_read_amounts(
            reader, per_essms, per_essms_path, "acquisition_not_referenced"
        ),
        montee_version=_read_amounts(reader, per_essms, per_essms_path, "montee_version"),
        small_og=_read_small_og(reader, section, base),
        sons=_read_sons(reader, section, base),
        payment=_read_payment(reader, section, base),
        grappe=_read_grappe(reader, section, base),
        overseas_corsica_departments=_read_territory(reader, section, base),
    )


def _read_amounts(
    reader: _Reader, parent: dict[str, Any], parent_path: str, key: str
) -> PerEssmsAmounts:
    return reader.integers(
        reader.table(parent, parent_path, key), f"{parent_path}.{key}", PerEssmsAmounts
    )


def _read_small_og(reader: _Reader, section: dict[str, Any], base: str) -> SmallOgRules:
    table = reader.table(section, base, "small_og")
    path = f"{base}.small_og"
    comparison = reader.string(table, path, "comparison")
    allowed = ", ".join(f"« {mode.value} »" for mode in Comparison)
    if comparison not in {mode.value for mode in Comparison}:
        raise ScaleError(
            f"Barème {reader.file} : « {path}.comparison » vaut « {comparison} » ; valeurs "
            f"possibles : {allowed} (moins de / au plus le seuil)."
        )
    return reader.integers(table, path, SmallOgRules, comparison=Comparison(comparison))


def _read_sons(reader: _Reader, section: dict[str, Any], base: str) -> SonsScale:
    table = reader.table(section, base, "sons")
    path = f"{base}.sons"
    reader.keys(table, path, {"tranches"})
    raw = table.get("tranches")
    if not isinstance(raw, list) or not raw:
        raise ScaleError(
            f"Barème {reader.file} : « {path}.tranches » doit être une liste non vide de "
            "tranches { from_og_essms = …, per_essms_eur = … }."
        )
    tranches: list[SonsTranche] = []
    for index, item in enumerate(raw):
        item_path = f"{path}.tranches[{index}]"
        if not isinstance(item, dict):
            raise ScaleError(
                f"Barème {reader.file} : « {item_path} » doit être une table "
                "{ from_og_essms = …, per_essms_eur = … }."
            )
        reader.keys(item, item_path, {"from_og_essms", "per_essms_eur"})
        tranche = SonsTranche(
            from_og_essms=reader.integer(item, item_path, "from_og_essms", minimum=1),
            per_essms_eur=reader.integer(item, item_path, "per_essms_eur"),
        )
        if tranches and tranche.from_og_essms <= tranches[-1].from_og_essms:
            raise ScaleError(
                f"Barème {reader.file} : « {item_path}.from_og_essms » ({tranche.from_og_essms}) "
                f"doit être supérieur à celui de la tranche précédente "
                f"({tranches[-1].from_og_essms})."
            )
        tranches.append(tranche)
    if tranches[0].from_og_essms != 1:
        raise ScaleError(
            f"Barème {reader.file} : la première tranche « {path}.tranches[0].from_og_essms » "
            f"doit valoir 1 (un OG d'un seul ESSMS), pas {tranches[0].from_og_essms}."
        )
    return SonsScale(tranches=tuple(tranches))


def _read_payment(reader: _Reader, section: dict[str, Any], base: str) -> PaymentRules:
    path = f"{base}.payment"
    payment = reader.integers(reader.table(section, base, "payment"), path, PaymentRules)
    if payment.at_signature_percent + payment.after_vsr_percent != 100:
        raise ScaleError(
            f"Barème {reader.file} : « {path}.at_signature_percent » + "
            f"« {path}.after_vsr_percent » doivent faire 100 (lu : "
            f"{payment.at_signature_percent} + {payment.after_vsr_percent})."
        )
    return payment


def _read_grappe(reader: _Reader, section: dict[str, Any], base: str) -> GrappeRules:
    return reader.integers(reader.table(section, base, "grappe"), f"{base}.grappe", GrappeRules)


def _read_territory(reader: _Reader, section: dict[str, Any], base: str) -> frozenset[str]:
    table = reader.table(section, base, "territory")
    path = f"{base}.territory"
    reader.keys(table, path, {"overseas_corsica_departments"})
    raw = table.get("overseas_corsica_departments")
    key = f"{path}.overseas_corsica_departments"
    if raw is None:
        raise ScaleError(f"Barème {reader.file} : clé manquante « {key} ».")
    if not isinstance(raw, list) or not all(isinstance(code, str) and code for code in raw):
        raise ScaleError(
            f"Barème {reader.file} : « {key} » doit être une liste de codes de département "
            f'(chaînes, par exemple ["2A", "974"]).'
        )
    codes = frozenset(code.strip().upper() for code in raw)
    unknown = sorted(codes - DEPARTMENTS.keys())
    if unknown:
        raise ScaleError(
            f"Barème {reader.file} : « {key} » : {', '.join(unknown)} n'est pas un code INSEE "
            "de département ou de collectivité (2A, 974, 978… ; pas les codes FINESS 9A…9J)."
        )
    return codes


@dataclass(frozen=True)
class _Reader:
    """Typed access to the parsed TOML, raising French errors that name the full key."""

    file: Path

    def _name(self, parent_path: str, key: str) -> str:
        return f"{parent_path}.{key}" if parent_path else key

    def _get(self, parent: dict[str, Any], parent_path: str, key: str) -> Any:
        if key not in parent:
            raise ScaleError(
                f"Barème {self.file} : clé manquante « {self._name(parent_path, key)} »."
            )
        return parent[key]

    def keys(self, table: dict[str, Any], path: str, expected: set[str]) -> None:
        """Reject unknown keys (most often a typo in a new instruction)."""
        unknown = sorted(set(table) - expected)
        if unknown:
            names = ", ".join(f"« {self._name(path, key)} »" for key in unknown)
            raise ScaleError(
                f"Barème {self.file} : clé inconnue {names} (clés attendues ici : "
                f"{', '.join(sorted(expected))})."
            )

    def table(self, parent: dict[str, Any], parent_path: str, key: str) -> dict[str, Any]:
        value = self._get(parent, parent_path, key)
        if not isinstance(value, dict):
            raise ScaleError(
                f"Barème {self.file} : « {self._name(parent_path, key)} » doit être une table "
                f"(section [{self._name(parent_path, key)}])."
            )
        return value

    def string(self, parent: dict[str, Any], parent_path: str, key: str) -> str:
        value = self._get(parent, parent_path, key)
        if not isinstance(value, str) or not value.strip():
            raise ScaleError(
                f"Barème {self.file} : « {self._name(parent_path, key)} » doit être un texte "
                f"non vide (lu : {value!r})."
            )
        return value

    def integers(self, table: dict[str, Any], path: str, cls: type[T], **parsed: Any) -> T:
        """Build dataclass ``cls`` from a table of integers, one key per field.

        Fields given in ``parsed`` were read by the caller; every other field is an integer
        of at least its ``minimum`` metadata (0 by default). Unknown keys are rejected.
        """
        items = fields(cls)  # type: ignore[arg-type]
        self.keys(table, path, {item.name for item in items})
        values = {
            item.name: self.integer(table, path, item.name, item.metadata.get("minimum", 0))
            for item in items
            if item.name not in parsed
        }
        return cls(**values, **parsed)

    def integer(self, parent: dict[str, Any], parent_path: str, key: str, minimum: int = 0) -> int:
        value = self._get(parent, parent_path, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            expected = "un entier positif ou nul" if minimum == 0 else f"un entier ≥ {minimum}"
            raise ScaleError(
                f"Barème {self.file} : « {self._name(parent_path, key)} » doit être "
                f"{expected} (lu : {value!r})."
            )
        return value
