"""``python -m matchmaker`` is the ``grappes`` command."""

from matchmaker.cli import cli

cli()
