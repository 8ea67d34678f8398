"""The console's solver fields (issue 13): « distance maximale acceptable », the expected
duration before a run, the gap to the global bound and the cut-short flag after it."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from matchmaker import formatting
from matchmaker.extensions import db
from matchmaker.grappes.run_figures import global_gap_of, interest_count
from matchmaker.jobs import backends
from matchmaker.models import SolverRun
from tests.helpers import CsrfClient, login
from tests.support.desk import build_desk
from tests.support.jobs import MakeApp


def test_expected_duration_then_global_gap(make_app: MakeApp) -> None:
    app = make_app(SOLVER_TIME_LIMIT_S=0, SOLVER_SEED=1)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        db.session.commit()
        campaign_id = desk.campaign.id
        n = interest_count(db.session, desk.campaign)
    assert n > 0
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        base = f"/console/campagnes/{campaign_id}"
        form = html.unescape(client.get(f"{base}/modifier").get_data(as_text=True))
        assert "Distance maximale acceptable (km)" in form
        page = html.unescape(client.get(base).get_data(as_text=True))
        expected = round(5 + 8 * n / 1000)
        assert re.search(rf"Durée prévue : environ {expected}[ \u00a0]s pour les {n} ESSMS", page)

        assert client.post(f"{base}/calculs", data={"mode": "interest"}).status_code == 302
        assert backends.work(app, burst=True) == 1
        with app.app_context():
            run = db.session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()
            assert run is not None and run.status == "succeeded", run.error
            gap = global_gap_of(run)
            assert gap is not None and 0.0 <= gap <= 1.0
            assert run.stats["time_limit_s"] == 5 + 8 * n / 1000
            run_id = run.id
        page = html.unescape(client.get(f"{base}/calculs/{run_id}").get_data(as_text=True))
        assert "Écart à la borne globale" in page
        assert formatting.percent(gap, 2) in page
        assert "ESSMS écartés (1 : 1 candidats non placés" in page
        assert "Motifs : trop peu d'ESSMS compatibles à portée (1)." in page
