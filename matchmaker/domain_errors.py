"""One hierarchy of domain errors: what a service refuses, in French, with its HTTP status.

Services raise these (never ``abort``); ``matchmaker.errors`` turns any of them into a
response in one place: a flash and a redirect back for a form sent by POST, otherwise the
error page (or JSON) with the status below and the message as its detail. The CLI prints
the message; a job stores it as its cause.

Anything that is not a ``DomainError`` is unexpected: users never see its text (it may hold
SQL, parameters, e-mail addresses), only a French message and a reference under which the
traceback is logged (:func:`public_message`, :func:`new_reference`).

Flask-free and SQLAlchemy-free: the services, the CLI and the jobs import it.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

#: Letters of an error reference: no 0/O, 1/I/L, so that it is read out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5


class DomainError(Exception):
    """A refusal the user can act on; ``str(error)`` is the French message shown as is."""

    #: The HTTP status a request gets when it does not flash and redirect.
    status: ClassVar[int] = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    """The input or the requested action is not acceptable as it stands (400)."""

    status = 400


class Forbidden(DomainError):
    """The acting user may not do this to this object (403)."""

    status = 403


class NotFound(DomainError):
    """No such object, or not any more (404)."""

    status = 404


class Conflict(DomainError):
    """The object's state forbids the action now: already done, in progress, closed (409)."""

    status = 409


def new_reference() -> str:
    """A short reference of an unexpected error, e.g. ``E-7K3F2``: shown to the user, and
    logged with the traceback, so that an operator finds one from the other."""
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"E-{code}"


def unexpected_message(reference: str) -> str:
    """What a user reads about an unexpected error: no detail, only the reference."""
    return f"Une erreur est survenue. Référence : {reference}"


def public_message(error: BaseException, reference: str) -> str:
    """The text a page, an e-mail or a stored job/upload/run may show about ``error``: the
    French message of a domain error, otherwise :func:`unexpected_message` (never the
    exception's own text, which may quote SQL and the parameters it ran with)."""
    if isinstance(error, DomainError):
        return str(error)
    return unexpected_message(reference)
