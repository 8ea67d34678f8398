"""``grappes funding``: the funding estimate on the command line.

Quick estimate without a grappe::

    grappes funding --type acquisition --essms 46 [--segur|--no-segur] [--og-size N]
                    [--overseas] [--json] [--scale FILE] [--instruction NAME]

``--run ID [--grappe ID]`` will estimate the grappes of a solver run; until solver runs
are stored it stops with a French error. The command parses options, calls the pure
functions of :mod:`matchmaker.funding.estimate` and prints French text or JSON. All user
messages are French; options are validated here (not by click types) for that reason.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import click

from matchmaker.funding.estimate import FundingError, GrappeEstimate, quick_estimate
from matchmaker.funding.scales import (
    ProjectType,
    Scale,
    ScaleError,
    load_scale,
)

#: Exit codes: a wrong option (as click's usage errors), and a request we cannot serve.
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 1


NBSP = "\u00a0"


class FundingCommandError(click.ClickException):
    """A French error message for the user, printed as « Erreur : … »."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        # click declares exit_code on the class; each of our errors carries its own.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Erreur : {self.format_message()}", file=file, err=file is None)


def format_eur(amount: int) -> str:
    """French amount: ``989000`` → ``"989 000 €"`` with non-breaking spaces."""
    return f"{amount:,}".replace(",", NBSP) + f"{NBSP}€"


