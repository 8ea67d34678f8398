"""Home page and the administrators' imports log."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from matchmaker.auth.decorators import public, roles_required
from matchmaker.extensions import db
from matchmaker.main import services
from matchmaker.models import Role
from matchmaker.public.services import region_choices, region_name

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index() -> str:
    region = request.args.get("region") or None
    if region is not None and region_name(region) is None:
        region = None
    figures = services.home_figures(db.session, region)
    return render_template("main/index.html", figures=figures, regions=region_choices())


@bp.get("/imports")
@roles_required(Role.ADMIN)
def imports() -> str:
    summary = services.import_summary(db.session)
    return render_template("main/imports.html", summary=summary)


@bp.get("/sante")
@public
def health() -> dict[str, str]:
    """Liveness probe for deployments."""
    return {"statut": "ok"}
