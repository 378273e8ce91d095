"""Europarl-NER projection benchmark: gold English entities projected onto de, es, it.

Usage: python benchmarks/europarl.py [--data-dir DIR] [--output results/europarl.json]
(the same as ``xlner benchmark europarl``).
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["europarl", *sys.argv[1:]])
