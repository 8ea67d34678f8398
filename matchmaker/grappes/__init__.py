"""Grappes: solver runs, their results, locks and answers."""
