"""Continuing from a trained tagger on data with other classes: the label set is extended.

A tagger given as ``--init`` keeps every label it has, in its order, with the weights of its
classifier rows; the labels that only the new data has are appended, with classifier rows
initialised as the model initialises a fresh head. So the English CoNLL-2003 tagger continued
on MasakhaNER silver data (PER, ORG, LOC, DATE) keeps its PER/ORG/LOC rows, learns DATE, and
keeps MISC, which the new data never shows it; drop MISC at evaluation (``--label-map
drop-misc``) or tagging time. Classes are never renamed here: give the data the tagger's
class names, or map at evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlner.tagging.tagger import TokenTagger


def extended(labels: Sequence[str], more: Sequence[str]) -> list[str]:
    """``labels`` then those of ``more`` it lacks, in ``more``'s order."""
    return [*labels, *(label for label in more if label not in labels)]


def extend_labels(tagger: TokenTagger, labels: Sequence[str], seed: int = 42) -> TokenTagger:
    """``tagger`` (changed in place) with ``labels`` added to its own; the rows of its own
    labels are kept exactly, the new rows initialised fresh with ``seed``."""
    import torch

    new = extended(tagger.labels, labels)
    if new == tagger.labels:
        return tagger
    model = tagger.model
    head = _classifier(model)
    fresh = torch.nn.Linear(head.in_features, len(new), bias=head.bias is not None)
    torch.manual_seed(seed)
    model._init_weights(fresh)  # the model's own initialisation of a new head
    fresh = fresh.to(device=head.weight.device, dtype=head.weight.dtype)
    with torch.no_grad():
        fresh.weight[: len(tagger.labels)] = head.weight
        if head.bias is not None:
            fresh.bias[: len(tagger.labels)] = head.bias
    model.classifier = fresh
    model.num_labels = model.config.num_labels = len(new)
    model.config.id2label = dict(enumerate(new))
    model.config.label2id = {label: i for i, label in enumerate(new)}
    tagger.labels = new
    return tagger


def _classifier(model: Any) -> Any:
    import torch

    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        raise ValueError(
            f"cannot extend the labels of a {type(model).__name__}: its classifier is not "
            "one linear layer"
        )
    return head
