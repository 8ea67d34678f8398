"""Files in, rows out: FINESS extracts, declarations, editor lists, embarkation lists.

Each importer has three stages: parse (streaming, typed records), validate (collect every
error as a ``RowError``), load (one transaction, upsert keyed by FINESS). Parsing and
validation are pure; only ``load`` takes a session.
"""
