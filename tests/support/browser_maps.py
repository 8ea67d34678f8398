"""What every map of the site must show in the browser: the shipped outlines drawn (the
base layer that needs no internet), the attribution, a metric-only scale and the territory
selector; and no console error on the way."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

DEPARTMENTS = 101
REGIONS = 18
MAP_WAIT_MS = 30_000  # a page may wait for a background job, then reload


def watch_errors(page: Page) -> list[str]:
    """Collects the page's uncaught exceptions, console errors and failed requests (the
    browser's own request for /favicon.ico aside: not a page's doing)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", on_console)
    page.on("response", on_response)
    return errors


def expect_map_drawn(page: Page, map_id: str, *, tiles: bool = False) -> Locator:
    """The map ``map_id`` is ready, with every outline drawn as SVG paths (and tiles only
    when ``tiles``: the setting is off by default)."""
    box = page.locator(f"#{map_id}")
    expect(box).to_have_attribute("data-map-state", re.compile("ready|error"), timeout=MAP_WAIT_MS)
    status = page.locator(f"#{map_id}-etat").text_content()
    assert box.get_attribute("data-map-state") == "ready", status
    expect(box.locator("path.grappes-outline-department")).to_have_count(DEPARTMENTS)
    expect(box.locator("path.grappes-outline-region")).to_have_count(REGIONS)
    expect(box.locator(".leaflet-control-attribution")).to_contain_text(
        "Contours : IGN Admin Express 2018, Licence Ouverte"
    )
    scale = box.locator(".leaflet-control-scale-line")
    expect(scale).to_have_count(1)  # metric only: no second line in miles or feet
    expect(scale).to_have_text(re.compile(r"^\d+ k?m$"))
    expect(box.locator(".grappes-territories select")).to_be_visible()
    if tiles:
        expect(box.locator("img.leaflet-tile").first).to_be_attached()
    else:
        expect(box.locator("img.leaflet-tile")).to_have_count(0)  # no tile server by default
    return box
