"""Which projected sentences become silver data, and why the others do not.

A projected sentence is trustworthy when every entity the source tagger found reached the
target side: a lost entity leaves a name tagged ``O``, which teaches the target tagger to
miss it. The options of :class:`Selection` are the only place their defaults live;
``xlner silver`` reads its own from here. Their measurement is in ``docs/silver.md``.

Every sentence that is not kept has one reason (:data:`DROP_REASONS`), counted in the summary.

Partial labels: instead of training a word as ``O`` when the projection cannot say what it
is, the selection can mark it unknown (:data:`xlner.tags.UNKNOWN`; training ignores it):
the words of a source entity whose class the label map drops (``dropped_class``: CoNLL's
MISC "American", which MasakhaNER tags as the LOC "Marekani") and the words of an entity
that was not projected (``unprojected``, with ``require_all`` off). The defaults keep
today's silver data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from xlner.silver.consistency import ACTIONS as CONSISTENCY_ACTIONS
from xlner.silver.places import ACTIONS as PLACE_ACTIONS
from xlner.types import ProjectedSpan, Span

# In the order they are checked: a sentence is counted under the first reason that applies.
DROP_REASONS = (
    # one side of the pair is an empty line, or holds only control characters (NUL, DEL, a
    # byte-order mark, U+FFFD); the pair is dropped, the others are not shifted
    "empty_line",
    "excluded",  # the target sentence is in an evaluation set (--exclude, --exclude-corpus)
    "too_short",  # a side has fewer than min_length tokens (checked before tagging)
    "too_long",  # a side has more than max_length tokens (checked before tagging)
    "tagger_error",  # the source tagger failed on this sentence
    "unprojected_entity",  # require_all: a source entity has no projection at all
    "low_score",  # require_all: a source entity's projections all score below min_score
    "dropped_class",  # dropped_class = "drop": a source entity of a class the label map drops
    "no_entities",  # no entity on the target side, beyond the kept share keep_empty
)
# Reasons a summary lists only where they were counted, so that the summaries of jobs
# without the settings that count them stay as they were.
COUNTED_WHEN_USED = ("dropped_class",)

# What becomes of the target words of a source entity whose class the label map drops.
DROPPED_CLASS = (
    "outside",  # they train as O (the silver data of xlner 0.x)
    "drop",  # the sentence is dropped (reason dropped_class)
    "mask",  # they are unknown: the words of its projection, else the words linked to it
)
# With require_all off, what becomes of the words of a source entity that was not projected
# (or only below min_score).
UNPROJECTED = (
    "outside",  # they train as O
    "mask",  # the target words linked to it are unknown
    "mask-sentence",  # every O word of the sentence is unknown: only its names are trusted
)
# Fields added after silver stage keys were first computed, with the value that changes
# nothing: left out of as_dict at that value, so that existing runs are read back.
_ADDED_FIELDS: dict[str, Any] = {
    "dropped_class": "outside",
    "unprojected": "outside",
    "consistency": 0.0,
    "consistency_min_count": 3,
    "consistency_action": "label",
    "place_names": "off",
}


@dataclass(frozen=True)
class Selection:
    """The selection options with their defaults (see ``docs/silver.md`` for how each was
    chosen: measured on en-lug, or provisional and why)."""

    # Keep only sentences whose every source entity was projected (with a score of at least
    # min_score); otherwise keep the projections there are. Measured: +0.9 to +2.7 silver F1.
    require_all: bool = True
    # Projections scoring below this are dropped (the heuristic's score is the Dice overlap of
    # the entity and the aligned run, 0-1; the matching scores are on other scales, so the
    # default is 0; with the heuristic, 0.9 measured +1.1 to +2.8 silver F1).
    min_score: float = 0.0
    # The share of sentences without any entity that is kept, drawn per sentence with seed.
    # Provisional: its cost and benefit show only in a trained tagger.
    keep_empty: float = 0.1
    # Length limits in tokens, checked on both sides. Measured below (1-2 tokens: F1 0); the
    # upper one is a guard on alignment time, provisional.
    min_length: int = 3
    max_length: int = 100
    seed: int = 0
    # Partial labels (one of DROPPED_CLASS / UNPROJECTED). Provisional: today's silver data,
    # until the silver benchmark compares them on MasakhaNER 2.0 dev.
    dropped_class: str = "outside"
    unprojected: str = "outside"
    # The corpus-level consistency pass (xlner.silver.consistency) over the kept sentences:
    # a surface labelled as one class in at least this share of its occurrences (and at
    # least consistency_min_count times) is labelled so, or with consistency_action "mask"
    # made unknown, where it is not. 0: off. Provisional, as the partial labels.
    consistency: float = 0.0
    consistency_min_count: int = 3
    consistency_action: str = "label"
    # CLDR's place names in the target language (xlner.silver.places) where the silver data
    # leaves them outside every entity: labelled LOC ("label") or made unknown ("mask").
    # Provisional: off until the silver benchmark measures it on dev.
    place_names: str = "off"

    def __post_init__(self) -> None:
        if not math.isfinite(self.min_score):
            raise ValueError(f"min_score must be a finite number, not {self.min_score}")
        if not 0.0 <= self.keep_empty <= 1.0:
            raise ValueError(f"keep_empty is a share between 0 and 1, not {self.keep_empty}")
        if self.min_length < 1 or self.max_length < self.min_length:
            raise ValueError(
                f"need 1 <= min_length <= max_length, not {self.min_length} and {self.max_length}"
            )
        for name, choices in (("dropped_class", DROPPED_CLASS), ("unprojected", UNPROJECTED)):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name} is one of {', '.join(choices)}, not {getattr(self, name)!r}"
                )
        if self.consistency and not 0.5 < self.consistency <= 1.0:
            raise ValueError(
                f"consistency is 0 (off) or a share above 0.5 up to 1, not {self.consistency}"
            )
        if self.consistency_min_count < 1:
            raise ValueError(
                f"consistency_min_count must be at least 1, not {self.consistency_min_count}"
            )
        if self.consistency_action not in CONSISTENCY_ACTIONS:
            raise ValueError(
                f"consistency_action is one of {', '.join(CONSISTENCY_ACTIONS)}, "
                f"not {self.consistency_action!r}"
            )
        if self.place_names not in PLACE_ACTIONS:
            raise ValueError(
                f"place_names is one of {', '.join(PLACE_ACTIONS)}, not {self.place_names!r}"
            )
        if self.require_all and self.unprojected != "outside":
            raise ValueError(
                f"unprojected {self.unprojected} marks the words of entities that sentences kept "
                "without require_all lost: turn require_all off (--allow-partial)"
            )

    def as_dict(self) -> dict[str, Any]:
        fields = asdict(self)
        for added, off in _ADDED_FIELDS.items():
            if fields[added] == off:
                fields.pop(added)
        return fields

    @property
    def partial(self) -> bool:
        """Whether words may be unknown in the silver data (partial labels)."""
        masks = self.consistency and self.consistency_action == "mask"
        places = self.place_names == "mask"
        return (
            self.dropped_class == "mask" or self.unprojected != "outside" or bool(masks) or places
        )

    def length_reason(self, *lengths: int) -> str | None:
        """``too_short``/``too_long`` when a side's length is outside the limits, else None."""
        if min(lengths) < self.min_length:
            return "too_short"
        if max(lengths) > self.max_length:
            return "too_long"
        return None

    def choose(
        self,
        source: Sequence[Span],
        projected: Sequence[ProjectedSpan],
        key: str,
        dropped: Sequence[Span] = (),
    ) -> tuple[list[ProjectedSpan], str | None]:
        """The projections kept for one sentence, and the reason to drop it (None: keep).

        ``key`` identifies the sentence for the seeded draw of the sentences without any
        entity that are kept (the same sentence is drawn the same way in every run).
        ``dropped``: the source entities of classes the label map drops.
        """
        kept = [p for p in projected if p.score >= self.min_score]
        if self.require_all:
            reached = {p.source for p in projected}
            if any(entity not in reached for entity in source):
                return [], "unprojected_entity"
            if any(entity not in {p.source for p in kept} for entity in source):
                return [], "low_score"
        if dropped and self.dropped_class == "drop":
            return [], "dropped_class"
        if not kept and not self.keeps_empty(key):
            return [], "no_entities"
        return kept, None

    def unknown_words(
        self,
        source: Sequence[Span],
        kept: Sequence[ProjectedSpan],
        dropped: Sequence[set[int]],
        linked: Callable[[Span], set[int]],
        length: int,
    ) -> list[int]:
        """The target words of a kept sentence whose label is unknown (none by default).

        ``kept``: its chosen projections; ``dropped``: the target words of each source entity
        of a dropped class; ``linked``: the target words linked to a source entity. A word of
        a kept entity is never unknown.
        """
        unknown: set[int] = set()
        if self.dropped_class == "mask":
            unknown = unknown.union(*dropped)
        lost = [entity for entity in source if entity not in {p.source for p in kept}]
        if lost and self.unprojected == "mask-sentence":
            unknown |= set(range(length))
        elif lost and self.unprojected == "mask":
            for entity in lost:
                unknown |= linked(entity)
        labelled = {i for p in kept for i in p.span.indices}
        return sorted(unknown - labelled)

    def keeps_empty(self, key: str) -> bool:
        """Whether a sentence without entities, identified by ``key``, is in the kept share."""
        if self.keep_empty >= 1.0:
            return True
        return random.Random(f"{self.seed}:{key}").random() < self.keep_empty
