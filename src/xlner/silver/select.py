"""Which projected sentences become silver data, and why the others do not.

A projected sentence is trustworthy when every entity the source tagger found reached the
target side: a lost entity leaves a name tagged ``O``, which teaches the target tagger to
miss it. The options of :class:`Selection` are the only place their defaults live;
``xlner silver`` reads its own from here. Their measurement is in ``docs/silver.md``.

Every sentence that is not kept has one reason (:data:`DROP_REASONS`), counted in the summary.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

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
    "no_entities",  # no entity on the target side, beyond the kept share keep_empty
)


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

    def __post_init__(self) -> None:
        if not math.isfinite(self.min_score):
            raise ValueError(f"min_score must be a finite number, not {self.min_score}")
        if not 0.0 <= self.keep_empty <= 1.0:
            raise ValueError(f"keep_empty is a share between 0 and 1, not {self.keep_empty}")
        if self.min_length < 1 or self.max_length < self.min_length:
            raise ValueError(
                f"need 1 <= min_length <= max_length, not {self.min_length} and {self.max_length}"
            )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def length_reason(self, *lengths: int) -> str | None:
        """``too_short``/``too_long`` when a side's length is outside the limits, else None."""
        if min(lengths) < self.min_length:
            return "too_short"
        if max(lengths) > self.max_length:
            return "too_long"
        return None

    def choose(
        self, source: Sequence[Span], projected: Sequence[ProjectedSpan], key: str
    ) -> tuple[list[ProjectedSpan], str | None]:
        """The projections kept for one sentence, and the reason to drop it (None: keep).

        ``key`` identifies the sentence for the seeded draw of the sentences without any
        entity that are kept (the same sentence is drawn the same way in every run).
        """
        kept = [p for p in projected if p.score >= self.min_score]
        if self.require_all:
            reached = {p.source for p in projected}
            if any(entity not in reached for entity in source):
                return [], "unprojected_entity"
            if any(entity not in {p.source for p in kept} for entity in source):
                return [], "low_score"
        if not kept and not self._draw(key):
            return [], "no_entities"
        return kept, None

    def _draw(self, key: str) -> bool:
        if self.keep_empty >= 1.0:
            return True
        return random.Random(f"{self.seed}:{key}").random() < self.keep_empty
