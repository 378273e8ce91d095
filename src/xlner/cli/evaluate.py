"""``xlner evaluate``: span F1 of a tagged file against a gold file."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import LabelMapOption, SchemeOption, TagScheme, label_map_table, out
from xlner.corpora.conll import read_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.evaluate import evaluate_spans, format_scores
from xlner.signature import make_signature
from xlner.types import TaggedSentence


def evaluate(
    gold: Annotated[Path, typer.Argument(help="Gold token-per-line file.")],
    predicted: Annotated[Path, typer.Argument(help="Predicted token-per-line file.")],
    label_map: LabelMapOption = "none",
    scheme: SchemeOption = TagScheme.auto,
) -> None:
    """Strict IOB2 span precision, recall and F1, per class, with seqeval.

    Both files are read in SCHEME (detected per file with auto) and scored as spans. Tokens
    are compared after Unicode NFC normalisation, so a file in NFD matches its NFC gold.
    """
    table = label_map_table(label_map)
    gold_sentences = require_sentences(read_conll(gold, scheme.value), gold)
    predicted_sentences = require_sentences(read_conll(predicted, scheme.value), predicted)
    _check_same_tokens(gold, gold_sentences, predicted, predicted_sentences)
    scores = evaluate_spans(
        [s.spans for s in gold_sentences],
        [s.spans for s in predicted_sentences],
        [len(s.tokens) for s in gold_sentences],
        table,
    )
    out.print(format_scores(scores), highlight=False)
    out.print(make_signature({"metric": "span-f1-strict-iob2", "labels": label_map}))


def _check_same_tokens(
    gold: Path,
    gold_sentences: list[TaggedSentence],
    predicted: Path,
    predicted_sentences: list[TaggedSentence],
) -> None:
    if len(gold_sentences) != len(predicted_sentences):
        raise InputError(
            predicted,
            None,
            f"{len(predicted_sentences)} sentences, but {gold} has {len(gold_sentences)}",
        )
    for index, (g, p) in enumerate(zip(gold_sentences, predicted_sentences, strict=True)):
        if g.tokens == p.tokens:
            continue
        if len(g.tokens) != len(p.tokens):
            problem = f"{len(p.tokens)} tokens where gold has {len(g.tokens)}"
            raise InputError(predicted, None, f"sentence {index + 1} has {problem}")
        for position, (a, b) in enumerate(zip(g.tokens, p.tokens, strict=True)):
            # Same text in another Unicode normalisation (NFC vs NFD) is the same token.
            if a != b and _nfc(a) != _nfc(b):
                raise InputError(
                    predicted,
                    None,
                    f"sentence {index + 1}, token {position + 1} is {b!r} where gold has {a!r}",
                )


def _nfc(token: str) -> str:
    return unicodedata.normalize("NFC", token)
