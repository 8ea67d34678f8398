"""Issue 11, hole 6: sign-up answers the same for existing and new addresses (the mail says
what to do), and sign-up, password reset and confirmation resend are rate limited; with
``REDIS_URL`` the counters live in Redis, shared by every worker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.models import Role, User
from tests.factories import MakeUser
from tests.helpers import PASSWORD, ROOT, CsrfClient, outbox
from tests.support.bretagne import World


def sign_up(client: CsrfClient, email: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/inscription",
        data={
            "email": email,
            "finess": "350000001",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "job_title": "Directrice",
            **extra,
        },
    )


def test_sign_up_does_not_reveal_existing_accounts(
    client: CsrfClient, db_session: Session, make_user: MakeUser, world: World
) -> None:
    existing = make_user(Role.OG, email="deja@alpha.fr")
    known = sign_up(client, "deja@alpha.fr").get_data(as_text=True)
    new = sign_up(client, "nouveau@alpha.fr").get_data(as_text=True)
    assert known.replace("deja@alpha.fr", "X") == new.replace("nouveau@alpha.fr", "X")
    assert "existe déjà" not in known
    mail = outbox(db_session, existing.email)[-1]
    assert "déjà un compte" in mail.subject and "/mot-de-passe-oublie" in mail.body
    assert db_session.scalar(select(func.count()).where(User.email == "deja@alpha.fr")) == 1
    created = db_session.scalar(select(User).where(User.email == "nouveau@alpha.fr"))
    assert created is not None and created.job_title == "Directrice"


def test_sign_up_reset_and_resend_are_rate_limited(
    app: Flask, client: CsrfClient, world: World
) -> None:
    limit = int(app.config["RATELIMIT_SIGNUP"].split()[0])
    statuses = [sign_up(client, f"n{i}@alpha.fr").status_code for i in range(limit + 1)]
    assert statuses == [200] * limit + [429]
    limit = int(app.config["RATELIMIT_MAIL"].split()[0])
    token = client.csrf_token()
    resets = [
        client.post(
            "/mot-de-passe-oublie", data={"email": "x@alpha.fr", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert resets == [302] * limit + [429]
    resend = client.post(
        "/confirmer/renvoyer", data={"renvoi-email": "x@alpha.fr", "renvoi-csrf_token": token}
    )
    assert resend.status_code == 302  # its own counter
    for _ in range(limit):
        resend = client.post(
            "/confirmer/renvoyer",
            data={"renvoi-email": "x@alpha.fr", "renvoi-csrf_token": token},
        )
    assert resend.status_code == 429


#: Run in a separate process (the limiter is a process-wide singleton): two apps, as two
#: workers would be, share one Redis counter.
WORKERS = """
import sys
from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.models import Base
apps = [create_app({"TESTING": True, "SECRET_KEY": "s", "WTF_CSRF_ENABLED": False,
                    "DATABASE_URL": sys.argv[1], "REDIS_URL": sys.argv[2],
                    "RATELIMIT_KEY_PREFIX": sys.argv[3], "RATELIMIT_LOGIN": "3 per minute"})
        for _ in range(2)]
Base.metadata.create_all(db.engine_of(apps[0]))
print(type(limiter.storage).__name__)
statuses = [apps[i % 2].test_client().post("/connexion", data={"email": "a@b.fr",
            "password": "x"}).status_code for i in range(4)]
print(statuses)
"""


def test_the_limiter_uses_redis_when_redis_url_is_set(tmp_path: Path) -> None:
    redis_url = os.environ.get("GRAPPES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKERS,
            f"sqlite:///{tmp_path / 'w.sqlite3'}",
            redis_url,
            f"grappes-test-{uuid.uuid4().hex}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr
    storage, statuses = result.stdout.strip().splitlines()[-2:]
    assert storage == "RedisStorage"
    assert statuses == "[200, 200, 200, 429]"
