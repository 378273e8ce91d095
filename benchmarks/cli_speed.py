"""How long the command line takes to answer: `xlner --help`, `xlner evaluate --help`,
`xlner evaluate`, `xlner data list`, an option error and `xlner silver` without a trained
tagger.

Usage: python benchmarks/cli_speed.py [--runs 5] [--tree base=/tmp/xlner-base/src --tree this=src]
(the same as ``xlner benchmark cli``).
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["cli", *sys.argv[1:]])
