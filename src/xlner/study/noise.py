"""Controlled, seeded degradation of word alignments and source entities.

Every operator is a pure function: it takes one sentence's links or spans, a rate in [0, 1] and
a :class:`numpy.random.Generator`, and returns a new list; the input is never changed. The same
generator state gives the same output, so a whole sweep is reproducible from its seed.

Alignment operators (``links`` kind):

* ``drop_links``: each link is removed with probability ``rate``;
* ``add_links``: spurious links. The number added to a sentence is drawn per link (a Bernoulli
  trial with probability ``rate`` for each existing link, i.e. ``Binomial(#links, rate)``, so
  ``rate * #links`` in expectation, also for sentences with few links, where
  ``round(rate * #links)`` would be biased towards 0); the new links are uniformly random
  ``(src, tgt)`` pairs not already linked, drawn without replacement; a sentence whose grid is
  full gets fewer;
* ``move_links``: each link is moved, with probability ``rate``, to a neighbouring target word
  (``tgt - 1`` or ``tgt + 1``, chosen at random among those inside the sentence). A link moved
  onto an existing link merges with it, so the link count can shrink slightly.

Entity operators (``entities`` kind):

* ``drop_entities``: each source entity is removed with probability ``rate``;
* ``shift_boundaries``: each entity is, with probability ``rate``, extended or shrunk by one
  word on one side, chosen at random among the changes that keep it valid (at least one word,
  inside the sentence, not touching another entity's words). An entity with no valid change
  (a one-word entity between two adjacent entities) is kept, so the realised rate can be a
  little below ``rate``;
* ``swap_classes``: each entity gets, with probability ``rate``, a class drawn uniformly from
  the label set minus its own class (kept when the label set has no other class).

Added or moved links carry ``score=None``: they were proposed by no aligner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from xlner.registry import registry
from xlner.types import Link, Span


def _check_rate(rate: float) -> None:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"noise rate must be in [0, 1], not {rate!r}")


# ----------------------------------------------------------------------------- links


def drop_links(links: Sequence[Link], rate: float, rng: np.random.Generator) -> list[Link]:
    """Keep each link with probability ``1 - rate``."""
    _check_rate(rate)
    # One uniform per link even at rate 0, so every level consumes the generator alike.
    draws = rng.random(len(links))
    return [link for link, u in zip(links, draws, strict=True) if u >= rate]


def add_links(
    links: Sequence[Link],
    rate: float,
    rng: np.random.Generator,
    n_src: int,
    n_tgt: int,
) -> list[Link]:
    """Add ``Binomial(#links, rate)`` uniformly random links that are not already present."""
    _check_rate(rate)
    _check_inside(links, n_src, n_tgt)
    occupied = np.zeros(n_src * n_tgt, dtype=bool)
    occupied[[link.src * n_tgt + link.tgt for link in links]] = True
    # One uniform per link and one permutation of the free cells, both independent of the
    # rate: a higher rate adds a superset of the links a lower one adds.
    count = int((rng.random(len(links)) < rate).sum())
    chosen = rng.permutation(np.flatnonzero(~occupied))[:count]
    added = [Link(int(cell // n_tgt), int(cell % n_tgt)) for cell in chosen]
    return sorted([*links, *added])


def move_links(
    links: Sequence[Link], rate: float, rng: np.random.Generator, n_tgt: int
) -> list[Link]:
    """Move each link, with probability ``rate``, one target word left or right."""
    _check_rate(rate)
    _check_inside(links, None, n_tgt)
    moved: dict[tuple[int, int], Link] = {}
    draws, sides = rng.random(len(links)), rng.random(len(links)) < 0.5
    for link, u, left in zip(links, draws, sides, strict=True):
        target = _neighbour(link.tgt, n_tgt, bool(left)) if u < rate else link.tgt
        key = (link.src, target)
        # A link that lands on an existing one merges with it (links are a set).
        if key not in moved:
            moved[key] = link if target == link.tgt else Link(link.src, target)
    return sorted(moved.values())


def _neighbour(tgt: int, n_tgt: int, left: bool) -> int:
    """tgt - 1 or tgt + 1, whichever exists when only one does; tgt itself in a 1-word target."""
    options = [t for t in (tgt - 1, tgt + 1) if 0 <= t < n_tgt]
    if not options:
        return tgt
    return options[0] if left or len(options) == 1 else options[1]


def _check_inside(links: Sequence[Link], n_src: int | None, n_tgt: int) -> None:
    for link in links:
        if link.tgt >= n_tgt or (n_src is not None and link.src >= n_src):
            raise ValueError(f"link {link.src}-{link.tgt} is outside the sentence pair")


# ----------------------------------------------------------------------------- entities


def drop_entities(spans: Sequence[Span], rate: float, rng: np.random.Generator) -> list[Span]:
    """Keep each entity with probability ``1 - rate``."""
    _check_rate(rate)
    draws = rng.random(len(spans))
    return [span for span, u in zip(spans, draws, strict=True) if u >= rate]


def shift_boundaries(
    spans: Sequence[Span], rate: float, rng: np.random.Generator, n_tokens: int
) -> list[Span]:
    """Extend or shrink one side of each entity by one word with probability ``rate``."""
    _check_rate(rate)
    ordered = sorted(spans)
    out = list(ordered)
    draws, picks = rng.random(len(ordered)), rng.random(len(ordered))
    for index, (u, pick) in enumerate(zip(draws, picks, strict=True)):
        if u >= rate:
            continue
        lower = out[index - 1].end if index else 0  # neighbours as already changed
        upper = ordered[index + 1].start if index + 1 < len(ordered) else n_tokens
        options = _shifts(out[index], lower, min(upper, n_tokens))
        if options:
            out[index] = options[int(pick * len(options))]
    return out


def _shifts(span: Span, lower: int, upper: int) -> list[Span]:
    """Every one-word extension or shrink of ``span`` that stays within ``[lower, upper)``."""
    candidates = [
        (span.start - 1, span.end),  # extend left
        (span.start, span.end + 1),  # extend right
        (span.start + 1, span.end),  # shrink left
        (span.start, span.end - 1),  # shrink right
    ]
    return [
        Span(start, end, span.label)
        for start, end in candidates
        if lower <= start and end <= upper and end > start
    ]


def swap_classes(
    spans: Sequence[Span], rate: float, rng: np.random.Generator, labels: Sequence[str]
) -> list[Span]:
    """Give each entity, with probability ``rate``, another class from ``labels``."""
    _check_rate(rate)
    choices = sorted(set(labels))
    out = []
    for span, u, pick in zip(spans, rng.random(len(spans)), rng.random(len(spans)), strict=True):
        others = [label for label in choices if label != span.label]
        if u < rate and others:
            span = Span(span.start, span.end, others[int(pick * len(others))])
        out.append(span)
    return out


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class SentenceInput:
    """What an operator may read for one sentence pair."""

    source_spans: list[Span]
    links: list[Link]
    n_src: int
    n_tgt: int


# An operator: (sentence pair, rate, generator, labels) -> the sentence pair degraded.
Apply = Callable[[SentenceInput, float, np.random.Generator, Sequence[str]], SentenceInput]


@dataclass(frozen=True)
class Operator:
    """A degradation of one sentence pair's links or source entities (named by the registry)."""

    kind: str  # "links" or "entities"
    description: str
    apply: Apply


def _on_links(
    fn: Callable[[SentenceInput, float, np.random.Generator], list[Link]],
) -> Apply:
    def apply(
        item: SentenceInput, rate: float, rng: np.random.Generator, labels: Sequence[str]
    ) -> SentenceInput:
        return SentenceInput(list(item.source_spans), fn(item, rate, rng), item.n_src, item.n_tgt)

    return apply


def _on_spans(
    fn: Callable[[SentenceInput, float, np.random.Generator, Sequence[str]], list[Span]],
) -> Apply:
    def apply(
        item: SentenceInput, rate: float, rng: np.random.Generator, labels: Sequence[str]
    ) -> SentenceInput:
        return SentenceInput(fn(item, rate, rng, labels), list(item.links), item.n_src, item.n_tgt)

    return apply


registry.noise.register(
    "drop_links",
    Operator(
        "links",
        "alignment links dropped",
        _on_links(lambda s, r, g: drop_links(s.links, r, g)),
    ),
)
registry.noise.register(
    "add_links",
    Operator(
        "links",
        "spurious random links added",
        _on_links(lambda s, r, g: add_links(s.links, r, g, s.n_src, s.n_tgt)),
    ),
)
registry.noise.register(
    "move_links",
    Operator(
        "links",
        "links moved to a neighbouring target word",
        _on_links(lambda s, r, g: move_links(s.links, r, g, s.n_tgt)),
    ),
)
registry.noise.register(
    "drop_entities",
    Operator(
        "entities",
        "source entities dropped",
        _on_spans(lambda s, r, g, _: drop_entities(s.source_spans, r, g)),
    ),
)
registry.noise.register(
    "shift_boundaries",
    Operator(
        "entities",
        "source entity boundaries shifted by one word",
        _on_spans(lambda s, r, g, _: shift_boundaries(s.source_spans, r, g, s.n_src)),
    ),
)
registry.noise.register(
    "swap_classes",
    Operator(
        "entities",
        "source entity classes swapped",
        _on_spans(lambda s, r, g, labels: swap_classes(s.source_spans, r, g, labels)),
    ),
)


def get_operator(name: str) -> Operator:
    """The operator registered as ``name``; a one-line ComponentError lists the others."""
    return registry.noise.get(name)


def apply_corpus(
    operator: Operator,
    items: Sequence[SentenceInput],
    rate: float,
    seed: int | Sequence[int],
    labels: Sequence[str] = (),
) -> list[SentenceInput]:
    """Degrade every sentence pair, each with its own generator seeded from ``(seed, index)``.

    The draws do not depend on ``rate``: with the same seed every level sees the same uniforms,
    so the links dropped at 0.1 are a subset of those dropped at 0.2 and the curves are not
    jittered by fresh randomness at each level (common random numbers). A generator per
    sentence keeps sentence ``i``'s noise the same whatever happened to the sentences before.
    """
    base = [seed] if isinstance(seed, int) else list(seed)
    return [
        operator.apply(item, rate, np.random.default_rng([*base, index]), labels)
        for index, item in enumerate(items)
    ]
