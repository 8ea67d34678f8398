"""Files in, typed rows out: FINESS extracts, declarations, editor lists, embarkation lists.

Each importer parses (streaming, typed records) and validates (collecting every error as a
``RowError``), purely: no web framework, no database, no other room (import-linter's
``importers-pure`` contract). The load stage, one transaction upserting by FINESS, lives
on the site's side, in ``matchmaker.imports``.
"""
