"""Ensembles: several taggers as one, and span voting between systems.

:class:`ProbabilityEnsemble` averages the word-level label probabilities of several trained
taggers (each word's probabilities are those of its first subword, as
:meth:`~xlner.tagging.tagger.TokenTagger.predict_proba` gives them, so members with other
tokenizers combine too), with optional weights, and decodes the average as one tagger does.
Members with other label sets are mapped onto the union of their labels by name (``O``,
``B-X``, ``I-X``): a member without class X gives it probability 0, so its mass goes to the
classes it has. ``labels = "same"`` refuses members whose classes differ instead. A label
that is not an IOB2 tag (``S-X``, ``E-X``) cannot be mapped by name: a one-line error naming
the member.

``ensemble`` is a source tagger (``--tagger ensemble --tagger-option members=[...]``) of
trained xlner taggers, by name or directory, as the ``xlner`` tagger finds them; ``xlner tag
--model A --model B`` tags with the same ensemble.

:func:`vote_spans` combines the spans of several systems (a tagger and translate-test
projection, say) by votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from xlner.registry import ComponentError
from xlner.tagging.base import LabelMap, SourceTagger, check_label_map, register_tagger, rename
from xlner.tagging.tagger import ArgmaxDecoding
from xlner.tags import OUTSIDE, TagError, split_tag
from xlner.types import Span, Tokens

if TYPE_CHECKING:  # numpy, as in the taggers, is imported where it is used
    import numpy as np

LABEL_MODES = ("union", "same")


class ProbabilityTagger(Protocol):
    """What an ensemble member gives: its IOB2 labels and per-word label probabilities."""

    labels: list[str]

    def predict_proba(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[Any]: ...


def classes_of_labels(labels: Sequence[str], name: str) -> list[str]:
    """The classes of an IOB2 label list, in order; a one-line ComponentError naming the
    member ``name`` for a label that is not ``O``, ``B-X`` or ``I-X``, or a list without O."""
    classes = []
    for position, label in enumerate(labels):
        try:
            prefix, cls = split_tag(label, position)
        except TagError as error:
            raise ComponentError(f"ensemble member {name!r}: {error}") from None
        if prefix not in ("O", "B", "I"):
            raise ComponentError(
                f"ensemble member {name!r}: label {label!r} is not an IOB2 tag (O, B-X, I-X), "
                "so its probabilities cannot be mapped onto the others' by name"
            )
        if cls and cls not in classes:
            classes.append(cls)
    if OUTSIDE not in labels:
        raise ComponentError(f"ensemble member {name!r} has no {OUTSIDE!r} label")
    return classes


def union_labels(
    label_sets: Sequence[Sequence[str]], names: Sequence[str], mode: str = "union"
) -> list[str]:
    """``O`` and ``B-X``, ``I-X`` for every class of the members, sorted by class (as
    :func:`~xlner.tagging.tagger.labels_from`); with ``mode = "same"``, members whose classes
    differ from the first's are a one-line error naming both."""
    if mode not in LABEL_MODES:
        raise ComponentError(f"labels is one of {', '.join(LABEL_MODES)}, not {mode!r}")
    pairs = zip(label_sets, names, strict=True)
    found = [set(classes_of_labels(labels, name)) for labels, name in pairs]
    for classes, name in zip(found[1:], names[1:], strict=True):
        if mode == "same" and classes != found[0]:
            raise ComponentError(
                f"ensemble member {name!r} has the classes {', '.join(sorted(classes))}, "
                f"{names[0]!r} has {', '.join(sorted(found[0]))}: with labels = 'same' they must "
                "agree (labels = 'union' maps them onto their union)"
            )
    every = sorted(set().union(*found))
    return [OUTSIDE] + [f"{prefix}-{cls}" for cls in every for prefix in "BI"]


