"""Home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from matchmaker.auth.decorators import public
from matchmaker.extensions import db
from matchmaker.main import services

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index() -> str:
    summary = services.import_summary(db.session)
    return render_template("main/index.html", summary=summary)


@bp.get("/sante")
@public
def health() -> dict[str, str]:
    """Liveness probe for deployments."""
    return {"statut": "ok"}
