"""Throughput of SimAlign, the tagger and a training step: the old settings against today's.

Usage: python benchmarks/throughput.py [--data-dir DIR] [--pairs 300] [--repeats 2]
(the same as ``xlner benchmark throughput``).
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["throughput", *sys.argv[1:]])
