"""``xlner evaluate``: span F1 of a tagged file against a gold file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import LabelMapOption, label_map_table, out
from xlner.corpora.conll import read_conll
from xlner.errors import InputError
from xlner.evaluate import evaluate_spans, format_scores
from xlner.signature import make_signature


def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold token-per-line file.")],
    predicted: Annotated[Path, typer.Argument(help="Predicted token-per-line file.")],
    label_map: LabelMapOption = "none",
) -> None:
    """Strict IOB2 span precision, recall and F1, per class, with seqeval."""
    table = label_map_table(label_map)
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
        table,
    )
    out.print(format_scores(scores), highlight=False)
    out.print(make_signature({"metric": "span-f1-strict-iob2", "labels": label_map}))
