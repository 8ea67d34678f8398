"""Establishments: FINESS import commands, the export and the demo data."""
