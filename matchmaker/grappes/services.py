"""From the database to the solver and back, re-exported from the modules that do each job.

- :mod:`matchmaker.grappes.scope`: the departments of a run;
- :mod:`matchmaker.grappes.params`: the solver parameters of a run;
- :mod:`matchmaker.grappes.candidates`: the candidates and the facts the solver sees;
- :mod:`matchmaker.grappes.locks`: the campaign's locks as solver locks;
- :mod:`matchmaker.grappes.carriers`: the carriers chosen by the collectif;
- :mod:`matchmaker.grappes.storage`: runs, solutions and snapshots in the database;
- :mod:`matchmaker.grappes.results`: the run's CSV.

New code imports from those modules; these names stay for the callers that import them
from here.
"""

from __future__ import annotations

from matchmaker.grappes.candidates import (
    ALREADY_FUNDED,
    NO_COORDINATES,
    CandidateFacts,
    CandidateSet,
    SetAside,
    facts_of,
    gather_candidates,
    is_small_og,
    stored_candidates,
)
from matchmaker.grappes.carriers import CHOSEN_CARRIER, apply_chosen_carriers, chosen_carriers
from matchmaker.grappes.errors import RunError
from matchmaker.grappes.locks import grappe_key, solver_locks
from matchmaker.grappes.params import params_as_json, params_of, solve_params, with_overrides
from matchmaker.grappes.results import RESULT_COLUMNS, write_results_csv
from matchmaker.grappes.run_figures import (
    cut_short_of,
    expected_duration_s,
    global_gap_of,
    interest_count,
    solver_figures,
)
from matchmaker.grappes.scope import campaign_scope, resolve_scope
from matchmaker.grappes.storage import create_run, previous_solution, store_solution

__all__ = [
    "ALREADY_FUNDED",
    "CHOSEN_CARRIER",
    "NO_COORDINATES",
    "RESULT_COLUMNS",
    "CandidateFacts",
    "CandidateSet",
    "RunError",
    "SetAside",
    "apply_chosen_carriers",
    "campaign_scope",
    "chosen_carriers",
    "create_run",
    "cut_short_of",
    "expected_duration_s",
    "facts_of",
    "gather_candidates",
    "global_gap_of",
    "grappe_key",
    "interest_count",
    "is_small_og",
    "params_as_json",
    "params_of",
    "previous_solution",
    "resolve_scope",
    "solve_params",
    "solver_figures",
    "solver_locks",
    "store_solution",
    "stored_candidates",
    "with_overrides",
    "write_results_csv",
]
