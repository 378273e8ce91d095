"""``xlner evaluate``: span F1 of a tagged file against a gold file; with ``--alignment``, the
alignment error rate, precision and recall of word links against gold links."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from xlner.align.pharaoh import INDEX_BASES, check_indices, check_zero_based, read_pharaoh
from xlner.cli.common import (
    LabelMapOption,
    SchemeOption,
    SignatureForm,
    SignatureOption,
    TagScheme,
    fail,
    label_map_table,
    out,
    print_signature,
)
from xlner.corpora.bitext import read_bitext
from xlner.corpora.conll import read_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.evaluate import evaluate_spans, format_scores
from xlner.evaluate.alignment import format_alignment_scores, score_alignment
from xlner.signature import make_signature
from xlner.types import TaggedSentence


def evaluate(
    gold: Annotated[
        Path, typer.Argument(help="Gold token-per-line file (with --alignment: Pharaoh links).")
    ],
    predicted: Annotated[
        Path,
        typer.Argument(help="Predicted token-per-line file (with --alignment: Pharaoh links)."),
    ],
    label_map: LabelMapOption = "none",
    scheme: SchemeOption = TagScheme.auto,
    alignment: Annotated[
        bool,
        typer.Option(
            "--alignment",
            help="Score word alignments: one line of links per sentence pair, i-j sure and "
            "i?j (or ipj, i-j-p) possible in gold; AER, precision and recall.",
        ),
    ] = False,
    index_base: Annotated[
        int,
        typer.Option(
            help="With --alignment: 1 when the gold file counts words from 1 (the predicted "
            "file counts from 0, as xlner align, eflomal and SimAlign write)."
        ),
    ] = 0,
    source: Annotated[
        Path | None,
        typer.Option(
            help="With --alignment: the source sentences (one tokenised sentence a line), "
            "to refuse a link beyond its sentence."
        ),
    ] = None,
    target: Annotated[
        Path | None, typer.Option(help="With --alignment: the target sentences, likewise.")
    ] = None,
    signature: SignatureOption = SignatureForm.short,
) -> None:
    """Strict IOB2 span precision, recall and F1, per class, as seqeval's strict mode.

    Both files are read in SCHEME (detected per file with auto) and scored as spans. Tokens
    are compared after Unicode NFC normalisation, so a file in NFD matches its NFC gold.

    With --alignment both files are word alignments, scored as Och and Ney (2003) do. A gold
    file read with the wrong --index-base is refused where it shows: a link at word 0 of a
    1-based file, a link just beyond a sentence (give --source and --target), or, without
    the sentences, no link at word 0 anywhere.
    """
    if alignment:
        if (label_map, scheme) != ("none", TagScheme.auto):
            fail("--label-map and --scheme score entities, not --alignment")
        _evaluate_alignment(gold, predicted, index_base, source, target)
        print_signature(make_signature({"metric": "aer", "index_base": index_base}), signature)
        return
    if (index_base, source, target) != (0, None, None):
        fail("--index-base, --source and --target go with --alignment")
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
    out.print(format_scores(scores))
    signed = {"metric": "span-f1-strict-iob2", "labels": label_map}
    print_signature(make_signature(signed), signature)


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


def _evaluate_alignment(
    gold: Path, predicted: Path, index_base: int, source: Path | None, target: Path | None
) -> None:
    if index_base not in INDEX_BASES:
        fail(f"--index-base must be 0 or 1, not {index_base}")
    if (source is None) != (target is None):
        fail("give both --source and --target, or neither")
    gold_links = require_sentences(read_pharaoh(gold, index_base), gold)
    predicted_links = read_pharaoh(predicted)
    if len(predicted_links) != len(gold_links):
        problem = f"{len(predicted_links)} lines, but {gold} has {len(gold_links)}"
        raise InputError(predicted, None, problem)
    if source is not None and target is not None:
        sentences = read_bitext(source, target, allow_empty=True)
        if len(sentences) != len(gold_links):
            problem = f"{len(sentences)} sentences, but {gold} has {len(gold_links)} lines"
            raise InputError(source, None, problem)
        lengths = [(len(src), len(tgt)) for src, tgt in sentences]
        check_indices(gold, gold_links, lengths, index_base)
        check_indices(predicted, predicted_links, lengths, 0)
    elif index_base == 0:
        check_zero_based(gold, gold_links)
    if not any(links.sure for links in gold_links):
        raise InputError(gold, None, "no sure link (i-j): nothing to measure recall against")
    scores = score_alignment(
        (p.every, g.sure, g.possible) for p, g in zip(predicted_links, gold_links, strict=True)
    )
    out.print(format_alignment_scores(scores, len(gold_links)))
