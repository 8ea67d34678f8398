"""One error path: each HTTP error renders ``templates/errors/<code>.html`` in French, or
JSON for API clients; a 500 rolls the session back first."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from matchmaker.extensions import db

#: French titles of the handled codes.
MESSAGES = {
    400: "Requête invalide",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Fichier trop volumineux",
    429: "Trop de tentatives",
    500: "Erreur interne",
}


def wants_json() -> bool:
    """True when the client prefers JSON (API calls, fetch)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    title = MESSAGES.get(code, error.name)
    detail = error.description if code < 500 else None
    if wants_json():
        return jsonify(error=title, detail=detail, status=code), code
    return render_template(f"errors/{code}.html", title=title, detail=detail), code


def init_app(app: Flask) -> None:
    """Register the handlers of every code in ``MESSAGES``."""
    for code in MESSAGES:
        app.register_error_handler(code, render_error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):
            return render_error(error)
        app.logger.exception("Unhandled error")
        return render_error(InternalServerError())
