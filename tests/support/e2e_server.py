"""Serve Grappes for the browser tests: ``python -m tests.support.e2e_server DATABASE_URL``.

Runs in its own process (the extensions are module-level singletons, so a second app in
the test process would rebind the database of the other tests). Werkzeug's
``make_server`` on 127.0.0.1 and a free port, threaded; prints ``PORT <n>`` once ready.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from sqlalchemy import Engine
from werkzeug.serving import make_server

from matchmaker import create_app


@dataclass
class LiveServer:
    """The server a browser test drives (the ``live_server`` fixture of ``tests/e2e``): its
    base URL and an engine on its database."""

    url: str
    engine: Engine


def main(database_url: str) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-secret",
            "DATABASE_URL": database_url,
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_ENABLED": True,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
