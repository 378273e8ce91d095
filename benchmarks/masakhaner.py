"""MasakhaNER 2.0 translate-test with human translations (lug tsn twi: English; ewe wol: French).

Usage: python benchmarks/masakhaner.py [--data-dir DIR] [--runs runs/bench-masakhaner]
       [--output results/masakhaner.json] [--languages lug,tsn] [--config NAME] [key=value ...]

``--config`` names the pipeline config every language runs (default: the benchmark's,
``translate-test/masakhaner-lug``; ``translate-test/masakhaner-lug-spacy`` for the spaCy rows).

Trailing ``key=value`` settings override every language's pipeline config, e.g.
``align.options.symmetrization=intersection``. Stages are cached under ``--runs``.
"""

import argparse
from pathlib import Path

from xlner.bench import masakhaner
from xlner.bench.report import write_json
from xlner.pipeline.stages import StageError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs/bench-masakhaner"))
    parser.add_argument("--output", type=Path, default=Path("results/masakhaner.json"))
    parser.add_argument("--languages", default=",".join(masakhaner.LANGUAGES))
    parser.add_argument("--config", default=masakhaner.DEFAULT_CONFIG)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    try:
        result = masakhaner.run_masakhaner(
            args.data_dir,
            args.runs,
            args.languages.split(","),
            args.overrides,
            progress=print,
            config_name=args.config,
        )
    except (ValueError, StageError) as error:  # a bad setting: one line, no traceback
        parser.exit(2, f"error: {error}\n")
    print(masakhaner.format_results(result))
    write_json(result, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
