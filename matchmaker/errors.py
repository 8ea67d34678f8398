"""One error path: each HTTP error renders ``templates/errors/<code>.html`` in French, in
the site's layout and with a way back, or JSON for API clients; a 500 rolls the session
back first.

Werkzeug's and Flask-WTF's own descriptions are English (« The CSRF token is missing. »):
they are never shown. A description written by our code (``abort(404, description=...)``)
is French and shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from matchmaker.extensions import db


@dataclass(frozen=True)
class ErrorText:
    title: str
    explanation: str


#: French title and explanation of the handled codes.
MESSAGES = {
    400: ErrorText(
        "Requête invalide",
        "La demande envoyée au site est incomplète ou mal formée.",
    ),
    403: ErrorText(
        "Accès refusé",
        "Votre compte ne donne pas accès à cette page. Si vous pensez que c'est une erreur, "
        "écrivez au collectif SI MS de votre région.",
    ),
    404: ErrorText(
        "Page introuvable",
        "Cette page n'existe pas ou plus : le lien est peut-être ancien ou mal recopié.",
    ),
    405: ErrorText(
        "Action non autorisée",
        "Cette adresse ne s'utilise pas ainsi : revenez à la page précédente et utilisez "
        "ses boutons.",
    ),
    413: ErrorText(
        "Fichier trop volumineux",
        "Le fichier envoyé dépasse la taille acceptée par le site : compressez-le ou "
        "découpez-le, puis recommencez.",
    ),
    429: ErrorText(
        "Trop de tentatives",
        "Vous avez fait trop de tentatives en peu de temps : patientez une minute, puis "
        "recommencez.",
    ),
    500: ErrorText(
        "Erreur interne",
        "Le site a rencontré une erreur. Rien n'a été enregistré ; réessayez dans un "
        "instant. Si l'erreur revient, signalez-la à l'équipe Grappes.",
    ),
}

#: Any other code.
OTHER_TEXT = ErrorText(
    "La demande n'a pas abouti",
    "Le site n'a pas pu traiter cette demande.",
)

#: A refused CSRF check (a form left open too long, or sent from elsewhere).
CSRF_TEXT = ErrorText(
    "Formulaire expiré",
    "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. Rechargez la page, "
    "puis envoyez le formulaire à nouveau.",
)


def wants_json() -> bool:
    """True when the client prefers JSON (API calls, fetch)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _is_library_text(error: HTTPException) -> bool:
    """True when the description is Werkzeug's or Flask-WTF's English default."""
    if isinstance(error, CSRFError):
        return True
    default = default_exceptions.get(error.code or 500)
    return (
        error.description is None
        or error.description == type(error).description
        or (default is not None and error.description == default.description)
    )


def _back_url() -> str | None:
    """The page the user came from, when it is a page of this site (never another host)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    if parts.path == request.path:
        return None
    return referrer


def render_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    text = CSRF_TEXT if isinstance(error, CSRFError) else MESSAGES.get(code, OTHER_TEXT)
    detail = None if code >= 500 or _is_library_text(error) else str(error.description)
    if wants_json():
        return jsonify(error=text.title, detail=detail or text.explanation, status=code), code
    template = f"errors/{code}.html" if code in MESSAGES else "errors/_error.html"
    return (
        render_template(
            template,
            title=text.title,
            explanation=text.explanation,
            detail=detail,
            code=code,
            back_url=_back_url(),
        ),
        code,
    )


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
