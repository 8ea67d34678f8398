"""Home page and the administrators' imports log."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from matchmaker.auth.decorators import public, roles_required
from matchmaker.extensions import db
from matchmaker.main import services
from matchmaker.models import Role
from matchmaker.ops import figures_cache
from matchmaker.ops import health as ops_health
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
    figures = figures_cache.cached(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        "imports",
        figures_cache.finess_version(db.session),
        lambda: services.establishment_figures(db.session),
    )
    summary = services.import_summary(db.session, 20, figures=figures)
    return render_template("main/imports.html", summary=summary)


@bp.get("/sante")
@public
def health() -> ResponseReturnValue:
    """Liveness: 200 while this process serves requests (it asks nothing of the database,
    Redis or the jobs: a supervisor restarts a process that does not answer)."""
    response = jsonify({"statut": "vivant"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sante/pret")
@public
def readiness() -> ResponseReturnValue:
    """Readiness for the load balancer: 200 when the database answers, its schema is at the
    migrations' head and Redis (when jobs use it) answers; 503 otherwise, the JSON naming
    what is down (``en_panne``) and how old the queue is."""
    state = ops_health.check(db.session, current_app.config)
    response = jsonify(state.payload())
    response.status_code = 200 if state.ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
