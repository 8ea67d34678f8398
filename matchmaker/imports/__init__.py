"""The imports' database side: what ``importers`` parsed and validated (pure), written here.

One module per source, each with a ``load`` that writes the accepted rows in the caller's
transaction (flushed, never committed) and an ``import_*`` that chains the three stages:
``finess`` (with ``finess_load``), ``declarations``, ``embarkation``, ``editors``;
``finess_lookup`` reads the FINESS numbers the validators check against, and
``synthetic_declarations`` writes the demo files for the ESSMS of a database.
"""
