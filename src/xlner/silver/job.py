"""Silver data from bitext: tag the source side, align, project, select.

:func:`build_silver` is the library call behind ``xlner silver``. Before any model runs,
pairs with a side without text (empty, or only control and format characters, byte-order
marks or U+FFFD), pairs whose target sentence is in an evaluation set and pairs outside the
length limits are set aside (each counted under its reason). The tagger's and the aligner's
outputs are cached under ``cache_dir`` keyed by everything that determines them (the
pipeline's :class:`~xlner.pipeline.cache.StageStore`): tagging resumes at its first
unfinished batch, and a rerun with other selection options, label map or outputs reuses
both. The projector and the selection are cheap and always rerun.

The tagging cache is keyed by every pair that is not empty or excluded (lengths are not part
of its key, so that other length limits reuse it); a sentence set aside by the limits is
kept there untagged (:data:`NOT_TAGGED`) and tagged when later limits let it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from xlner.align.base import Aligner
from xlner.evaluate.span_f1 import map_spans
from xlner.pipeline.cache import CacheDamage, StageStore, stage_key
from xlner.pipeline.records import Tagged
from xlner.pipeline.stages.base import isolated_batch
from xlner.project.base import Projector
from xlner.project.corpus import align_link_sets, check_link_sets, project_corpus
from xlner.registry import ComponentError
from xlner.signature import digest
from xlner.silver.bitext import BitextPair, has_text, tokenize
from xlner.silver.consistency import make_consistent
from xlner.silver.exclude import Exclusion, excluded_by, unmatched
from xlner.silver.places import PlaceName, has_place, mark_places
from xlner.silver.select import COUNTED_WHEN_USED, DROP_REASONS, Selection
from xlner.tagging.base import SourceTagger
from xlner.text import Word, tokens_of
from xlner.types import Link, LinkSets, ProjectedSpan, Span, TaggedSentence

# The classes of MasakhaNER 2.0, the default target label set.
MASAKHANER_CLASSES = ("PER", "ORG", "LOC", "DATE")

# The tagging cache's entry for a sentence that the length limits set aside before tagging.
NOT_TAGGED = "not tagged: outside the length limits"

Progress = Callable[[str, int, int | None], None]  # step, done, total (None: not known)
Warn = Callable[[str], None]


class LabelMismatch(ComponentError):
    """The source tagger gives a class the target label set lacks, after the label map."""


@dataclass(frozen=True)
class AddedSpan:
    """A target entity that no source entity gave: from the consistency pass (``score``: the
    share of its surface's occurrences labelled so) or from a tagger (its confidence)."""

    span: Span
    score: float


@dataclass
class SilverSentence:
    """A kept target sentence: its words (with character offsets), its source, its entities."""

    pair: BitextPair
    source_words: list[Word]
    target_words: list[Word]
    source_spans: list[Span]
    projected: list[ProjectedSpan]
    # Target words of unknown label (partial labels: Selection's dropped_class, unprojected).
    unknown: list[int] = field(default_factory=list)
    added: list[AddedSpan] = field(default_factory=list)

    def tagged(self) -> TaggedSentence:
        spans = [p.span for p in self.projected] + [a.span for a in self.added]
        return TaggedSentence(tokens_of(self.target_words), spans, unknown=list(self.unknown))

    def retag(self, after: TaggedSentence, score: Callable[[Span], float]) -> None:
        """Take the spans and unknown words of ``after`` (the same words, other labels): a
        projection keeps its source where its span's place is kept (its class may change);
        a span of a new place is added with ``score``."""
        places = {(span.start, span.end): span for span in after.spans}
        projected = []
        for p in self.projected:
            if (span := places.pop((p.span.start, p.span.end), None)) is not None:
                projected.append(p if span == p.span else ProjectedSpan(span, p.source, p.score))
        added = []
        for a in self.added:
            if (span := places.pop((a.span.start, a.span.end), None)) is not None:
                added.append(a if span == a.span else AddedSpan(span, a.score))
        self.projected = projected
        self.added = added + [AddedSpan(span, score(span)) for span in places.values()]
        self.unknown = list(after.unknown)


@dataclass
class SilverResult:
    sentences: list[SilverSentence]
    dropped: Counter[str]
    sentences_in: int
    exclusions: list[Exclusion]
    source_entities: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    consistency: dict[str, int] | None = None  # what the consistency pass changed, if it ran
    places: int | None = None  # place names the place-name pass marked, if it ran

    def entities(self) -> Counter[str]:
        return Counter(span.label for s in self.sentences for span in s.tagged().spans)

    def unknown_words(self) -> int:
        return sum(len(s.unknown) for s in self.sentences)

    def summary(self) -> dict[str, Any]:
        """Sentences in and out, entities per class, drop reasons and exclusions with counts."""
        return summary_of(
            self.sentences_in,
            len(self.sentences),
            self.entities(),
            self.source_entities,
            self.dropped,
            self.exclusions,
            self.warnings,
            self.unknown_words(),
        ) | (
            ({"consistency": self.consistency} if self.consistency is not None else {})
            | ({"place_names": self.places} if self.places is not None else {})
        )


def summary_of(
    sentences_in: int,
    sentences_out: int,
    entities: Mapping[str, int],
    source_entities: Mapping[str, int],
    dropped: Mapping[str, int],
    exclusions: Sequence[Exclusion],
    warnings: Sequence[str],
    unknown_words: int = 0,
) -> dict[str, Any]:
    """The summary of a silver job (of one shard, or of all shards added up). A count that
    only settings other than the defaults make (``unknown_words``, the reasons of
    COUNTED_WHEN_USED) is listed where it is not 0."""
    summary = {
        "sentences_in": sentences_in,
        "sentences_out": sentences_out,
        "entities": dict(sorted(entities.items())),
        "source_entities": dict(sorted(source_entities.items())),
        "dropped": {
            reason: dropped.get(reason, 0)
            for reason in DROP_REASONS
            if reason not in COUNTED_WHEN_USED or dropped.get(reason)
        },
        "excluded": dropped.get("excluded", 0),
        "exclusions": [exclusion.as_dict() for exclusion in exclusions],
        "warnings": list(warnings),
    }
    return summary | ({"unknown_words": unknown_words} if unknown_words else {})


@dataclass
class _Candidate:
    pair: BitextPair
    source_words: list[Word]
    target_words: list[Word]
    spans: list[Span] = field(default_factory=list)  # the tagger's, label map applied
    dropped: list[Span] = field(default_factory=list)  # the tagger's the label map drops


def build_silver(  # noqa: PLR0913
    pairs: Sequence[BitextPair],
    tagger: SourceTagger,
    aligner: Aligner,
    projector: Projector,
    *,
    cache_dir: str | Path,
    classes: Sequence[str] = MASAKHANER_CLASSES,
    label_map: Mapping[str, str | None] | None = None,
    selection: Selection | None = None,
    exclusions: Sequence[Exclusion] = (),
    tokenizer: str = "words",
    batch_size: int = 256,
    places: Collection[PlaceName] = (),
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> SilverResult:
    """Project the entities the source tagger finds in ``pairs`` and keep what ``selection``
    trusts. A class of the tagger that is neither in ``classes`` nor mapped by ``label_map``
    (a class mapped to None is dropped) is a :class:`LabelMismatch`, at the first batch.
    ``places``: the target language's place names, for ``selection.place_names``."""
    selection = selection or Selection()
    if selection.place_names != "off" and not places:
        raise ValueError("selection.place_names needs the target language's place names")
    check_link_sets(aligner, projector)
    notify = progress or (lambda step, done, total: None)
    dropped: Counter[str] = Counter()
    candidates = _prefilter(pairs, exclusions, tokenizer, dropped)
    result = SilverResult([], dropped, len(pairs), list(exclusions), warnings=unmatched(exclusions))
    for message in result.warnings:
        (warn or (lambda _: None))(message)

    def check(batch: Sequence[Tagged]) -> None:
        check_classes(tagger, batch, classes, label_map)

    cache = Path(cache_dir)
    # Set aside before any model runs: a side without text, a length outside the limits.
    early = [_early_reason(candidate, selection) for candidate in candidates]
    if result.sentences_in and dropped["empty_line"] + early.count("empty_line") == len(pairs):
        result.warnings.append(no_text_warning(len(pairs)))
        (warn or (lambda _: None))(result.warnings[-1])
    sources = [tokens_of(c.source_words) for c in candidates]
    wanted = [reason is None for reason in early]
    tagged = tag_sources(tagger, sources, cache, batch_size, notify, check, warn, wanted)
    kept: list[_Candidate] = []
    for candidate, source, reason in zip(candidates, tagged, early, strict=True):
        reason = reason or ("tagger_error" if source.error else None)
        if reason is not None:
            dropped[reason] += 1
            continue
        candidate.spans = map_spans(source.spans, label_map)
        candidate.dropped = [span for span in source.spans if not map_spans([span], label_map)]
        result.source_entities.update(span.label for span in candidate.spans)
        kept.append(candidate)

    pairs_to_align = [(tokens_of(c.source_words), tokens_of(c.target_words)) for c in kept]
    links = align_pairs(aligner, projector, pairs_to_align, cache, notify, warn)
    project = partial(_project, pairs=pairs_to_align, links=links, projector=projector)
    projected = project([c.spans for c in kept], batch_size=batch_size, progress=notify)
    # Where a dropped class's entities land, from a projection of their own (so that they
    # never compete with the kept entities for target words), only where they are masked.
    placed: list[list[ProjectedSpan]] = [[] for _ in kept]
    if selection.dropped_class == "mask":
        placed = project([c.dropped for c in kept], batch_size=batch_size, progress=None)
    for candidate, found, landed, pair_links in zip(kept, projected, placed, links, strict=True):
        chosen, reason = selection.choose(
            candidate.spans, found, candidate.pair.provenance.id, candidate.dropped
        )
        reason = _unless_a_place(reason, candidate, selection, places)
        if reason is not None:
            dropped[reason] += 1
            continue
        sentence = SilverSentence(
            candidate.pair,
            candidate.source_words,
            candidate.target_words,
            candidate.spans,
            chosen,
        )
        if selection.partial:
            sentence.unknown = _unknown(selection, sentence, candidate.dropped, landed, pair_links)
        result.sentences.append(sentence)
    _corpus_passes(result, selection, places)
    return result


def _unless_a_place(
    reason: str | None, candidate: _Candidate, selection: Selection, places: Collection[PlaceName]
) -> str | None:
    """``reason`` to drop a sentence, unless it is that it has no entity and the place-name
    pass will label one in it (its name is evidence enough, as a projected entity is)."""
    if reason != "no_entities" or selection.place_names != "label":
        return reason
    return None if has_place(tokens_of(candidate.target_words), places) else reason


def _corpus_passes(
    result: SilverResult, selection: Selection, places: Collection[PlaceName]
) -> None:
    """The passes over the kept sentences that the selection asks for (in place): place
    names, then consistency (which counts their occurrences)."""
    if selection.place_names != "off":
        result.places = _mark_places(result.sentences, places, selection.place_names)
    if selection.consistency:
        result.consistency = _make_consistent(result.sentences, selection)


def _mark_places(
    sentences: Sequence[SilverSentence], places: Collection[PlaceName], action: str
) -> int:
    """The place-name pass over the kept sentences (in place); how many names it marked."""
    marked = 0
    for sentence in sentences:
        after, found = mark_places(sentence.tagged(), places, action)
        if found:
            sentence.retag(after, lambda span: 1.0)  # no source entity: a name list's
            marked += found
    return marked


def _make_consistent(sentences: Sequence[SilverSentence], selection: Selection) -> dict[str, int]:
    """The consistency pass over the kept sentences (in place); what it changed."""
    outcome = make_consistent(
        [sentence.tagged() for sentence in sentences],
        selection.consistency,
        min_count=selection.consistency_min_count,
        action=selection.consistency_action,
    )
    for sentence, after in zip(sentences, outcome.sentences, strict=True):
        tokens = after.tokens

        def share(span: Span, tokens: list[str] = tokens) -> float:
            return outcome.decisions[tuple(tokens[span.start : span.end])].share

        sentence.retag(after, share)
    changes = {name: outcome.changes.get(name, 0) for name in ("added", "relabelled", "masked")}
    return {"surfaces": len(outcome.decisions), **changes}


def _unknown(
    selection: Selection,
    sentence: SilverSentence,
    dropped: Sequence[Span],
    placed: Sequence[ProjectedSpan],
    links: Iterable[Link],
) -> list[int]:
    """The sentence's words of unknown label: a dropped-class entity's words are those of its
    projection, else those linked to it; a lost entity's, those linked to it."""
    pairs = list(links)

    def linked(entity: Span) -> set[int]:
        return {link.tgt for link in pairs if entity.start <= link.src < entity.end}

    dropped_words = [
        {i for p in placed if p.source == entity for i in p.span.indices} or linked(entity)
        for entity in dropped
    ]
    length = len(sentence.target_words)
    return selection.unknown_words(
        sentence.source_spans, sentence.projected, dropped_words, linked, length
    )


def _prefilter(
    pairs: Sequence[BitextPair],
    exclusions: Sequence[Exclusion],
    tokenizer: str,
    dropped: Counter[str],
) -> list[_Candidate]:
    """The pairs worth tagging: no empty side, not in an evaluation set."""
    kept = []
    for pair in pairs:
        if pair.empty:
            dropped["empty_line"] += 1
        elif excluded_by(pair.target, exclusions):
            dropped["excluded"] += 1
        else:
            words = tokenize(pair.source, tokenizer), tokenize(pair.target, tokenizer)
            kept.append(_Candidate(pair, *words))
    return kept


def _early_reason(candidate: _Candidate, selection: Selection) -> str | None:
    """Why a pair is set aside before tagging: a side without text, a length outside the
    limits; None when it is tagged."""
    pair = candidate.pair
    if not has_text(pair.source) or not has_text(pair.target):
        return "empty_line"
    return selection.length_reason(len(candidate.source_words), len(candidate.target_words))


def no_text_warning(pairs: int) -> str:
    """The warning for a bitext of which no pair has text on both sides."""
    return (
        f"none of the {pairs} sentence pairs has text on both sides (empty lines, or only "
        "control characters, byte-order marks or U+FFFD): no silver data"
    )


def check_classes(
    tagger: SourceTagger,
    batch: Sequence[TaggedSentence],
    classes: Sequence[str],
    label_map: Mapping[str, str | None] | None,
) -> None:
    """Raise :class:`LabelMismatch` naming the tagger's classes the target set lacks."""
    found = {span.label for sentence in batch for span in map_spans(sentence.spans, label_map)}
    if extra := sorted(found - set(classes)):
        raise LabelMismatch(
            f"source tagger {tagger.name!r} gives {', '.join(extra)}, which the target label "
            f"set ({', '.join(classes)}) lacks: map or drop it with a label map "
            "(--label-map, e.g. drop-misc) or add it to the label set (--labels)"
        )


# ---------------------------------------------------------------------------- cached steps


def _cached(read: Callable[[], list[Any] | None], warn: Warn | None) -> list[Any] | None:
    """What ``read`` finds in the cache; None, with a warning, where it is damaged."""
    try:
        return read()
    except CacheDamage as damage:
        if warn is not None:
            warn(f"{damage}; recomputing it")
        return None


def tag_sources(
    tagger: SourceTagger,
    sentences: Sequence[list[str]],
    cache_dir: Path,
    batch_size: int,
    progress: Progress,
    check: Callable[[Sequence[Tagged]], None],
    warn: Warn | None = None,
    wanted: Sequence[bool] | None = None,
) -> list[Tagged]:
    """The tagger's spans of every sentence (``error`` set where it failed), batch by batch;
    each finished batch is kept, so an interrupted run resumes at the next one. Only the
    ``wanted`` sentences (default: all) are tagged; the others are kept as
    :data:`NOT_TAGGED` until a later run wants them."""
    wanted = [True] * len(sentences) if wanted is None else wanted
    settings = {"tagger": tagger.signature()}
    key = stage_key("silver-tag", settings, [digest(sentences)])
    store = StageStore(cache_dir, "tag", key, Tagged)
    total = len(sentences)
    done = _cached(partial(store.read, total), warn)  # None: not finished before
    out: list[Tagged] = []
    changed = done is None
    progress("tag", 0, total)
    for start in range(0, total, batch_size):
        end = min(start + batch_size, total)
        if done is not None:
            cached: list[Tagged] | None = done[start:end]
        else:
            cached = _cached(partial(store.read_shard, start, end), warn)
        batch, tagged = _fill(tagger, sentences[start:end], wanted[start:end], start, cached)
        changed |= tagged
        if done is None and (tagged or cached is None):
            store.write_shard(start, end, batch)
        check(batch)
        out.extend(batch)
        progress("tag", end, total)
    if changed:  # new, or with sentences that these limits let in
        store.write(out, settings)
        store.drop_shards()
    return out


def _fill(
    tagger: SourceTagger,
    sentences: Sequence[list[str]],
    wanted: Sequence[bool],
    start: int,
    cached: list[Tagged] | None,
) -> tuple[list[Tagged], bool]:
    """``cached`` (None: nothing yet) with every wanted sentence it lacks tagged, the others
    :data:`NOT_TAGGED`; and whether the tagger ran."""
    batch = cached if cached is not None else [Tagged(list(t), [], NOT_TAGGED) for t in sentences]
    todo = [i for i, entry in enumerate(batch) if wanted[i] and entry.error == NOT_TAGGED]
    if not todo:
        return batch, False
    outcomes = isolated_batch("tag", tagger.tag, [list(sentences[i]) for i in todo], start)
    for i, (spans, error) in zip(todo, outcomes, strict=True):
        batch[i] = Tagged(list(sentences[i]), list(spans or []), error)
    return batch, True


def align_pairs(
    aligner: Aligner,
    projector: Projector,
    pairs: Sequence[tuple[list[str], list[str]]],
    cache_dir: Path,
    progress: Progress,
    warn: Warn | None = None,
) -> list[LinkSets]:
    """Each pair's links with the named link sets the projector reads, from one aligner run
    over all the pairs (a statistical aligner learns from all of them), cached."""
    names = sorted(projector.link_sets_used())
    settings = {"aligner": aligner.signature(), "link_sets": names}
    key = stage_key("silver-align", settings, [digest(pairs)])
    store = StageStore(cache_dir, "align", key, LinkSets)
    done = _cached(partial(store.read, len(pairs)), warn)
    if done is None:
        progress("align", 0, None)
        done = align_link_sets(aligner, pairs, set(names)) if pairs else []
        store.write(done, settings)
    progress("align", len(pairs), len(pairs))
    return done


def _project(
    spans: Sequence[list[Span]],
    pairs: Sequence[tuple[list[str], list[str]]],
    links: Sequence[LinkSets],
    projector: Projector,
    batch_size: int,
    progress: Progress | None,
) -> list[list[ProjectedSpan]]:
    """The projections of each pair's source ``spans``."""
    out: list[list[ProjectedSpan]] = []
    total = len(pairs)
    progress = progress or (lambda step, done, total: None)
    progress("project", 0, total)
    for start in range(0, total, batch_size):
        end = min(start + batch_size, total)
        source = [
            TaggedSentence(tokens, list(entities))
            for entities, (tokens, _) in zip(spans[start:end], pairs[start:end], strict=True)
        ]
        targets = [target for _, target in pairs[start:end]]
        batch = project_corpus(source, targets, links[start:end], projector)
        out.extend(sentence.projected for sentence in batch)
        progress("project", end, total)
    return out
