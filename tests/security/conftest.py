"""The security tests reuse the site's fixtures (CSRF client, ``auth``, the small world)."""

from tests.site.conftest import auth, client, make_user, world

__all__ = ["auth", "client", "make_user", "world"]
