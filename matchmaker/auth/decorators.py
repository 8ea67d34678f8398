"""Route guards. Every route of the site carries ``roles_required`` or ``public``, so a
reader (and a test) sees who may open it without reading the body.

Anonymous visitors of a protected route are sent to the login page; a logged-in user
whose role is not listed gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from matchmaker.extensions import login_manager
from matchmaker.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow only logged-in users holding one of ``roles``."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


#: Every role: any logged-in user.
ANY_ROLE = tuple(Role)


def public(view: F) -> F:
    """Mark a route as open to anonymous visitors (explicitly, for the route audit test)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view
