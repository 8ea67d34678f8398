"""A run's solver parameters: built from the settings, the campaign and the command line,
stored with the run as JSON and read back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Config

from matchmaker.extensions import current_rules
from matchmaker.grappes.errors import RunError
from matchmaker.models import SolverRun
from matchmaker.rules import ProgrammeRules
from solver import types as st


def solve_params(
    config: Config | Mapping[str, Any],
    campaign_params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    rules: ProgrammeRules | None = None,
) -> st.SolveParams:
    """Solver parameters: the programme ``rules`` (default: the current app's), the solver
    settings of ``config``, then the campaign's parameters, then explicit overrides
    (command-line options)."""
    base: dict[str, Any] = {
        **(rules or current_rules()).solver_settings(),
        "time_limit_s": float(config["SOLVER_TIME_LIMIT_S"]) or None,
        "random_seed": config["SOLVER_SEED"],
        "num_workers": int(config["SOLVER_WORKERS"]) or os.cpu_count() or 1,
    }
    base.update(campaign_params or {})
    base.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return st.SolveParams.from_dict(base)
    except (TypeError, ValueError) as error:
        raise RunError(f"Paramètres du solveur invalides : {error}") from error


def params_as_json(params: st.SolveParams) -> dict[str, Any]:
    """Parameters as stored with the run (sets as sorted lists)."""
    data = dict(vars(params))
    data["reduced_minimum_departments"] = sorted(params.reduced_minimum_departments)
    return data


def params_of(run: SolverRun) -> st.SolveParams:
    """The run's stored parameters back as ``SolveParams``."""
    return st.SolveParams.from_dict(dict(run.params))


def with_overrides(params: st.SolveParams, **overrides: Any) -> st.SolveParams:
    """``params`` with the non-None overrides applied."""
    return replace(params, **{k: v for k, v in overrides.items() if v is not None})
