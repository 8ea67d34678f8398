"""``grappes campaigns``: what an operator does to a campaign outside the console, such as
giving an owner to a campaign created from the command line (``grappes
import-declarations`` creates one without owner, which no collectif could manage)."""

from __future__ import annotations

import click
from sqlalchemy import select

from matchmaker.campaigns import services
from matchmaker.domain_errors import DomainError
from matchmaker.extensions import db
from matchmaker.models import Campaign


@click.group("campaigns")
def campaigns_group() -> None:
    """Campagnes."""


@campaigns_group.group("owner")
def owner_group() -> None:
    """Porteurs (comptes collectif SI MS) d'une campagne."""


def _campaign(reference: str) -> Campaign:
    """A campaign by its number or its exact name."""
    campaign = None
    if reference.strip().isdigit():
        campaign = db.session.get(Campaign, int(reference))
    if campaign is None:
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == reference.strip()))
    if campaign is None:
        raise click.ClickException(f"Campagne inconnue : « {reference} » (numéro ou nom exact).")
    return campaign


@owner_group.command("add")
@click.argument("campaign")
@click.argument("email")
def add_owner(campaign: str, email: str) -> None:
    """Fait du compte collectif EMAIL un porteur de la campagne CAMPAIGN (numéro ou nom)."""
    found = _campaign(campaign)
    try:
        added = services.add_owner(db.session, None, found, email)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if added:
        click.echo(f"{email.strip().lower()} porte désormais la campagne « {found.name} ».")
    else:
        click.echo(f"{email.strip().lower()} portait déjà la campagne « {found.name} ».")


@owner_group.command("list")
@click.argument("campaign")
def list_owners(campaign: str) -> None:
    """Affiche les porteurs de la campagne CAMPAIGN (numéro ou nom)."""
    found = _campaign(campaign)
    owners = services.owners(db.session, found)
    if not owners:
        click.echo(f"La campagne « {found.name} » n'a aucun porteur.")
    for user in owners:
        click.echo(user.email)
