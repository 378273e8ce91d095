"""Training data for ``xlner train tagger``: labelled files of any origin, and CoNLL-2003 mixed in.

Any token-per-line file trains a tagger: gold annotation (MasakhaNER 2.0) or silver data
(``xlner silver``'s ``silver.conll``). A file without a single entity is refused: a tagger
trained on it would learn to tag nothing, which is almost always a wrong file (the target
side of a bitext, a projection that failed).

English CoNLL-2003 can be mixed in, ``ratio`` times as many sentences as the files give,
drawn with the training seed, so that the tagger keeps what it knows of the classes while
learning the new language.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xlner.corpora.conll import ReadScheme, read_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.types import TaggedSentence


def read_labelled(path: str | Path, scheme: ReadScheme = "auto") -> list[TaggedSentence]:
    """The sentences of a token-per-line file; InputError when it holds no entity at all."""
    sentences = require_sentences(read_conll(path, scheme), path)
    if not any(sentence.spans for sentence in sentences):
        raise InputError(
            path, None, f"no entity in its {len(sentences)} sentences: nothing to learn from"
        )
    return sentences


def read_training_files(
    paths: Sequence[str | Path], scheme: ReadScheme = "auto"
) -> list[TaggedSentence]:
    """The sentences of every file, in order (each file must hold an entity)."""
    return [sentence for path in paths for sentence in read_labelled(path, scheme)]


def mix(
    train: Sequence[TaggedSentence],
    extra: Sequence[TaggedSentence],
    ratio: float,
    seed: int,
) -> list[TaggedSentence]:
    """``train`` and ``ratio * len(train)`` sentences of ``extra`` (all of it at most), drawn
    without replacement with ``seed``; the training loop shuffles them together."""
    if not ratio >= 0:  # also refuses NaN
        raise ValueError(f"the mixing ratio must be 0 or more, not {ratio}")
    wanted = min(round(ratio * len(train)), len(extra))
    picked = np.random.default_rng(seed).choice(len(extra), size=wanted, replace=False)
    return [*train, *(extra[i] for i in sorted(picked))]
