"""The campaign console of the collectifs SI MS: imports, solver runs, review, adjustments,
publication and exports."""
