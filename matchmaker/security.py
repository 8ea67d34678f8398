"""HTTP security headers, set by flask-talisman on every response.

- Content-Security-Policy: everything from the site itself; scripts only from files of
  the site or, inline, carrying the request's nonce (``csp_nonce()`` in templates; the maps
  are static files, ``static/js/maps.js``, fetching their GeoJSON from the site); styles may
  be inline (Leaflet positions the map with style attributes); images also from ``https:``
  (map tiles) and ``data:``; nothing may frame the
  site (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``.
- ``Cache-Control: no-store`` (and ``Vary: Cookie``) on every response to a logged-in user
  but static files: those pages show contacts and declarations, and after « Se
  déconnecter » on a shared computer the browser's « Précédent » must not show them again.
- ``Strict-Transport-Security`` on responses served over HTTPS (directly or behind a proxy
  sending ``X-Forwarded-Proto: https``). Redirecting http to https is the reverse proxy's
  job (see README « Sécurité »); the session cookie's ``Secure`` flag follows the
  ``SESSION_COOKIE_SECURE`` setting.

Talisman binds one app per instance, so each app built by ``create_app`` gets its own.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user
from flask_talisman import Talisman

SELF = "'self'"

#: The Content-Security-Policy, directive by directive.
CONTENT_SECURITY_POLICY: dict[str, str | list[str]] = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [SELF, "data:", "https:"],
    "font-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}

#: One year, as recommended once HTTPS is in place.
HSTS_MAX_AGE_S = 365 * 24 * 3600


def init_app(app: Flask) -> Talisman:
    """Attach the security headers to ``app`` (and ``csp_nonce()`` to its templates)."""
    talisman = Talisman(
        app,
        force_https=False,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        frame_options="DENY",
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_MAX_AGE_S,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )
    app.extensions["grappes.talisman"] = talisman
    app.after_request(_no_store_when_logged_in)
    return talisman


def _no_store_when_logged_in(response: Response) -> Response:
    if request.endpoint == "static" or not current_user.is_authenticated:
        return response
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response
