"""Source taggers on gold English: the English side of Europarl-NER and CoNLL-2003 test.

Translate-test projects what the source tagger finds, so its F1 on English is the ceiling of
every projection row. Each tagger is built from the taggers catalogue by name and options
(``spacy``, ``xlner`` with a name or directory, ``hf`` with a model) and scored on the gold
tokens of both test sets, classes PER, ORG, LOC and MISC as the corpora annotate them.

A tagger is given as ``NAME`` or ``NAME:KEY=VALUE,KEY=VALUE`` (``xlner:model=/tmp/tagger``).
By default: spaCy's English pipeline, and the tagger ``xlner train tagger`` saved by name when
there is one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table
from xlner.config import parse_options
from xlner.corpora import get_corpus
from xlner.evaluate import evaluate_spans
from xlner.evaluate.errors import ERROR_TYPES, count_errors
from xlner.registry import registry
from xlner.signature import make_signature
from xlner.tagging.base import SourceTagger
from xlner.tagging.xlner import DEFAULT_NAME, trained_taggers
from xlner.types import TaggedSentence

# Test set name -> (corpus, its parameters).
TEST_SETS: dict[str, tuple[str, dict[str, str]]] = {
    "europarl-ner/en": ("europarl-ner", {"lang": "en"}),
    "conll2003/test": ("conll2003", {"split": "test"}),
}
LABEL_MAP = "none"  # both corpora annotate PER, ORG, LOC, MISC, as the taggers output


def default_taggers() -> list[str]:
    """spaCy's English pipeline, and the xlner tagger trained by name if there is one."""
    trained = [f"xlner:model={DEFAULT_NAME}"] if DEFAULT_NAME in trained_taggers() else []
    return ["spacy", *trained]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"xlner:model=x,lang=en"`` -> ``("xlner", {"model": "x", "lang": "en"})``."""
    name, _, rest = spec.partition(":")
    texts = [part for part in rest.split(",") if part.strip()]
    return name.strip(), parse_options(f"tagger {spec!r}:", texts)


def build_tagger(spec: str) -> SourceTagger:
    """The tagger of a spec; a bad name or option is a one-line ComponentError."""
    name, options = parse_spec(spec)
    return registry.taggers.build(name, **options)


def load_test_sets(data_dir: Path | None) -> dict[str, list[TaggedSentence]]:
    return {
        name: get_corpus(corpus).load(data_dir=data_dir, **params)
        for name, (corpus, params) in TEST_SETS.items()
    }


def score_tagger(tagger: SourceTagger, sentences: Sequence[TaggedSentence]) -> dict[str, Any]:
    """F1 (P, R, per class), error types and sentences per second of one tagger on one set."""
    t0 = time.perf_counter()
    predicted = tagger.tag([s.tokens for s in sentences])
    seconds = time.perf_counter() - t0
    gold = [s.spans for s in sentences]
    scores = evaluate_spans(gold, predicted, [len(s.tokens) for s in sentences])
    return {
        "sentences": len(sentences),
        "f1": scores.f1,
        "precision": scores.precision,
        "recall": scores.recall,
        "scores": scores.as_dict(),
        "errors": count_errors(gold, predicted),
        "seconds": seconds,
        "sentences_per_second": len(sentences) / seconds if seconds > 0 else None,
    }


def run_source_taggers(
    data_dir: Path | None,
    specs: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Every tagger of ``specs`` (default: :func:`default_taggers`) on every test set."""
    specs = list(specs or default_taggers())
    taggers = {spec: build_tagger(spec) for spec in specs}  # every spec checked first
    test_sets = load_test_sets(data_dir)
    rows = []
    for spec, tagger in taggers.items():
        tagger.tag([next(iter(test_sets.values()))[0].tokens])  # load it outside the timing
        results = {}
        for name, sentences in test_sets.items():
            progress(f"{spec}: tagging {name} ({len(sentences)} sentences)")
            results[name] = score_tagger(tagger, sentences)
        # The tagger's signature (its model, version, content hash) and how it was scored.
        signed = {"tag": tagger.signature(), "test": list(test_sets), "labels": LABEL_MAP}
        rows.append({"tagger": spec, **make_signature(signed).stored(), "results": results})
    return {"benchmark": "source-taggers", "label_map": LABEL_MAP, "rows": rows}


def format_results(result: dict[str, Any]) -> str:
    """F1, P, R, sentences per second and error types per tagger and test set; signatures."""
    header = ["tagger", "test set", "F1", "P", "R", "sent/s", *ERROR_TYPES]
    table, signatures = [], []
    for row in result["rows"]:
        for name, r in row["results"].items():
            rate = f"{r['sentences_per_second']:.0f}" if r["sentences_per_second"] else "-"
            scores = [f"{r[key]:.1f}" for key in ("f1", "precision", "recall")]
            errors = [str(r["errors"][kind]) for kind in ERROR_TYPES]
            table.append([row["tagger"], name, *scores, rate, *errors])
        signatures.append(f"{row['tagger']}: {row['signature']}")
    return "\n".join([format_table(header, table), "", *signatures])
