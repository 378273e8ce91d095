"""CoNLL-2003 English NER: the training data of xlner's source taggers, and a test set."""

from __future__ import annotations

from xlner.corpora.base import Corpus, Origin, register_corpus

CONLL2003 = register_corpus(
    Corpus(
        name="conll2003",
        title="CoNLL-2003 English NER (train, valid, test)",
        folder="conll2003",
        licence="Reuters RCV1 text: research use only",
        citation=(
            "Erik F. Tjong Kim Sang and Fien De Meulder (2003). Introduction to the CoNLL-2003 "
            "Shared Task: Language-Independent Named Entity Recognition. CoNLL 2003."
        ),
        origin=Origin("Hironsan/anago", "0ffb4004", "data/conll2003/en/raw"),
        layout="{split}.txt",
        parameter_choices={"split": ("train", "valid", "test")},
        aliases={"dev": "valid"},  # the usual name elsewhere
    )
)
