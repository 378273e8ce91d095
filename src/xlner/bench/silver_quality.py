"""Silver data scored against gold: how good are the projected labels, and which selection helps.

MasakhaNER 2.0 *train* sentences are MAFAND-MT sentences for many languages (for lug 4,747 of
4,942), so the silver labels of those sentences can be compared with their gold annotation:
the intrinsic quality of projection (silver F1). ``masakhaner2-parallel``'s matching
(:meth:`~xlner.corpora.masakhaner2_parallel.MasakhaNER2Parallel.match`) finds, for any
language with both corpora, the MAFAND-MT split and line of each NER sentence; a silver
sentence's provenance names the same split and line.

:func:`selection_rows` scores the sentences each selection setting keeps, from one projection
run made with a selection that keeps everything (:data:`KEEP_ALL`), so the settings compare
on identical projections. Gold spans are moved onto the silver tokens through their
characters (:func:`xlner.text.remap_spans`); a sentence whose letters differ between the two
(MAFAND-MT and MasakhaNER 2.0 spell a few sentences differently) is left out and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.masakhaner2 import MASAKHANER2
from xlner.corpora.masakhaner2_parallel import MASAKHANER2_PARALLEL
from xlner.evaluate import evaluate_spans
from xlner.evaluate.bootstrap import bootstrap_f1, sentence_counts
from xlner.silver.job import SilverResult, SilverSentence
from xlner.silver.select import Selection
from xlner.text import remap_spans, squeezed_offsets
from xlner.types import Span, TaggedSentence

GoldKey = tuple[str, int]  # MAFAND-MT split and 1-based line
# Keeps every projected sentence with every projection: the run the settings are applied to.
KEEP_ALL = Selection(require_all=False, keep_empty=1.0, min_length=1, max_length=10**9)
LENGTH_BUCKETS = ((1, 2), (3, 5), (6, 10), (11, 20), (21, 40), (41, 60), (61, 100), (101, 10**9))


def gold_by_line(
    lang: str, splits: Sequence[str] = ("train", "dev"), data_dir: str | Path | None = None
) -> dict[GoldKey, TaggedSentence]:
    """The MasakhaNER 2.0 sentences of ``splits`` by the MAFAND-MT split and line they are."""
    parallel = MASAKHANER2_PARALLEL
    ner = MASAKHANER2
    found: dict[GoldKey, TaggedSentence] = {}
    for split in splits:
        sentences = ner.load(lang=lang, split=split, data_dir=data_dir)
        for record in parallel.match(lang, split, data_dir):
            if record.matched and record.mafand_line_idx is not None:
                key = (str(record.mafand_split), record.mafand_line_idx + 1)
                found.setdefault(key, sentences[record.ner_sent_idx])
    return found


def _key(sentence: SilverSentence) -> GoldKey:
    where = sentence.pair.provenance
    return str(where.split), where.line


def gold_on_silver(sentence: SilverSentence, gold: TaggedSentence) -> list[Span] | None:
    """The gold spans on the silver sentence's tokens; None when their letters differ."""
    return gold_on_tokens([word.text for word in sentence.target_words], gold)


def gold_on_tokens(tokens: Sequence[str], gold: TaggedSentence) -> list[Span] | None:
    """The gold spans on ``tokens`` (a silver sentence's); None when their letters differ."""
    silver_text, silver_offsets = squeezed_offsets(list(tokens))
    gold_text, gold_offsets = squeezed_offsets(gold.tokens)
    if silver_text.casefold() != gold_text.casefold():
        return None
    return remap_spans(gold.spans, gold_offsets, silver_offsets)


