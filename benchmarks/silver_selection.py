"""Silver F1 against gold for each selection setting: how the defaults of xlner silver were chosen.

Usage: python benchmarks/silver_selection.py [--lang lug] [--data-dir DIR]
       [--runs runs/silver-selection] [--output results/silver-selection-lug.json]

Projects MAFAND-MT en-<lang> (all splits, minus the MasakhaNER 2.0 test sentences) once, with
spaCy's English tagger (DATE kept), eflomal and the heuristic, keeping everything; then scores
the sentences each selection setting keeps against the MasakhaNER 2.0 train and dev sentences
that are MAFAND-MT sentences (docs/silver.md has the table). The tagging and the alignment are
cached under --runs.
"""

import argparse
import json
from pathlib import Path

from xlner.bench.silver_quality import (
    KEEP_ALL,
    empty_rows,
    gold_by_line,
    length_rows,
    selection_rows,
)
from xlner.corpora import get_corpus
from xlner.registry import registry
from xlner.silver import Selection, build_silver, read_corpus
from xlner.silver.exclude import from_corpus

EVERYTHING = {"keep_empty": 1.0, "min_length": 1, "max_length": 10**9}
SETTINGS = {
    "keep everything": KEEP_ALL,
    "require all": Selection(require_all=True, **EVERYTHING),
    **{
        f"partial, min score {s}": Selection(require_all=False, min_score=s, **EVERYTHING)
        for s in (0.5, 0.7, 0.9, 1.0)
    },
    **{
        f"require all, min score {s}": Selection(require_all=True, min_score=s, **EVERYTHING)
        for s in (0.5, 0.7, 0.9, 1.0)
    },
    **{
        f"require all, {low}-100 tokens": Selection(keep_empty=1.0, min_length=low)
        for low in (3, 6)
    },
    **{
        f"require all, keep {share:g} of empties": Selection(keep_empty=share)
        for share in (0.0, 0.1, 0.3)
    },
    "defaults": Selection(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="lug")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=Path, default=Path("runs/silver-selection"))
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    pair = get_corpus("mafand-mt").pair_for(args.lang)
    source = pair.split("-")[0]
    run = args.runs / args.lang
    tagger = registry.taggers.build("spacy", lang=source, keep_dates=True)
    aligner = registry.aligners.build("eflomal", rel_iterations=0.25, temp_dir=run / "tmp")
    projector = registry.projectors.build("heuristic")
    test = from_corpus("masakhaner2", args.lang, "test", data_dir=args.data_dir)
    result = build_silver(
        read_corpus("mafand-mt", pair, data_dir=args.data_dir),
        tagger,
        aligner,
        projector,
        cache_dir=run / "cache",
        label_map=registry.label_maps.get("drop-misc"),
        selection=KEEP_ALL,
        exclusions=[test],
        progress=lambda step, done, total: print(f"{step} {done}/{total}", flush=True),
    )
    gold = gold_by_line(args.lang, data_dir=args.data_dir)
    report = {
        "lang": args.lang,
        "pair": pair,
        "summary": result.summary(),
        "gold_sentences": len(gold),
        "selection": selection_rows(result, gold, SETTINGS),
        "selection_no_date": selection_rows(result, gold, SETTINGS, {"DATE": None}),
        "length": length_rows(result, gold),
        "empty": empty_rows(result, gold),
    }
    for row in report["selection"]:
        print(
            f"{row['setting']:30} kept {row['kept']:6d} compared {row['sentences']:5d} "
            f"P {row['precision']:5.1f} R {row['recall']:5.1f} F1 {row['f1']:5.1f}"
        )
    for row in report["length"]:
        print(f"length {row['length']:8} n {row['sentences']:5d} F1 {row['f1']:5.1f}")
    print(report["empty"])
    output = args.output or Path("results") / f"silver-selection-{args.lang}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
