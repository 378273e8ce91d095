"""Per-word label probabilities computed earlier (for example on a GPU) and read back.

``xlner benchmark model-transfer --export-dir DIR`` saves one ``.npz`` per test set (labels,
word counts, stacked probabilities). :class:`PrecomputedTagger` serves them to anything that
wants a token-probability tagger, such as the tagger score of projection as matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xlner.types import TaggedSentence, Tokens


class PrecomputedTagger:
    """Looks sentences up by their tokens; asking for an unknown sentence is an error."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self._rows: dict[tuple[str, ...], np.ndarray] = {}

    def add(self, path: str | Path, sentences: Sequence[TaggedSentence | Tokens]) -> None:
        """Read one exported file; ``sentences`` are the ones it was computed on, in order."""
        saved = np.load(path)
        labels = [str(label) for label in saved["labels"]]
        if self.labels and labels != self.labels:
            raise ValueError(f"{path}: labels {labels} differ from {self.labels}")
        lengths = saved["lengths"]
        if len(lengths) != len(sentences):
            raise ValueError(f"{path}: {len(lengths)} sentences, expected {len(sentences)}")
        self.labels = labels
        ends = np.cumsum(lengths)
        probabilities = saved["probabilities"].astype(np.float64)
        for sentence, end, n in zip(sentences, ends, lengths, strict=True):
            tokens = tuple(sentence.tokens if isinstance(sentence, TaggedSentence) else sentence)
            if len(tokens) != n:
                raise ValueError(f"{path}: a sentence of {len(tokens)} words was saved with {n}")
            self._rows[tokens] = probabilities[end - n : end]

    def predict_proba(self, sentences: list[Tokens]) -> list[np.ndarray]:
        missing = [s for s in sentences if tuple(s) not in self._rows]
        if missing:
            raise KeyError(
                f"no saved probabilities for {len(missing)} sentence(s), e.g. "
                f"{' '.join(missing[0])[:80]!r}"
            )
        return [self._rows[tuple(s)] for s in sentences]
