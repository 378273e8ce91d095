"""MasakhaNER 2.0: news NER in 20 African languages (PER, ORG, LOC, DATE)."""

from __future__ import annotations

from xlner.corpora.base import Corpus, Origin, register_corpus

LANGUAGES = (
    "bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos",
    "nya", "pcm", "sna", "swa", "tsn", "twi", "wol", "xho", "yor", "zul",
)  # fmt: skip
SPLITS = ("train", "dev", "test")

MASAKHANER2 = register_corpus(
    Corpus(
        name="masakhaner2",
        title="MasakhaNER 2.0: NER for 20 African languages",
        folder="masakhaner2",
        licence="CC BY-NC 4.0",
        citation=(
            "David Ifeoluwa Adelani et al. (2022). MasakhaNER 2.0: Africa-centric Transfer "
            "Learning for Named Entity Recognition. EMNLP 2022."
        ),
        origin=Origin("masakhane-io/masakhane-ner", "ba5843cd", "MasakhaNER2.0/data"),
        layout="{lang}/{split}.txt",
        parameter_choices={"lang": LANGUAGES, "split": SPLITS},
    )
)
