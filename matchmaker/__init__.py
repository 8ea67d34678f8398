"""Grappes: the Flask application factory.

``create_app`` only wires: configuration, extensions, blueprints, error handlers and CLI
commands. It connects to nothing, migrates nothing and prompts for nothing.

Flask and the extensions are imported inside ``create_app``: importing a pure module of the
package (``matchmaker.funding.estimate``, ``matchmaker.config``) loads neither Flask nor
SQLAlchemy (``tests/test_layers.py``, the import-linter contracts in ``pyproject.toml``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matchmaker import config as settings
from matchmaker.resources import check_top_level_packages, data_folder

if TYPE_CHECKING:
    from flask import Flask


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration."""


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    ephemeral_secret: bool = False,
    pages: bool = True,
) -> Flask:
    """Build the app: defaults, then ``GRAPPES_*`` and conventional variables, then
    ``test_config``.

    Without ``SECRET_KEY`` the app refuses to start, except in debug and testing, and for
    the command line (``ephemeral_secret``), which gets a random key valid for its process
    only: imports and solves need no secret, and a server started that way loses its
    sessions when it stops.

    ``pages=False`` builds the app without its pages (blueprints, sessions, CSRF, rate
    limits): settings, rules, database and logs only, for the commands that need nothing
    more (``grappes db``: importing every page's module costs most of a second).
    """
    from flask import Flask

    from matchmaker import security
    from matchmaker.extensions import csrf, db, limiter, login_manager
    from matchmaker.ops import logs

    check_top_level_packages()
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(data_folder("templates")),
        static_folder=str(data_folder("static")),
    )
    app.config.update(settings.defaults())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    app.config.from_prefixed_env("GRAPPES")
    app.config.update(settings.from_environment())
    if test_config is not None:
        app.config.update(test_config)
    _finish_config(app, ephemeral_secret)
    from matchmaker.extensions import RULES_KEY
    from matchmaker.rules import build_rules

    app.extensions[RULES_KEY] = build_rules(app.config)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "grappes")

    db.init_app(app)
    if not pages:
        logs.init_app(app)
        return app
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    logs.init_app(app)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    from matchmaker import errors, formatting
    from matchmaker.ars.views import bp as ars_bp
    from matchmaker.auth.views import bp as auth_bp
    from matchmaker.campaigns.views import bp as campaigns_bp
    from matchmaker.cli import register_commands
    from matchmaker.jobs.views import bp as jobs_bp
    from matchmaker.main.views import bp as main_bp
    from matchmaker.organisations.views import bp as organisations_bp
    from matchmaker.public.views import bp as public_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(ars_bp)
    app.register_blueprint(campaigns_bp)
    errors.init_app(app)
    formatting.init_app(app)
    register_commands(app)
    return app


def _finish_config(app: Flask, ephemeral_secret: bool) -> None:
    """Derive defaults that depend on the instance folder; refuse unsafe production."""
    instance = Path(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'grappes.sqlite3'}"
    programme = settings.programme_defaults(
        app.config.get("FUNDING_SCALE_FILE"), app.config.get("FUNDING_INSTRUCTION")
    )
    for name, value in programme.items():
        if app.config.get(name) is None:
            app.config[name] = value
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(instance / "uploads")
    if not app.config.get("FIGURES_CACHE_FOLDER"):
        # Tests share one app across rolled-back transactions: per process only.
        shared = not app.testing
        app.config["FIGURES_CACHE_FOLDER"] = str(instance / "figures-cache") if shared else "off"
    if not app.config.get("SECRET_KEY"):
        if ephemeral_secret:
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        elif not (app.debug or app.testing):
            raise ConfigurationError(
                "SECRET_KEY manquante : définissez la variable d'environnement SECRET_KEY "
                "(ou GRAPPES_SECRET_KEY), par exemple avec "
                "`python -c 'import secrets; print(secrets.token_hex())'`."
            )
        else:
            app.config["SECRET_KEY"] = "dev-only-not-secret"
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