class ProbabilityEnsemble(ArgmaxDecoding):
    """The weighted average of the members' label probabilities on the union of their labels.

    ``names`` name the members in messages; ``weights`` (default: equal) need not sum to 1.
    """

    def __init__(
        self,
        members: Sequence[ProbabilityTagger],
        names: Sequence[str],
        weights: Sequence[float] | None = None,
        labels: str = "union",
    ) -> None:
        self.members = list(members)
        self.names = list(names)
        self.weights = check_weights(weights, len(self.members))
        self.labels = union_labels([m.labels for m in self.members], self.names, labels)
        import numpy as np

        where = {label: i for i, label in enumerate(self.labels)}
        self._columns = [np.array([where[label] for label in m.labels]) for m in self.members]

    def predict_proba(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[np.ndarray]:
        """Per sentence a (n_words, n_labels) array: the weighted mean of the members'."""
        import numpy as np

        out = [np.zeros((len(words), len(self.labels)), dtype=np.float64) for words in sentences]
        total = sum(self.weights)
        for member, weight, columns in zip(self.members, self.weights, self._columns, strict=True):
            found = member.predict_proba(list(sentences), batch_size)
            for rows, probabilities in zip(out, found, strict=True):
                rows[:, columns] += (weight / total) * np.asarray(probabilities, dtype=np.float64)
        return [rows.astype(np.float32) for rows in out]


def check_weights(weights: Sequence[float] | None, members: int) -> list[float]:
    """One weight per member, none negative and not all 0 (default: all 1)."""
    if members < 2:
        raise ComponentError(f"an ensemble needs at least two members, not {members}")
    if weights is None:
        return [1.0] * members
    values = [float(weight) for weight in weights]
    if len(values) != members:
        raise ComponentError(f"{len(values)} weights for {members} ensemble members")
    if any(not value >= 0 for value in values) or not sum(values) > 0:
        raise ComponentError(f"ensemble weights are 0 or more, not all 0: {values}")
    return values


@register_tagger("ensemble")
class EnsembleTagger(SourceTagger):
    """Trained xlner taggers (``members``: names or directories, as the ``xlner`` tagger's
    ``model``), their label probabilities averaged (``weights``; ``labels``: ``union`` or
    ``same``, above). The members are checked when it is built, their weights load on the
    first sentences to tag."""

    name = "ensemble"
    pivot_option = "lang"
    # The members are signed by their own signatures (parts_signature), which hold what of
    # the options passed on to them changes the output; labels is kept as labels_mode.
    unsigned = frozenset(
        {"members", "labels", "lang", "zero_shot", "batch_size", "device", "precision"}
    )
    signed_when_set = frozenset({"label_map"})

    def __init__(  # noqa: PLR0913
        self,
        members: Sequence[str],
        *,
        weights: Sequence[float] | None = None,
        labels: str = "union",
        lang: str = "en",
        zero_shot: bool = False,
        batch_size: int = 32,
        device: str | None = None,
        precision: str = "auto",
        label_map: LabelMap | None = None,
    ) -> None:
        from xlner.tagging.tagger import read_meta
        from xlner.tagging.xlner import XlnerTagger

        if isinstance(members, str) or not all(isinstance(m, str | Path) for m in members):
            raise ComponentError(
                f"members is a list of tagger names or directories, not {members!r}"
            )
        self.parts = [
            XlnerTagger(member, lang=lang, zero_shot=zero_shot, batch_size=batch_size,
                        device=device, precision=precision)
            for member in members
        ]  # fmt: skip
        self.weights = check_weights(weights, len(self.parts))
        self.labels_mode = labels
        names = [part.model for part in self.parts]
        union_labels([read_meta(part.path)["labels"] for part in self.parts], names, labels)
        self.batch_size = batch_size
        self.label_map = check_label_map(label_map)
        self._ensemble: ProbabilityEnsemble | None = None

    def derived_signature(self) -> dict[str, Any]:
        return {"labels": self.labels_mode}

    def parts_signature(self, *, defaults: bool) -> dict[str, Any]:
        return {"members": [part.signature_at(defaults=defaults) for part in self.parts]}

    @property
    def ensemble(self) -> ProbabilityEnsemble:
        if self._ensemble is None:
            names = [part.model for part in self.parts]
            members = [part.tagger for part in self.parts]
            self._ensemble = ProbabilityEnsemble(members, names, self.weights, self.labels_mode)
        return self._ensemble

    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        spans = self.ensemble.predict_spans(sentences, batch_size=self.batch_size)
        return rename(spans, self.label_map)


# ---------------------------------------------------------------------------- span voting


def vote_spans(
    systems: Sequence[Sequence[Span]],
    weights: Sequence[float] | None = None,
    min_share: float = 0.5,
) -> list[Span]:
    """The spans of one sentence that the ``systems`` vote for.

    A span's support is the summed weight of the systems that give exactly it (the same
    words and class); it is kept when its support is at least ``min_share`` of the total
    weight. Of kept spans that overlap, the one with more support wins, then the one of the
    earlier system (the order of ``systems`` is their priority), then the longer. With two
    systems of equal weight, ``min_share = 1`` keeps the spans both give, ``0.5`` every span
    of either, the first system's where they conflict.
    """
    weights = [1.0] * len(systems) if weights is None else [float(w) for w in weights]
    if len(weights) != len(systems):
        raise ValueError(f"{len(weights)} weights for {len(systems)} systems")
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share is a share between 0 and 1, not {min_share}")
    total = sum(weights)
    support: dict[Span, float] = {}
    first: dict[Span, int] = {}
    for rank, (spans, weight) in enumerate(zip(systems, weights, strict=True)):
        for span in set(spans):
            support[span] = support.get(span, 0.0) + weight
            first.setdefault(span, rank)
    # A tolerance, so that shares such as 1/3 + 1/3 reach 2/3.
    voted = [span for span, votes in support.items() if votes >= min_share * total - 1e-9]
    kept: list[Span] = []
    for span in sorted(voted, key=lambda s: (-support[s], first[s], -len(s), s)):
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    return sorted(kept)
