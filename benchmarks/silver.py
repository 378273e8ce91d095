"""Silver-trained taggers for the 18 MasakhaNER 2.0 languages of the paper (docs/silver.md).

Usage: python benchmarks/silver.py [--data-dir DIR] [--languages lug,tsn]
       [--config benchmarks/silver-quick] [--runs runs/bench-silver]
       [--output results/silver.json] [--translate-test results/masakhaner.json] [key=value ...]
(the same as ``xlner benchmark silver``). Every stage of every language is kept under
``--runs``: rerun the same command to resume.
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["silver", *sys.argv[1:]])
