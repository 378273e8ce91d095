"""Source taggers on gold English: Europarl-NER's English side and CoNLL-2003 test.

Usage: python benchmarks/source_taggers.py [--data-dir DIR] [--output results/source_taggers.json]
       [--tagger NAME[:KEY=VALUE,...] ...]

Without --tagger: spaCy's English pipeline, and the xlner tagger trained by name
(`xlner train tagger`) when there is one. Examples of --tagger: `spacy`,
`xlner:model=xlner-conll`, `xlner:model=/path/to/tagger`, `hf:model=DIR_OR_HUB_NAME`.
"""

import argparse
from pathlib import Path

from xlner.bench import source_taggers
from xlner.bench.report import write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=Path("results/source_taggers.json"))
    parser.add_argument("--tagger", action="append", dest="taggers", default=None)
    args = parser.parse_args()
    try:
        result = source_taggers.run_source_taggers(args.data_dir, args.taggers, progress=print)
    except (ValueError, OSError, ImportError) as error:  # bad spec, missing corpus or model
        parser.exit(2, f"error: {error}\n")
    print(source_taggers.format_results(result))
    write_json(result, args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
