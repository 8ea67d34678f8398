"""Helpers shared by the test modules: a test client that sends the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask import g, has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "motdepasse-solide-1"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class CsrfClient(FlaskClient):
    """A test client whose POSTs carry a valid CSRF token unless ``csrf=False``."""

    def csrf_token(self) -> str:
        page = self.get("/connexion", follow_redirects=True).get_data(as_text=True)
        found = CSRF_INPUT.search(page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        """Each request starts with an empty ``g``, as in production. (The test's app
        context, pushed by ``db_session``, is shared by every request of the test, so
        Flask-Login's cached ``g._login_user`` would otherwise outlive a logout.)"""
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        if csrf:
            data = kwargs.setdefault("data", {})
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        return super().post(*args, **kwargs)
