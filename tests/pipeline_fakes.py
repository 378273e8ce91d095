"""Fake components and configs for the pipeline tests: fast, countable, and able to fail.

``test-echo`` translates a sentence into itself, ``test-caps`` tags capitalised words and
``test-diagonal`` links word *i* to word *i*, so a run over :data:`SENTENCES` scores F1 100.
"""

from __future__ import annotations

from collections import Counter

import pytest

from xlner.align.base import Aligner, register_aligner
from xlner.corpora.conll import write_conll
from xlner.pipeline.run import apply_overrides
from xlner.tagging.base import SourceTagger, register_tagger
from xlner.translate.base import Translator, register_translator
from xlner.types import Link, Span, TaggedSentence

CALLS: Counter[str] = Counter()


class Crash(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


@register_translator("test-echo")
class EchoTranslator(Translator):
    """Returns each sentence as its own translation; ``DROP`` loses a line, ``EMPTY`` is empty.

    ``crash_at`` raises :class:`Crash` on that call (counted over all instances).
    """

    name = "test-echo"
    unsigned = frozenset({"batch_size"})  # how many at a time: the translations are the same
    crash_at: int | None = None

    def __init__(self, batch_size: int = 3) -> None:
        self.batch_size = batch_size

    def translate_batch(self, sentences, src_lang, tgt_lang):
        CALLS["translate"] += 1
        if EchoTranslator.crash_at is not None and CALLS["translate"] == EchoTranslator.crash_at:
            raise Crash()
        out = ["" if "EMPTY" in s else s for s in sentences]
        return out[:-1] if any("DROP" in s for s in sentences) else out


@register_tagger("test-caps")
class CapsTagger(SourceTagger):
    """Every capitalised word is a PER; a sentence containing ``BOOM`` crashes it."""

    name = "test-caps"

    def __init__(self, label: str = "PER") -> None:
        self.label = label

    def signature(self):
        return {"method": self.name, "label": self.label}

    def tag(self, sentences):
        CALLS["tag"] += 1
        if any("BOOM" in s for s in sentences):
            raise ValueError("the tagger crashed")
        return [
            [Span(i, i + 1, self.label) for i, w in enumerate(s) if w[:1].isupper() and w.isalpha()]
            for s in sentences
        ]


@register_aligner("test-diagonal")
class DiagonalAligner(Aligner):
    name = "test-diagonal"
    per_sentence = True  # so that ``align`` runs in batches (``align.batch_size``)

    def align(self, pairs, *, extra_bitext=()):
        CALLS["align"] += 1
        return [[Link(i, i, 1.0) for i in range(min(len(s), len(t)))] for s, t in pairs]


SENTENCES = [
    "Anna visits Berlin today .",
    "the weather is fine .",
    "Ravi and Mona met .",
    "nobody came .",
    "Kampala is far from Lagos .",
    "we saw Omar .",
    "Li wrote to Sara .",
]


def write_corpus(path, words_list):
    sentences = []
    for text in words_list:
        tokens = text.split()
        spans = [Span(i, i + 1, "PER") for i, w in enumerate(tokens) if w[:1].isupper()]
        sentences.append(TaggedSentence(tokens, spans))
    write_conll(path, sentences)
    return path


def make_config(tmp_path, sentences=SENTENCES, **extra):
    corpus = write_corpus(tmp_path / "gold.conll", sentences)
    config = {
        "run": {"dir": str(tmp_path / "run")},
        "preset": "light",  # its projection, the heuristic; the aligner is named below
        "data": {"corpus": "conll", "path": str(corpus), "lang": "lug", "pivot": "en"},
        "translate": {"translator": "test-echo", "batch_size": 3},
        "tag": {"tagger": "test-caps", "batch_size": 2},
        "align": {"aligner": "test-diagonal"},
        "backtranslate": {
            "translator": "test-echo",
            "batch_size": 2,
            "align": {"aligner": "test-diagonal"},
        },
    }
    return apply_overrides(config, [f"{k}={v!r}" for k, v in extra.items()])


@pytest.fixture(autouse=True)
def fresh_counters():
    CALLS.clear()
    EchoTranslator.crash_at = None
    yield
    EchoTranslator.crash_at = None


def statuses(result):
    return {name: report.status for name, report in result.stages.items()}
