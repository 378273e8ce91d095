"""``xlner evaluate``: span F1 of a tagged file against a gold file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import fail, out
from xlner.corpora.conll import read_conll
from xlner.errors import InputError
from xlner.evaluate import LABEL_MAPS, evaluate_spans
from xlner.signature import make_signature


def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold token-per-line file.")],
    predicted: Annotated[Path, typer.Argument(help="Predicted token-per-line file.")],
    label_map: Annotated[str, typer.Option(help=f"One of {', '.join(LABEL_MAPS)}.")] = "none",
) -> None:
    """Strict IOB2 span precision, recall and F1, per class, with seqeval."""
    if label_map not in LABEL_MAPS:
        fail(f"unknown label map {label_map!r}; choose from {', '.join(LABEL_MAPS)}")
    gold_sentences, predicted_sentences = read_conll(gold), read_conll(predicted)
    if len(gold_sentences) != len(predicted_sentences):
        raise InputError(
            predicted,
            None,
            f"{len(predicted_sentences)} sentences, but {gold} has {len(gold_sentences)}",
        )
    for index, (g, p) in enumerate(zip(gold_sentences, predicted_sentences, strict=True)):
        if g.tokens != p.tokens:
            raise InputError(predicted, None, f"sentence {index + 1} has other tokens than gold")
    scores = evaluate_spans(
        [s.spans for s in gold_sentences],
        [s.spans for s in predicted_sentences],
        [len(s.tokens) for s in gold_sentences],
        LABEL_MAPS[label_map],
    )
    out.print(f"{'class':8} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
    for label, row in sorted(scores.per_class.items()):
        out.print(
            f"{label:8} {row.precision:6.1f} {row.recall:6.1f} {row.f1:6.1f} {row.support:6d}"
        )
    out.print(
        f"{'all':8} {scores.precision:6.1f} {scores.recall:6.1f} {scores.f1:6.1f} "
        f"{scores.n_gold:6d}  predicted/gold {scores.predicted_to_gold:.2f}"
    )
    out.print(make_signature({"metric": "span-f1-strict-iob2", "labels": label_map}))
