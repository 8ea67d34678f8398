"""One error path, and one transaction per request.

- Each HTTP error renders ``templates/errors/<code>.html`` in French, in the site's layout
  and with a way back, or JSON for API clients.
- A :class:`~matchmaker.domain_errors.DomainError` raised by a service reaches HTTP here, and
  only here: the session is rolled back, then a form sent by POST gets the message flashed
  and a redirect back (to the page the view named with :func:`back_to`, the form's ``next``
  or the referrer, on this site only); anything else gets the error page of the error's
  status (403, 404, 409, 400) with the message as detail.
- Any other exception is unexpected: the traceback (with whatever SQL and parameters it
  quotes) goes to the log under a reference such as ``E-7K3F2``, and the user reads only
  « Une erreur est survenue. Référence : E-7K3F2 ».
- The request's work is committed once, after a successful view (status below 400), and
  rolled back otherwise, as Indico's request handler does. Views do not commit; the few that
  must (a job a worker has to see before the response) say why where they do.

Werkzeug's and Flask-WTF's own descriptions are English (« The CSRF token is missing. »):
they are never shown. A description written by our code (``abort(404, description=...)``)
is French and shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Response, flash, g, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from matchmaker.domain_errors import DomainError, unexpected_message
from matchmaker.extensions import db
from matchmaker.ops import logs


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
    409: ErrorText(
        "Action impossible pour l'instant",
        "L'état de l'objet ne permet pas cette action maintenant : rechargez la page pour "
        "voir où il en est.",
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


def _same_site(url: str | None) -> str | None:
    """``url`` when it is a page of this site other than this one (never another host)."""
    if not url:
        return None
    parts = urlsplit(url)
    if (parts.netloc and parts.netloc != request.host) or (parts.scheme and not parts.netloc):
        return None
    if not parts.netloc and not url.startswith("/"):
        return None
    if url.startswith("//") or parts.path == request.path:
        return None
    return url


def _back_url() -> str | None:
    """The page the user came from, when it is a page of this site (never another host)."""
    return _same_site(request.referrer)


def back_to(target: str) -> None:
    """Where a domain error raised later in this request sends the user (flash + redirect),
    instead of the form's ``next`` or the referrer."""
    g.error_target = target


def render_error(
    error: HTTPException, *, detail: str | None = None, reference: str | None = None
) -> ResponseReturnValue:
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    text = CSRF_TEXT if isinstance(error, CSRFError) else MESSAGES.get(code, OTHER_TEXT)
    if detail is None:
        detail = None if code >= 500 or _is_library_text(error) else str(error.description)
    if wants_json():
        payload = {"error": text.title, "detail": detail or text.explanation, "status": code}
        if reference is not None:
            payload["reference"] = reference
        return jsonify(payload), code
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


def handle_domain_error(error: DomainError) -> ResponseReturnValue:
    """The one path from a service's refusal to HTTP (see the module's docstring)."""
    db.session.rollback()
    message = str(error)
    if request.method == "POST" and error.status not in (403, 404) and not wants_json():
        target = (
            g.get("error_target")
            or _same_site(request.form.get("next"))
            or _same_site(request.args.get("next"))
            or _back_url()
        )
        if target:
            flash(message, "error")
            return redirect(target)
    http_error = default_exceptions.get(error.status, InternalServerError)()
    return render_error(http_error, detail=message or None)


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    """Log the traceback under a new reference; show the user only the reference."""
    if isinstance(error, HTTPException):
        return render_error(error)
    if isinstance(error, DomainError):
        return handle_domain_error(error)
    reference = logs.report_unexpected(error, f"{request.method} {request.path}")
    return render_error(
        InternalServerError(), detail=unexpected_message(reference), reference=reference
    )


def handle_server_error(error: InternalServerError) -> ResponseReturnValue:
    """A 500 Flask raised itself (an exception outside the view, e.g. the request's commit)."""
    original = error.original_exception
    if isinstance(original, Exception) and not isinstance(original, HTTPException):
        return handle_unexpected(original)
    return render_error(error)


def end_transaction(response: Response) -> Response:
    """Commit the request's work after a successful view, roll it back otherwise."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def init_app(app: Flask) -> None:
    """Register the handlers of every code in ``MESSAGES``, of domain errors and of any
    other exception, and the request's commit-or-rollback."""
    for code in MESSAGES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.after_request(end_transaction)
