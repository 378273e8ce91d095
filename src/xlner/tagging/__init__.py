"""Token-classification NER taggers on pretrained encoders (model transfer).

Typical use::

    from xlner.corpora.conll import read_conll
    from xlner.tagging import TokenTagger, TrainConfig, fit, labels_from

    train = read_conll("conll2003/train.txt")
    tagger = TokenTagger.from_encoder("e5-small", labels_from(train))
    fit(tagger, train, config=TrainConfig(epochs=3), output_dir="runs/conll-e5")
    probs = TokenTagger.load("runs/conll-e5").predict_proba([["Kampala", "is", "big"]])

Needs the ``encoder`` extra (torch, transformers).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlner.tagging.tagger import TokenTagger, labels_from
    from xlner.tagging.training import TrainConfig, fit, latest_checkpoint

__all__ = ["TokenTagger", "TrainConfig", "fit", "labels_from", "latest_checkpoint"]

# The module of each name above. They are imported on first use (PEP 562), so that importing
# a light module of the package (``base``, the source taggers the registry finds) does not
# also load the encoder's tagger and its training loop.
_HOMES = {
    "TokenTagger": "tagger",
    "labels_from": "tagger",
    "TrainConfig": "training",
    "fit": "training",
    "latest_checkpoint": "training",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
