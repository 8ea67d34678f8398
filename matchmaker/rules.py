"""The programme rules: one frozen, typed object built once from the scale file and the settings.

``build_rules(config)`` reads the scale file's instruction (``FUNDING_SCALE_FILE``,
``FUNDING_INSTRUCTION``) and the grappe and small-OG settings, which default to that file's
values (``matchmaker.config.programme_defaults``) and may override them. ``create_app``
builds it once and keeps it in ``app.extensions`` (``matchmaker.extensions.current_rules``);
services, the solver's parameters, the funding and the pages take it from there. The list of
territories with the reduced minimum is the scale file's (``overseas_corsica_departments``);
a ``REDUCED_MINIMUM_DEPARTMENTS`` setting replaces it everywhere at once, the funding
included.

Only the programme's rules live here; operational settings (database, jobs, pages) stay in
the app's config. Pure: no Flask, no SQLAlchemy (the ``pure-core`` import contract).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from importers.geography import reduced_minimum_applies
from matchmaker.config import programme_defaults_of
from matchmaker.funding.scales import Scale, ScaleError, programme_scale


@dataclass(frozen=True)
class ProgrammeRules:
    """What the programme's yearly instruction says, as this instance applies it.

    ``scale`` holds the funding (amounts per ESSMS, the reduced-funding rank, SONS, small-OG
    extras, payment and deadlines); the sizes below are the grappe rules the solver, the ARS
    desk and the pages apply. ``small_og_threshold``: an OG running fewer ESSMS than this is
    a small OG.
    """

    scale: Scale
    min_size: int
    min_size_reduced: int
    max_size: int
    reduced_minimum_departments: frozenset[str]
    small_og_threshold: int
    small_og_threshold_reduced: int

    def is_reduced(self, department: str | None) -> bool:
        """The reduced minimum applies in ``department`` (INSEE or FINESS code): Corsica and
        overseas."""
        if not department:
            return False
        return reduced_minimum_applies(department, self.reduced_minimum_departments)

    def min_size_in(self, department: str | None) -> int:
        """The grappe minimum in ``department`` (reduced in Corsica and overseas)."""
        return self.min_size_reduced if self.is_reduced(department) else self.min_size

    def small_og_threshold_in(self, department: str | None) -> int:
        """An OG of ``department`` running fewer ESSMS than this is a small OG."""
        if self.is_reduced(department):
            return self.small_og_threshold_reduced
        return self.small_og_threshold

    def solver_settings(self) -> dict[str, Any]:
        """The programme's part of the solver parameters (``solver.SolveParams`` names)."""
        return {
            "min_size": self.min_size,
            "min_size_overseas": self.min_size_reduced,
            "max_size": self.max_size,
            "small_og_threshold": self.small_og_threshold,
            "small_og_threshold_overseas": self.small_og_threshold_reduced,
            "reduced_minimum_departments": self.reduced_minimum_departments,
        }


def _int(config: Mapping[str, Any], defaults: Mapping[str, Any], name: str) -> int:
    value = config.get(name)
    if value is None:
        value = defaults[name]
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise ScaleError(f"Réglage {name} : nombre entier attendu, trouvé « {value} ».") from error
    if number < 1:
        raise ScaleError(f"Réglage {name} : au moins 1 attendu, trouvé {number}.")
    return number


def _departments(value: Iterable[str] | str) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(str(item).strip().upper() for item in items if str(item).strip())


def build_rules(config: Mapping[str, Any] | None = None) -> ProgrammeRules:
    """The rules from the settings ``config`` (the app's config, or a mapping of the same
    names), each missing setting taken from the scale file; ``None`` reads the scale file and
    instruction of the ``GRAPPES_*`` environment variables, as ``programme_scale`` does.
    Raises ``ScaleError`` (French) for a bad scale file or setting."""
    scale = programme_scale(config)
    settings: Mapping[str, Any] = config or {}
    defaults = programme_defaults_of(scale)
    departments = settings.get("REDUCED_MINIMUM_DEPARTMENTS")
    territories = _departments(
        departments if departments is not None else defaults["REDUCED_MINIMUM_DEPARTMENTS"]
    )
    rules = ProgrammeRules(
        scale=replace(scale, overseas_corsica_departments=territories),
        min_size=_int(settings, defaults, "GRAPPE_MIN_SIZE"),
        min_size_reduced=_int(settings, defaults, "GRAPPE_MIN_SIZE_REDUCED"),
        max_size=_int(settings, defaults, "GRAPPE_MAX_SIZE"),
        reduced_minimum_departments=territories,
        small_og_threshold=_int(settings, defaults, "SMALL_OG_THRESHOLD"),
        small_og_threshold_reduced=_int(settings, defaults, "SMALL_OG_THRESHOLD_REDUCED"),
    )
    if rules.max_size < rules.min_size:
        raise ScaleError(
            f"Réglages incohérents : taille maximale d'une grappe ({rules.max_size}) inférieure "
            f"au minimum ({rules.min_size})."
        )
    return rules
