"""Europarl-NER Spanish translate-test with Apertium: forward, back-translation, combined.

Usage: python benchmarks/europarl_apertium.py [--data-dir DIR] [--runs runs/bench-europarl-es]
       [--output results/europarl_apertium.json] [key=value ...]

Needs ``apt-get install apertium apertium-eng-spa``. Stages are cached under ``--runs``.
"""

import argparse
from pathlib import Path

from xlner.bench import europarl_mt
from xlner.bench.report import write_json
from xlner.pipeline.stages import StageError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs/bench-europarl-es"))
    parser.add_argument("--output", type=Path, default=Path("results/europarl_apertium.json"))
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    try:
        result = europarl_mt.run_europarl_mt(
            args.data_dir, args.runs, overrides=args.overrides, progress=print
        )
    except (ValueError, StageError) as error:  # a bad setting: one line, no traceback
        parser.exit(2, f"error: {error}\n")
    print(europarl_mt.format_results(result))
    write_json(result, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
