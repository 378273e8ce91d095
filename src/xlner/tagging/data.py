"""Training data for ``xlner train tagger``: labelled files of any origin, and CoNLL-2003 mixed in.

Any token-per-line file trains a tagger: gold annotation (MasakhaNER 2.0) or silver data
(``xlner silver``'s ``silver.conll``). A file without a single entity is refused: a tagger
trained on it would learn to tag nothing, which is almost always a wrong file (the target
side of a bitext, a projection that failed).

Training files may hold partial labels (words tagged ``-``, :data:`xlner.tags.UNKNOWN`, which
the loss ignores); a dev file, scored like any evaluation set, may not.

The files of one training set (``--train A --train B``: a multilingual set) must agree on
their classes: each file has the classes of the first, unless ``classes`` (``--labels``)
names a set that holds every file's classes; then a file may lack some (a language whose
silver data never found a DATE). So a file of another label set (CoNLL's MISC beside
MasakhaNER's DATE) is never mixed in by mistake.

English CoNLL-2003 can be mixed in, ``ratio`` times as many sentences as the files give,
drawn with the training seed, so that the tagger keeps what it knows of the classes while
learning the new language.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xlner.corpora.conll import ReadScheme, read_conll
from xlner.corpora.lines import require_sentences
from xlner.errors import InputError
from xlner.types import TaggedSentence


def read_labelled(
    path: str | Path, scheme: ReadScheme = "auto", *, unknown: bool = False
) -> list[TaggedSentence]:
    """The sentences of a token-per-line file; InputError when it holds no entity at all.
    ``unknown``: words of unknown label (partial labels) are accepted (training files)."""
    sentences = require_sentences(read_conll(path, scheme, unknown=unknown), path)
    if not any(sentence.spans for sentence in sentences):
        raise InputError(
            path, None, f"no entity in its {len(sentences)} sentences: nothing to learn from"
        )
    return sentences


def read_training_files(
    paths: Sequence[str | Path],
    scheme: ReadScheme = "auto",
    classes: Sequence[str] | None = None,
) -> list[TaggedSentence]:
    """The sentences of every file, in order (each file must hold an entity; partial labels
    are accepted). The files must agree on their classes (see the module's docstring): a file
    that does not is an InputError naming it, its classes and the others'."""
    sentences = []
    first: tuple[str | Path, set[str]] | None = None
    for path in paths:
        found = read_labelled(path, scheme, unknown=True)
        _check_classes(path, classes_of(found), first, classes)
        first = first or (path, classes_of(found))
        sentences.extend(found)
    return sentences


def classes_of(sentences: Sequence[TaggedSentence]) -> set[str]:
    return {span.label for sentence in sentences for span in sentence.spans}


def _check_classes(
    path: str | Path,
    found: set[str],
    first: tuple[str | Path, set[str]] | None,
    classes: Sequence[str] | None,
) -> None:
    if classes is not None:
        if extra := found - set(classes):
            raise InputError(
                path, None, f"has {_listed(extra)}, which the label set ({_listed(classes)}) lacks"
            )
        return
    if first is not None and found != first[1]:
        union = _listed(found | first[1]).replace(" ", "")
        raise InputError(
            path,
            None,
            f"its classes ({_listed(found)}) differ from those of {first[0]} "
            f"({_listed(first[1])}): the files of a training set share one label set; name "
            f"their union to train on it (--labels {union})",
        )


def _listed(classes: Sequence[str] | set[str]) -> str:
    return ", ".join(sorted(classes))


def mix(
    train: Sequence[TaggedSentence],
    extra: Sequence[TaggedSentence],
    ratio: float,
    seed: int,
) -> list[TaggedSentence]:
    """``train`` and ``ratio * len(train)`` sentences of ``extra`` (all of it at most), drawn
    without replacement with ``seed``; the training loop shuffles them together."""
    import numpy as np  # here, not at the top: the command line imports this module

    if not ratio >= 0:  # also refuses NaN
        raise ValueError(f"the mixing ratio must be 0 or more, not {ratio}")
    wanted = min(round(ratio * len(train)), len(extra))
    picked = np.random.default_rng(seed).choice(len(extra), size=wanted, replace=False)
    return [*train, *(extra[i] for i in sorted(picked))]
