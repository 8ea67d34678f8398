"""Running ``grappes solve`` from the solver-run tests."""

from __future__ import annotations

from click.testing import Result
from flask.testing import FlaskCliRunner

from matchmaker.models import Campaign


def solve(runner: FlaskCliRunner, campaign: Campaign, out: str, *extra: str) -> Result:
    """``grappes solve`` on the campaign (20 s at most), which must succeed."""
    result = runner.invoke(
        args=["solve", "--campaign", campaign.name, "--time-limit", "20", "--out", out, *extra]
    )
    assert result.exit_code == 0, result.output
    return result
