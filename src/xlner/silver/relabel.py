"""Self-training: a tagger trained on silver data relabels it (and unlabelled target text).

One round: train a tagger on ``silver.conll`` (``xlner train tagger``), let it relabel the
target side of the silver records, merge its confident spans with the projected ones, write
new silver files, and train again on those. :func:`relabel` is the library call behind
``xlner relabel``; a benchmark calls it as a stage between two trainings.

A tagger span is *confident* when every one of its words has its tag (``B-X`` then ``I-X``)
with a probability of at least ``threshold``; its confidence is that smallest probability.
The rules of the merge, per silver sentence:

- every projected span is kept, unless a confident tagger span conflicts with it;
- a confident tagger span that is exactly a projected span agrees with it (kept);
- a confident tagger span that overlaps no projected span is added (where it covers words of
  unknown label, they become labelled);
- a confident tagger span that overlaps a projected span without being it is a conflict: the
  words of both become unknown (partial labels), and the projected span goes;
- tagger spans below the threshold change nothing.

Unlabelled target text (``unlabelled``: MAFAND-MT target sides, MasakhaNER 2.0 *train*
sentences without their labels) gets the tagger's confident spans, and the words of its
other entity spans become unknown (nothing else says what they are); a sentence without a
confident entity is kept at the share ``keep_empty`` (seeded, as the silver selection's).
Evaluation sentences never enter: the exclusions (``--exclude``, ``--exclude-corpus``) apply to
the unlabelled text and to the silver records alike, and an unlabelled file that holds
nothing but evaluation sentences is refused.

The tagger's classes go through ``label_map`` (default ``drop-misc``, as ``xlner silver``'s);
a class that is then neither dropped nor among the silver data's is an error before any
sentence is tagged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.corpora.conll import read_conll
from xlner.corpora.lines import iter_lines
from xlner.corpora.parallel_tsv import normalise
from xlner.errors import InputError
from xlner.evaluate.span_f1 import map_spans
from xlner.registry import ComponentError
from xlner.silver.bitext import tokenize
from xlner.silver.exclude import Exclusion, excluded_by, is_token_per_line
from xlner.silver.select import Selection
from xlner.silver.writers import (
    CONLL,
    RECORD_FORMATS,
    STEM,
    SUMMARY,
    entity_fields,
    located,
    mark_unfinished,
    read_records,
    record_tags,
    tagged_record,
    write_records,
    write_summary,
)
from xlner.tagging.ensemble import ProbabilityTagger, classes_of_labels
from xlner.tags import tags_to_spans
from xlner.text import Word
from xlner.types import Span, TaggedSentence

if TYPE_CHECKING:  # numpy is imported where it is used: the command line imports this module
    import numpy as np

Progress = Callable[[str, int, int | None], None]
ScoredSpan = tuple[Span, float]  # a tagger span and its confidence
NO_EXCLUSION = (
    "unlabelled text without any exclusion: nothing keeps evaluation sentences out of it "
    "(give --exclude or --exclude-corpus)"
)


@dataclass(frozen=True)
class Relabelling:
    """The settings of a relabelling round (see the module's docstring)."""

    # Provisional: the silver benchmark's dev F1 decides.
    threshold: float = 0.9
    # Of the unlabelled sentences without a confident entity, the share kept (seeded).
    keep_empty: float = Selection.keep_empty
    seed: int = Selection.seed
    # Length limits of unlabelled sentences, in tokens (those of the silver selection).
    min_length: int = Selection.min_length
    max_length: int = Selection.max_length

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold is a probability above 0, not {self.threshold}")
        self.selection()  # its checks of the settings it shares

    def selection(self) -> Selection:
        """The silver selection's length limits and kept share, for unlabelled sentences."""
        return Selection(
            keep_empty=self.keep_empty,
            min_length=self.min_length,
            max_length=self.max_length,
            seed=self.seed,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Unlabelled:
    """A target sentence without labels: its text, its words, and where it was read."""

    text: str
    words: list[Word]
    file: str
    line: int  # the 1-based line, or sentence number in a token-per-line file


@dataclass
class RelabelResult:
    """The new silver records and what happened to the old ones and to the unlabelled text."""

    records: list[dict[str, Any]]
    counts: Counter[str] = field(default_factory=Counter)
    exclusions: list[Exclusion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        entities = Counter(
            span.label for item in self.records for span in tagged_record(item).spans
        )
        unknown = sum(len(tagged_record(item).unknown) for item in self.records)
        return {
            "sentences_out": len(self.records),
            "entities": dict(sorted(entities.items())),
            "unknown_words": unknown,
            "relabel": dict(sorted(self.counts.items())),
            "exclusions": [exclusion.as_dict() for exclusion in self.exclusions],
            "warnings": list(self.warnings),
        }


def relabel(  # noqa: PLR0913
    records: Sequence[Mapping[str, Any]],
    tagger: ProbabilityTagger,
    *,
    classes: Sequence[str],
    label_map: Mapping[str, str | None] | None = None,
    settings: Relabelling | None = None,
    unlabelled: Sequence[Unlabelled] = (),
    exclusions: Sequence[Exclusion] = (),
    batch_size: int = 32,
    progress: Progress | None = None,
) -> RelabelResult:
    """The silver ``records`` relabelled by ``tagger`` (rules in the module's docstring), then
    the kept ``unlabelled`` sentences as new records."""
    settings = settings or Relabelling()
    check_tagger_classes(tagger, classes, label_map)
    _refuse_test_sets(unlabelled, exclusions)
    notify = progress or (lambda step, done, total: None)
    result = RelabelResult([], exclusions=list(exclusions))
    if unlabelled and not exclusions:
        result.warnings.append(NO_EXCLUSION)
    kept = []
    for item in records:
        if excluded_by(item["text"], exclusions):
            result.counts["excluded_silver"] += 1
        else:
            kept.append(item)
    sentences = [tagged_record(item) for item in kept]
    predicted = _predict(tagger, [s.tokens for s in sentences], label_map, batch_size, notify)
    for item, sentence, spans in zip(kept, sentences, predicted, strict=True):
        merged = merge(sentence, spans, settings.threshold, result.counts)
        result.records.append(_relabelled(item, merged, spans))
    result.counts["silver"] = len(kept)
    result.records.extend(_unlabelled(unlabelled, tagger, label_map, settings, exclusions,
                                      batch_size, notify, result.counts))  # fmt: skip
    return result


def check_tagger_classes(
    tagger: ProbabilityTagger, classes: Sequence[str], label_map: Mapping[str, str | None] | None
) -> None:
    """A ComponentError naming the tagger's classes that the label map neither maps into
    ``classes`` nor drops."""
    found = classes_of_labels(tagger.labels, "tagger")
    mapped = {span.label for span in map_spans([Span(0, 1, c) for c in found], label_map)}
    if extra := sorted(mapped - set(classes)):
        raise ComponentError(
            f"the tagger gives {', '.join(extra)}, which the silver label set "
            f"({', '.join(classes)}) lacks: map or drop it with a label map (--label-map)"
        )


def scored_spans(probabilities: np.ndarray, labels: Sequence[str]) -> list[ScoredSpan]:
    """The spans of the most probable tags (a stray ``I-X`` starts an entity), each with its
    confidence: the smallest probability of its words' tags."""
    import numpy as np

    best = probabilities.argmax(axis=1)
    tags = [labels[i] for i in best]
    chosen = probabilities[np.arange(len(best)), best]
    return [
        (span, float(chosen[span.start : span.end].min()))
        for span in tags_to_spans(tags, repair=True)
    ]


def _predict(
    tagger: ProbabilityTagger,
    sentences: Sequence[list[str]],
    label_map: Mapping[str, str | None] | None,
    batch_size: int,
    progress: Progress,
) -> list[list[ScoredSpan]]:
    """The tagger's scored spans of every sentence, label map applied, batch by batch."""
    import numpy as np

    out: list[list[ScoredSpan]] = []
    step = max(batch_size * 32, 1)
    progress("relabel", 0, len(sentences))
    for start in range(0, len(sentences), step):
        part = list(sentences[start : start + step])
        for probabilities in tagger.predict_proba(part, batch_size):
            spans = scored_spans(np.asarray(probabilities), tagger.labels)
            out.append(_mapped(spans, label_map))
        progress("relabel", min(start + step, len(sentences)), len(sentences))
    return out


def _mapped(
    spans: list[ScoredSpan], label_map: Mapping[str, str | None] | None
) -> list[ScoredSpan]:
    kept = []
    for span, confidence in spans:
        for renamed in map_spans([span], label_map):
            kept.append((renamed, confidence))
    return kept


def merge(
    sentence: TaggedSentence,
    predicted: Sequence[ScoredSpan],
    threshold: float,
    counts: Counter[str] | None = None,
) -> TaggedSentence:
    """A silver sentence with the tagger's confident spans merged in (the module's rules);
    ``counts`` gets ``agreed``, ``added`` and ``conflicts``."""
    counts = counts if counts is not None else Counter()
    spans, unknown = list(sentence.spans), set(sentence.unknown)
    projected = set(sentence.spans)
    for span, confidence in predicted:
        if confidence < threshold:
            continue
        crossing = [other for other in projected if other.overlaps(span)]
        if span in projected:
            counts["agreed"] += 1
        elif not crossing:
            spans.append(span)
            unknown -= set(span.indices)
            counts["added"] += 1
        else:
            spans = [other for other in spans if other not in crossing]
            unknown |= set(span.indices).union(*(other.indices for other in crossing))
            counts["conflicts"] += 1
    return TaggedSentence(sentence.tokens, sorted(spans), unknown=sorted(unknown))


def _relabelled(
    item: Mapping[str, Any], merged: TaggedSentence, predicted: Sequence[ScoredSpan]
) -> dict[str, Any]:
    """The silver record with the merged labels: the entities it keeps with their source,
    the tagger's with its confidence and no source."""
    confidence = dict(predicted)
    places = {(s.start, s.end, s.label) for s in merged.spans}
    kept = [
        entity
        for entity in item["entities"]
        if (entity["token_start"], entity["token_end"], entity["label"]) in places
    ]
    had = {(e["token_start"], e["token_end"], e["label"]) for e in kept}
    words = located(item["text"], merged.tokens)
    added = [
        _entity(span, words, item["text"], confidence.get(span))
        for span in merged.spans
        if (span.start, span.end, span.label) not in had
    ]
    return {**item, "tags": record_tags(merged), "entities": kept + added}


def _entity(span: Span, words: Sequence[Word], text: str, score: float | None) -> dict[str, Any]:
    """A tagger's entity in a record: no source entity, its confidence as the score."""
    return {**entity_fields(span, words, text), "score": score, "source": None}


# ---------------------------------------------------------------------------- unlabelled text


def read_unlabelled(path: str | Path, tokenizer: str = "words") -> list[Unlabelled]:
    """The sentences of an unlabelled file: one sentence a line (plain or gzip; blank lines
    skipped, line numbers kept) or token-per-line (its tags, if any, ignored). An empty file
    is an InputError."""
    if is_token_per_line(path):
        found = [
            Unlabelled(text, tokenize(text, "whitespace"), str(path), number)
            for number, sentence in enumerate(read_conll(path, "auto", unknown=True), start=1)
            if (text := " ".join(sentence.tokens))
        ]
    else:
        found = [
            Unlabelled(text, tokenize(text, tokenizer), str(path), number)
            for number, line in iter_lines(path)
            if (text := " ".join(line.split()))
        ]
    if not found:
        raise InputError(path, None, "no sentence: the unlabelled file is empty")
    return found


def _refuse_test_sets(unlabelled: Sequence[Unlabelled], exclusions: Sequence[Exclusion]) -> None:
    """An InputError for an unlabelled file every sentence of which is in an evaluation set:
    a test set given as unlabelled text."""
    if not exclusions:
        return
    by_file: dict[str, list[Unlabelled]] = {}
    for sentence in unlabelled:
        by_file.setdefault(sentence.file, []).append(sentence)
    for file, sentences in by_file.items():
        keys = [normalise(sentence.text) for sentence in sentences]
        if all(any(key in e.keys for e in exclusions) for key in keys):
            names = ", ".join(exclusion.name for exclusion in exclusions)
            raise InputError(
                file,
                None,
                f"every one of its {len(sentences)} sentences is in an evaluation set "
                f"({names}): evaluation sentences never enter training data",
            )


def _unlabelled(
    sentences: Sequence[Unlabelled],
    tagger: ProbabilityTagger,
    label_map: Mapping[str, str | None] | None,
    settings: Relabelling,
    exclusions: Sequence[Exclusion],
    batch_size: int,
    progress: Progress,
    counts: Counter[str],
) -> list[dict[str, Any]]:
    """The records of the unlabelled sentences worth keeping (not excluded, within the length
    limits, with a confident entity or drawn into the kept share)."""
    selection = settings.selection()
    candidates = []
    for sentence in sentences:
        if excluded_by(sentence.text, exclusions):
            counts["excluded_unlabelled"] += 1
        elif selection.length_reason(len(sentence.words)):
            counts["unlabelled_length"] += 1
        else:
            candidates.append(sentence)
    tokens = [[word.text for word in s.words] for s in candidates]
    predicted = _predict(tagger, tokens, label_map, batch_size, progress)
    records = []
    for sentence, words, spans in zip(candidates, tokens, predicted, strict=True):
        confident = [span for span, score in spans if score >= settings.threshold]
        if not confident and not selection.keeps_empty(f"{sentence.file}:{sentence.line}"):
            counts["unlabelled_empty"] += 1
            continue
        unsure = {i for span, score in spans if score < settings.threshold for i in span.indices}
        labelled = TaggedSentence(words, confident, unknown=sorted(unsure))
        records.append(_unlabelled_record(sentence, labelled, dict(spans)))
        counts["added_unlabelled"] += len(confident)
    counts["unlabelled"] = len(records)
    return records


def _unlabelled_record(
    sentence: Unlabelled, labelled: TaggedSentence, confidence: Mapping[Span, float]
) -> dict[str, Any]:
    return {
        "id": f"{sentence.file}:{sentence.line}",
        "text": sentence.text,
        "tokens": labelled.tokens,
        "tags": record_tags(labelled),
        "entities": [
            _entity(span, sentence.words, sentence.text, confidence[span])
            for span in labelled.spans
        ],
        "source_text": None,
        "source_tokens": [],
        "provenance": {
            "corpus": None,
            "pair": None,
            "split": None,
            "line": sentence.line,
            "source_file": None,
            "target_file": sentence.file,
        },
    }


# ---------------------------------------------------------------------------- folders


@dataclass
class SilverFolder:
    """The silver data of a folder ``xlner silver`` (or ``xlner relabel``) wrote."""

    records: list[dict[str, Any]]
    record_format: str  # jsonl or parquet, as it was written
    summary: dict[str, Any]  # its summary.json ({} if it has none)

    def classes(self, default: Sequence[str]) -> list[str]:
        """The label set it was made with (its summary's ``labels``), else ``default``."""
        return list(self.summary.get("labels") or default)

    def target_language(self) -> str | None:
        return (self.summary.get("languages") or {}).get("target")


def read_silver_folder(folder: str | Path) -> SilverFolder:
    """The records of ``silver.jsonl`` (or ``silver.parquet``) in ``folder``, and its summary;
    a folder with neither is an InputError."""
    folder = Path(folder)
    for record_format in RECORD_FORMATS:
        path = folder / f"{STEM}.{record_format}"
        if path.is_file():
            summary_file = folder / SUMMARY
            summary = json.loads(summary_file.read_text("utf-8")) if summary_file.is_file() else {}
            return SilverFolder(list(read_records(path)), record_format, summary)
    names = " or ".join(f"{STEM}.{kind}" for kind in RECORD_FORMATS)
    raise InputError(folder, None, f"not a silver folder: no {names}")


def write_relabelled(
    directory: Path,
    result: RelabelResult,
    settings: Mapping[str, Any],
    record_format: str = "jsonl",
) -> dict[str, Any]:
    """``silver.conll``, ``silver.jsonl`` (or ``.parquet``) and ``summary.json`` of the
    relabelled data in ``directory``, as ``xlner silver`` writes them (``summary.json``
    removed first and written last); return the summary."""
    mark_unfinished(directory)
    write_records(directory, STEM, result.records, record_format)
    outputs = {"conll": CONLL, record_format: f"{STEM}.{record_format}"}
    return write_summary(directory, result.summary(), outputs, settings)
