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

from xlner.tagging.tagger import TokenTagger, labels_from
from xlner.tagging.training import TrainConfig, fit, latest_checkpoint

__all__ = ["TokenTagger", "TrainConfig", "fit", "labels_from", "latest_checkpoint"]
