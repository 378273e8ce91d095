"""``python -m xlner`` runs the command line."""

from xlner.cli import run

run()
