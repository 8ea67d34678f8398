"""Funding estimate and recevabilité checklist of ESMS numérique grappes (pure functions)."""
