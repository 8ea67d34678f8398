"""Public pages, open to anonymous visitors."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from importers.categories import essms_label
from matchmaker.auth.decorators import public
from matchmaker.extensions import current_rules, db
from matchmaker.maps import ORIGIN_COLOUR, GeoJSON, MapPoint, collection, point_feature
from matchmaker.models import Establishment
from matchmaker.public import services

bp = Blueprint("public", __name__)


@bp.get("/programme")
@public
def about() -> ResponseReturnValue:
    return render_template(
        "public/about.html",
        min_size=current_rules().min_size,
        min_size_reduced=current_rules().min_size_reduced,
        max_size=current_rules().max_size,
    )


@bp.get("/accessibilite")
@public
def accessibility() -> ResponseReturnValue:
    """The accessibility statement (RGAA 4.1.2), linked from every footer."""
    contact = current_app.config.get("ACCESSIBILITY_CONTACT") or current_app.config["MAIL_FROM"]
    return render_template("public/accessibility.html", contact=contact)


@bp.get("/campagnes")
@public
def campaigns() -> ResponseReturnValue:
    region = request.args.get("region") or None
    if region is not None and services.region_name(region) is None:
        region = None
    return render_template(
        "public/campaigns.html",
        campaigns=services.open_campaigns(db.session, region),
        regions=services.region_choices(),
        region=region,
        region_name=services.region_name,
    )


@bp.get("/etablissements")
@public
def search() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:100]
    essms_only = request.args.get("tous") != "1"
    page = services.search_establishments(
        db.session,
        query,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=int(current_app.config["SEARCH_PAGE_SIZE"]),
        essms_only=essms_only,
    )
    return render_template("public/search.html", query=query, results=page, essms_only=essms_only)


@bp.get("/etablissements/<finess_et>")
@public
def establishment(finess_et: str) -> ResponseReturnValue:
    found = services.establishment(db.session, finess_et)
    if found is None:
        abort(404)
    return render_template(
        "public/establishment.html",
        establishment=found,
        essms_label=essms_label(found.category_code, found.is_essms),
        position=_position(found),
    )


def _position(establishment: Establishment) -> GeoJSON | None:
    """The establishment alone on a map (its FINESS coordinates), or None when unlocated."""
    if establishment.latitude is None or establishment.longitude is None:
        return None
    point = MapPoint(
        establishment.latitude,
        establishment.longitude,
        establishment.long_name or establishment.short_name,
        (" ".join(part for part in (establishment.postcode, establishment.commune) if part),),
        ORIGIN_COLOUR,
        "origin",
    )
    return collection([point_feature(point)], max_zoom=9)