@click.command("funding")
@click.option(
    "--type",
    "project_type",
    metavar="acquisition|montee_version",
    help="Type de projet des ESSMS (estimation rapide, sans grappe).",
)
@click.option("--essms", metavar="N", help="Nombre d'ESSMS du projet.")
@click.option(
    "--segur/--no-segur",
    default=True,
    show_default=True,
    help="Éditeur référencé Ségur ou non.",
)
@click.option(
    "--og-size",
    metavar="N",
    help="Nombre d'ESSMS gérés par l'OG de ces ESSMS (défaut : --essms, un seul OG).",
)
@click.option("--overseas", is_flag=True, help="ESSMS en Corse ou en outre-mer.")
@click.option(
    "--run", "run_id", metavar="ID", help="Estimer les grappes d'une exécution du solveur."
)
@click.option("--grappe", "grappe_id", metavar="ID", help="Une seule grappe de l'exécution --run.")
@click.option(
    "--scale",
    "scale_path",
    metavar="FICHIER",
    help="Fichier de barème TOML (défaut : le réglage GRAPPES_FUNDING_SCALE_FILE, comme le "
    "site, sinon matchmaker/funding/scales.toml).",
)
@click.option(
    "--instruction",
    metavar="NOM",
    help="Instruction du barème à appliquer (défaut : le réglage GRAPPES_FUNDING_INSTRUCTION, "
    "sinon celle du fichier).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def funding_command(
    project_type: str | None,
    essms: str | None,
    segur: bool,
    og_size: str | None,
    overseas: bool,
    run_id: str | None,
    grappe_id: str | None,
    scale_path: str | None,
    instruction: str | None,
    as_json: bool,
) -> None:
    """Estime le financement ESMS numérique d'un projet ou des grappes d'une exécution."""
    if run_id is not None:
        quick_options = {
            "--type": project_type,
            "--essms": essms,
            "--og-size": og_size,
            "--overseas": overseas or None,
        }
        given = [name for name, value in quick_options.items() if value is not None]
        if given:
            raise FundingCommandError(
                f"--run ne se combine pas avec {', '.join(given)} (estimation rapide)."
            )
        run_number = _parse_count("--run", run_id)
        grappe_number = None if grappe_id is None else _parse_count("--grappe", grappe_id)
        scale = _load(scale_path, instruction)
        _estimate_run(run_number, grappe_number, scale, as_json)
        return
    if grappe_id is not None:
        raise FundingCommandError("--grappe s'utilise avec --run.")
    kind = _parse_type(project_type)
    if essms is None:
        raise FundingCommandError("--essms est obligatoire.")
    n_essms = _parse_count("--essms", essms)
    size = n_essms if og_size is None else _parse_count("--og-size", og_size)
    scale = _load(scale_path, instruction)
    try:
        estimate = quick_estimate(
            kind,
            n_essms,
            editor_referenced=segur,
            og_size=size,
            overseas_corsica=overseas,
            scale=scale,
        )
    except FundingError as error:
        raise FundingCommandError(str(error)) from None
    if as_json:
        payload = {
            "project_type": kind.value,
            "og_size": size,
            "overseas_corsica": overseas,
            **estimate.to_dict(),
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(render_quick_estimate(estimate, kind, size, overseas, scale))


def _estimate_run(run_id: int, grappe_number: int | None, scale: Scale, as_json: bool) -> None:
    """Estimate and check the grappes of a stored solver run (``grappe_id`` of its CSV)."""
    from matchmaker.extensions import db
    from matchmaker.grappes.read_model import assess
    from matchmaker.models import SolverRun

    run = db.session.get(SolverRun, run_id)
    if run is None:
        raise FundingCommandError(f"Exécution inconnue : {run_id}.", exit_code=EXIT_UNAVAILABLE)
    grappes = [g for g in run.grappes if grappe_number in (None, g.number)]
    if not grappes:
        raise FundingCommandError(
            f"L'exécution {run_id} n'a pas de grappe n° {grappe_number}."
            if grappe_number is not None
            else f"L'exécution {run_id} n'a formé aucune grappe.",
            exit_code=EXIT_UNAVAILABLE,
        )
    payload = []
    for grappe in grappes:
        try:
            assessment = assess(db.session, grappe, scale)
        except FundingError as error:
            raise FundingCommandError(str(error), exit_code=EXIT_UNAVAILABLE) from None
        if as_json:
            payload.append(
                {
                    "run": run.id,
                    "grappe": grappe.number,
                    "editor": grappe.editor_name or None,
                    **assessment.estimate.to_dict(),
                    "checklist": [point.to_dict() for point in assessment.checklist.points],
                }
            )
            continue
        editor = grappe.editor_name or "éditeur à choisir"
        click.echo(f"Grappe n° {grappe.number} — {editor} — {grappe.size} ESSMS")
        click.echo("\n".join(render_estimate(assessment.estimate)))
        click.echo(f"Recevabilité : {assessment.checklist.status.label}")
        for point in assessment.checklist.points:
            click.echo(f"  {point.number}. {point.label} : {point.status.label}")
        click.echo("")
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def render_quick_estimate(
    estimate: GrappeEstimate, kind: ProjectType, og_size: int, overseas: bool, scale: Scale
) -> str:
    """The French text of a quick estimate."""
    referencing = "référencé Ségur" if estimate.editor_referenced else "non référencé"
    territory = "Corse ou outre-mer" if overseas else "métropole"
    n_ogs = len(estimate.ogs)
    ogs = f"{n_ogs} OG de {og_size} ESSMS chacun" if n_ogs > 1 else f"OG de {og_size} ESSMS"
    header = [
        "Estimation du financement ESMS numérique",
        f"Instruction : {scale.instruction} — {scale.label}",
        f"Projet : {estimate.essms} ESSMS en {kind.label}, éditeur {referencing}, "
        f"{ogs}, {territory} ({estimate.aap.label})",
    ]
    return "\n".join([*header, "", *render_estimate(estimate)])


def render_estimate(estimate: GrappeEstimate) -> list[str]:
    """French lines of an estimate: breakdown, totals, SONS, payments, notes."""
    rows: list[tuple[str, str]] = [
        (
            line.label,
            f"{line.quantity} × {format_eur(line.unit_eur)} = {format_eur(line.amount_eur)}",
        )
        for line in estimate.lines
    ]
    rows += [
        (
            line.label + " (hors total)",
            f"{line.quantity} × {format_eur(line.unit_eur)} = {format_eur(line.amount_eur)}",
        )
        for line in estimate.sons_lines
    ]
    out = _aligned(rows)
    total_label = "Total (maximum)" if estimate.small_og_max_eur else "Total"
    totals = [
        ("Usage", format_eur(estimate.usage_eur)),
        ("Logiciel", format_eur(estimate.software_eur)),
        ("Petits OG (maxima)", format_eur(estimate.small_og_max_eur)),
        (total_label, format_eur(estimate.total_eur)),
        ("SONS versé à l'éditeur (hors total)", format_eur(estimate.sons_eur)),
    ]
    out += ["", *_aligned(totals, right=True)]
    out += ["", "Échéancier :"]
    out += [
        f"  {payment.label} : {format_eur(payment.amount_eur)}" for payment in estimate.payments
    ]
    out += [
        f"  Délai pour atteindre les objectifs d'usage ({kind.label}) : {months} mois"
        for kind, months in estimate.deadlines_months
    ]
    if estimate.notes:
        out += ["", "Remarques :"] + [f"  - {note}" for note in estimate.notes]
    return out


def _aligned(rows: list[tuple[str, str]], right: bool = False) -> list[str]:
    if not rows:
        return []
    width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    return [
        f"  {label.ljust(width)}  {value.rjust(value_width) if right else value}"
        for label, value in rows
    ]


def _parse_type(value: str | None) -> ProjectType:
    choices = " ou ".join(kind.value for kind in ProjectType)
    if value is None:
        raise FundingCommandError(f"indiquez --type ({choices}) et --essms N, ou --run ID.")
    try:
        return ProjectType(value)
    except ValueError:
        raise FundingCommandError(
            f"--type « {value} » inconnu : valeurs possibles {choices}."
        ) from None


def _parse_count(option: str, value: str) -> int:
    """A positive integer option, with a French error otherwise."""
    try:
        number = int(value)
    except ValueError:
        raise FundingCommandError(
            f"{option} attend un nombre entier (reçu : « {value} »)."
        ) from None
    if number < 1:
        raise FundingCommandError(f"{option} doit être au moins 1 (reçu : {number}).")
    return number


def _load(path: str | None, instruction: str | None) -> Scale:
    """The options' scale, else the settings' (``programme_scale``), as the site reads it."""
    from flask import current_app, has_app_context

    from matchmaker.extensions import current_rules
    from matchmaker.rules import build_rules

    settings = dict(current_app.config) if has_app_context() else None
    try:
        if path is None and instruction is None:
            return current_rules().scale if has_app_context() else build_rules().scale
        if path is None:
            path = (settings or {}).get("FUNDING_SCALE_FILE") or os.environ.get(
                "GRAPPES_FUNDING_SCALE_FILE"
            )
        return load_scale(path or None, instruction)
    except ScaleError as error:
        raise FundingCommandError(str(error), exit_code=EXIT_UNAVAILABLE) from None
