"""Server time of the organisations' pages on a national-size database (not a test).

Builds a SQLite file with about 100,000 establishments (seeded; 20,000 OG; 30 % declared in
an open campaign, editors drawn from 40 names), then times each page through Flask's test
client (server time only, no network) and prints the median and the 95th percentile.

    .venv/bin/python bench/bench_site.py [--establishments 100000] [--repeat 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.extensions import make_engine
from matchmaker.models import (
    ApprovalStatus,
    Base,
    Campaign,
    Declaration,
    Editor,
    Establishment,
    Organisation,
    Role,
    User,
)
from matchmaker.models.base import utcnow

WORDS = ["EHPAD", "SSIAD", "IME", "FOYER", "SAAD", "ESAT", "MAS", "FAM", "CHRS", "SESSAD"]
NAMES = ["LES TILLEULS", "LE PARC", "SAINT JOSEPH", "LES ROSES", "BEAU SEJOUR", "LA SOURCE"]


def build(path: Path, establishments: int, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    n_og = establishments // 5
    with Session(engine) as session:
        session.execute(
            insert(Organisation),
            [
                {
                    "finess_ej": f"{10 + i % 85:02d}{i:07d}",
                    "name": f"ASSOCIATION {i}",
                    "essms_count": 5,
                }
                for i in range(n_og)
            ],
        )
        editors = [Editor(name=f"Editeur {i}", key=f"editeur {i}") for i in range(40)]
        session.add_all(editors)
        campaign = Campaign(name="Nationale", status="open")
        session.add(campaign)
        session.flush()
        rows = []
        for i in range(establishments):
            dep = 10 + (i % 85)
            lat = 42.5 + (dep % 9) + rng.random()
            lon = -4.0 + (dep // 9) * 1.0 + rng.random()
            rows.append(
                {
                    "finess_et": f"{dep:02d}{5000000 + i:07d}",
                    "finess_ej": f"{10 + (i // 5) % 85:02d}{i // 5:07d}",
                    "short_name": f"{rng.choice(WORDS)} {rng.choice(NAMES)} {i}",
                    "commune": f"COMMUNE {rng.randrange(3000)}",
                    "department": f"{dep:02d}",
                    "region": "84",
                    "latitude": lat,
                    "longitude": lon,
                    "champ": "PA",
                    "is_essms": True,
                    "is_open": True,
                }
            )
        session.execute(insert(Establishment), rows)
        declared = [r for r in rows if rng.random() < 0.3]
        session.execute(
            insert(Declaration),
            [
                {
                    "campaign_id": campaign.id,
                    "finess_et": r["finess_et"],
                    "editor_id": rng.choice(editors).id,
                    "dui_status": rng.choice(["aucun", "non_reference", "reference_segur"]),
                    "sons_status": "aucun",
                    "department": r["department"],
                    "interested": True,
                    "source_kind": "file",
                    "is_current": True,
                    "declared_at": utcnow(),
                }
                for r in declared
            ],
        )
        first = rows[0]
        user = User(
            email="og@bench.fr",
            role=Role.OG,
            finess_ej=first["finess_ej"],
            requested_finess_ej=first["finess_ej"],
            email_confirmed_at=utcnow(),
            approval_status=ApprovalStatus.APPROVED,
            password_hash="x",
        )
        session.add(user)
        session.commit()
        return {"user_id": str(user.id), "et": first["finess_et"], "ej": first["finess_ej"]}


def timed(client, path: str, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--establishments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        start = time.perf_counter()
        ids = build(path, args.establishments)
        print(f"database built in {time.perf_counter() - start:.1f} s")
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{path}"}
        )
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = ids["user_id"]
        pages = [
            "/etablissements?q=tilleuls",
            "/etablissements?q=ehpad+saint+joseph&page=3",
            "/etablissements?q=commune+123",
            f"/etablissements?q={ids['et'][:5]}",
            f"/organismes/{ids['ej']}",
            f"/essms/{ids['et']}/voisins",
            f"/essms/{ids['et']}/voisins?rayon=150",
            "/api/editeurs?q=edit",
        ]
        print(f"{'page':55} {'median ms':>10} {'p95 ms':>8}")
        for page in pages:
            median, p95 = timed(client, page, args.repeat)
            print(f"{page:55} {median:10.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
