"""Corpus-level consistency of silver labels: a name is labelled alike wherever it occurs.

Projection labels each sentence alone, so the same name ("Marekani") may be a LOC in most
sentences and O (or unknown, or another class) in the rest, where the source tagger missed
it or the label map dropped its source entity (CoNLL's MISC "American"). The pass counts, for
every word sequence the silver data labels somewhere (its surface, the exact tokens), how its
occurrences are labelled; a surface labelled as one class in at least ``threshold`` of them,
and at least ``min_count`` times, is labelled so (or, with ``mask``, made unknown) where it
occurs unlabelled or as an entity of another class.

What counts as an occurrence: the surface labelled exactly as a span (of its class or another);
the surface whose words are all ``O`` (against it); the surface crossing a span's boundary
(against it, left as it is). An occurrence inside a longer entity ("Kampala" in "Kampala City")
is none: it neither counts nor changes. Words of unknown label count neither way, and are
labelled like ``O`` words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from xlner.types import Span, TaggedSentence

Surface = tuple[str, ...]
ACTIONS = ("label", "mask")


@dataclass(frozen=True)
class Decision:
    """The class a surface gets, and the share of its occurrences labelled so."""

    label: str
    share: float


@dataclass
class ConsistencyResult:
    """The sentences after the pass, each surface's decision, and what changed."""

    sentences: list[TaggedSentence]
    decisions: dict[Surface, Decision]
    changes: Counter[str] = field(default_factory=Counter)  # added, relabelled, masked


def make_consistent(
    sentences: Sequence[TaggedSentence],
    threshold: float,
    *,
    min_count: int = 3,
    action: str = "label",
) -> ConsistencyResult:
    """The pass over ``sentences`` (see the module's docstring); the input is not changed."""
    if not 0.5 < threshold <= 1.0:
        raise ValueError(f"the consistency threshold is a share above 0.5, not {threshold}")
    if action not in ACTIONS:
        raise ValueError(f"the consistency action is one of {', '.join(ACTIONS)}, not {action!r}")
    longest = max((len(s) for sentence in sentences for s in sentence.spans), default=0)
    surfaces = {_surface(sentence, span) for sentence in sentences for span in sentence.spans}
    occurrences = [_occurrences(sentence, surfaces, longest) for sentence in sentences]
    decisions = _decide(sentences, occurrences, threshold, min_count)
    result = ConsistencyResult([], decisions)
    for sentence, found in zip(sentences, occurrences, strict=True):
        result.sentences.append(_apply(sentence, found, decisions, action, result.changes))
    return result


def _surface(sentence: TaggedSentence, span: Span) -> Surface:
    return tuple(sentence.tokens[span.start : span.end])


def _occurrences(
    sentence: TaggedSentence, surfaces: set[Surface], longest: int
) -> list[tuple[Surface, int, int]]:
    """Every occurrence of a known surface in ``sentence``: (surface, start, end)."""
    tokens = sentence.tokens
    found = []
    for start in range(len(tokens)):
        for end in range(start + 1, min(start + longest, len(tokens)) + 1):
            if (surface := tuple(tokens[start:end])) in surfaces:
                found.append((surface, start, end))
    return found


def _kind(sentence: TaggedSentence, start: int, end: int) -> str | None:
    """How an occurrence is labelled: a span's class, ``O``, ``unknown`` (all its words O or
    unknown, some unknown), ``crossing``, or None when it lies inside a longer span."""
    for span in sentence.spans:
        if (span.start, span.end) == (start, end):
            return span.label
        if span.start <= start and end <= span.end:
            return None
        if span.start < end and start < span.end:
            return "crossing"
    return "unknown" if set(range(start, end)) & set(sentence.unknown) else "O"


def _decide(
    sentences: Sequence[TaggedSentence],
    occurrences: Sequence[list[tuple[Surface, int, int]]],
    threshold: float,
    min_count: int,
) -> dict[Surface, Decision]:
    counts: dict[Surface, Counter[str]] = defaultdict(Counter)
    for sentence, found in zip(sentences, occurrences, strict=True):
        for surface, start, end in found:
            kind = _kind(sentence, start, end)
            if kind is not None and kind != "unknown":
                counts[surface][kind] += 1
    decisions = {}
    for surface, kinds in counts.items():
        total = sum(kinds.values())
        classes = [(n, label) for label, n in kinds.items() if label not in ("O", "crossing")]
        if not classes:
            continue
        best, label = max(classes)
        if best >= min_count and best / total >= threshold:
            decisions[surface] = Decision(label, best / total)
    return decisions


def _apply(
    sentence: TaggedSentence,
    found: list[tuple[Surface, int, int]],
    decisions: dict[Surface, Decision],
    action: str,
    changes: Counter[str],
) -> TaggedSentence:
    """``sentence`` with each occurrence of a decided surface labelled (or masked) as decided
    where it is unlabelled or of another class; the longest occurrences first."""
    spans, unknown = list(sentence.spans), set(sentence.unknown)
    for surface, start, end in sorted(found, key=lambda o: (o[1] - o[2], o[1])):
        decision = decisions.get(surface)
        current = TaggedSentence(sentence.tokens, spans, unknown=sorted(unknown))
        kind = _kind(current, start, end)
        if decision is None or kind in (None, "crossing", decision.label):
            continue
        spans = [span for span in spans if (span.start, span.end) != (start, end)]
        if action == "mask":
            changes["masked"] += len(set(range(start, end)) - unknown)
            unknown |= set(range(start, end))
            continue
        spans.append(Span(start, end, decision.label))
        unknown -= set(range(start, end))
        changes["added" if kind in ("O", "unknown") else "relabelled"] += 1
    return TaggedSentence(sentence.tokens, sorted(spans), unknown=sorted(unknown))
