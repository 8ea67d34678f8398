"""``grappes users``: accounts created by an operator (the first administrator, collectifs,
ARS)."""

from __future__ import annotations

import sys

import click
from flask import current_app

from matchmaker.auth import admin, services
from matchmaker.extensions import db
from matchmaker.models import Organisation, Role


@click.group("users")
def users_group() -> None:
    """Comptes utilisateurs."""


@users_group.command("create")
@click.option("--email", required=True, help="Adresse électronique (identifiant).")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="og, collectif, ars ou admin.",
)
@click.option("--organisation", help="FINESS EJ (ou ET) de l'organisme, pour le rôle og.")
@click.option("--region", help="Code INSEE de la région, pour les rôles collectif et ars.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Lire le mot de passe sur l'entrée standard au lieu de le demander.",
)
def create_user(
    email: str, role: str, organisation: str | None, region: str | None, password_stdin: bool
) -> None:
    """Crée un compte confirmé et approuvé."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            db.session,
            email=email,
            password=password,
            role=Role(role),
            finess_ej=organisation,
            region=region,
            password_min_length=int(current_app.config["PASSWORD_MIN_LENGTH"]),
        )
    except services.AuthError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role.label}).")


@users_group.command("domains")
@click.argument("finess_ej")
@click.argument("domains", nargs=-1)
def set_domains(finess_ej: str, domains: tuple[str, ...]) -> None:
    """Fixe les noms de domaine connus d'un organisme (aucun : les efface)."""
    organisation = db.session.get(Organisation, finess_ej.strip())
    if organisation is None:
        raise click.ClickException(f"Organisme inconnu : « {finess_ej} ».")
    try:
        cleaned = admin.set_known_domains(db.session, None, organisation, domains)
    except services.AuthError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Domaines connus de {finess_ej} : {', '.join(cleaned) or 'aucun'}.")