def score(
    sentences: Sequence[tuple[SilverSentence, list[Span]]],
    gold: Mapping[int, list[Span]],
    label_map: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Span F1 of the kept spans of ``sentences`` (by index) against ``gold`` (by index),
    with its bootstrap interval over those sentences (few of them for some languages)."""
    indices = [i for i, _ in enumerate(sentences) if i in gold]
    truth, spans = [gold[i] for i in indices], [sentences[i][1] for i in indices]
    scores = evaluate_spans(
        truth, spans, [len(sentences[i][0].target_words) for i in indices], label_map
    )
    interval = bootstrap_f1(sentence_counts(truth, spans, label_map))
    return {
        "sentences": len(indices),
        **scores.as_dict(),
        "f1_interval": [interval.low, interval.high],
    }


def selection_rows(
    result: SilverResult,
    gold: Mapping[GoldKey, TaggedSentence],
    settings: Mapping[str, Selection],
    label_map: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """One row per named setting: sentences kept, and silver F1 of those that have gold."""
    compared, mismatched = _with_gold(result, gold)
    rows = []
    for name, selection in settings.items():
        kept: list[tuple[SilverSentence, list[Span]]] = []
        kept_gold: dict[int, list[Span]] = {}
        reasons: Counter[str] = Counter()
        for sentence in result.sentences:
            words = sentence.target_words, sentence.source_words
            reason = selection.length_reason(*(len(w) for w in words))
            spans, reason = (
                ([], reason)
                if reason
                else selection.choose(sentence.source_spans, sentence.projected, _id(sentence))
            )
            if reason is not None:
                reasons[reason] += 1
                continue
            if id(sentence) in compared:
                kept_gold[len(kept)] = compared[id(sentence)]
            kept.append((sentence, [p.span for p in spans]))
        rows.append(
            {
                "setting": name,
                "kept": len(kept),
                "dropped": dict(reasons),
                "entities": sum(len(spans) for _, spans in kept),
                "unmatched_text": mismatched,
                **score(kept, kept_gold, label_map),
            }
        )
    return rows


def kept_quality(
    result: SilverResult,
    gold: Mapping[GoldKey, TaggedSentence],
    label_map: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Silver F1 of the sentences ``result`` kept, with the spans it kept, that have gold."""
    compared, mismatched = _with_gold(result, gold)
    kept = [(s, s.tagged().spans) for s in result.sentences]  # consistency's spans too
    truth = {i: compared[id(s)] for i, (s, _) in enumerate(kept) if id(s) in compared}
    return {"unmatched_text": mismatched, **score(kept, truth, label_map)}


def _id(sentence: SilverSentence) -> str:
    return sentence.pair.provenance.id


def _with_gold(
    result: SilverResult, gold: Mapping[GoldKey, TaggedSentence]
) -> tuple[dict[int, list[Span]], int]:
    compared: dict[int, list[Span]] = {}
    mismatched = 0
    for sentence in result.sentences:
        if (twin := gold.get(_key(sentence))) is None:
            continue
        spans = gold_on_silver(sentence, twin)
        if spans is None:
            mismatched += 1
        else:
            compared[id(sentence)] = spans
    return compared, mismatched


def length_rows(
    result: SilverResult,
    gold: Mapping[GoldKey, TaggedSentence],
    label_map: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Silver F1 (every projection kept) by target sentence length, for the length limits."""
    compared, _ = _with_gold(result, gold)
    rows = []
    for low, high in LENGTH_BUCKETS:
        inside = [
            s for s in result.sentences if low <= len(s.target_words) <= high and id(s) in compared
        ]
        pairs = [(s, [p.span for p in s.projected]) for s in inside]
        truth = {i: compared[id(s)] for i, s in enumerate(inside)}
        name = f"{low}-{high}" if high < 10**9 else f"{low}+"
        rows.append({"length": name, **score(pairs, truth, label_map)})
    return rows


def empty_rows(result: SilverResult, gold: Mapping[GoldKey, TaggedSentence]) -> dict[str, Any]:
    """Of the silver sentences without any entity (that have gold): how many truly have none.

    A sentence kept without entities teaches "no name here"; where gold has a name, that is
    a false lesson. This is the precision of the empty sentences, the cost side of keep_empty.
    """
    compared, _ = _with_gold(result, gold)
    empty = [s for s in result.sentences if not s.projected and id(s) in compared]
    truly = sum(1 for s in empty if not compared[id(s)])
    return {"empty_with_gold": len(empty), "truly_empty": truly}
