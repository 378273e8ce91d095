"""Model-transfer benchmark: a CoNLL-2003 tagger applied to Europarl-NER and MasakhaNER 2.0.

Usage: python benchmarks/model_transfer.py --model-dir DIR [--train] [--data-dir DIR]
(the same as ``xlner benchmark model-transfer``).
"""

import sys

from xlner.cli.benchmark import app

if __name__ == "__main__":
    app(args=["model-transfer", *sys.argv[1:]])
