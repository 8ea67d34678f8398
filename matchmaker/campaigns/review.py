"""What the review pages show about a run: each grappe with its members, funding estimate
and checklist, those left out with their reasons, and the maps. The views come from the one
read model of a stored grappe (:mod:`matchmaker.grappes.read_model`); templates only print
them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matchmaker.grappes.read_model import (
    OPEN_EDITOR,
    GrappeView,
    LeftOutView,
    MemberView,
    default_scale,
    grappe_view,
    grappe_views,
    left_out,
)

if TYPE_CHECKING:  # the map module is loaded by the pages that draw a map
    from matchmaker.campaigns.maps import MapGrappe, MapLeftOut

__all__ = [
    "OPEN_EDITOR",
    "GrappeView",
    "LeftOutView",
    "MemberView",
    "default_scale",
    "grappe_view",
    "grappe_views",
    "left_out",
    "map_grappes",
    "map_left_out",
]


def map_grappes(views: list[GrappeView]) -> list[MapGrappe]:
    """The grappes as the map draws them (members without coordinates are skipped)."""
    from matchmaker.campaigns.maps import MapGrappe, MapMember

    return [
        MapGrappe(
            number=v.grappe.number,
            editor=v.editor_label,
            carrier=v.carrier_name,
            centre_latitude=v.grappe.centre_latitude,
            centre_longitude=v.grappe.centre_longitude,
            members=[
                MapMember(m.finess_et, m.name, m.latitude, m.longitude, m.distance_km, m.is_carrier)
                for m in v.members
                if m.latitude is not None and m.longitude is not None
            ],
        )
        for v in views
    ]


def map_left_out(items: list[LeftOutView]) -> list[MapLeftOut]:
    """The left-out ESSMS as the map draws them (those without coordinates are skipped)."""
    from matchmaker.campaigns.maps import MapLeftOut

    return [
        MapLeftOut(x.finess_et, x.name, x.latitude, x.longitude, x.reason, x.near_miss, x.editor)
        for x in items
        if x.latitude is not None and x.longitude is not None
    ]
