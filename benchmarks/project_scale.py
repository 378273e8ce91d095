"""How `xlner project` scales: peak memory and time for 10k, 100k and 1M sentence pairs
(MAFAND-MT en-swa repeated, eflomal + heuristic) and for one 2,000-token pair with each solver.

Usage: python benchmarks/project_scale.py [--data-dir DIR] [--sizes 10000,100000,1000000]
[--time-limit SECONDS] [--output /tmp/xlner-project-scale.json]
(the same as ``xlner benchmark project-scale``). The corpora are written under the system's
temporary folder and removed afterwards.
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["project-scale", *sys.argv[1:]])
