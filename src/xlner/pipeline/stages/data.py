"""The ``data`` stage: the annotated sentences of ``[data]``; and extra bitext for aligners.

Every NER corpus of the corpora catalogue can feed a run: the stage passes the corpus the
``[data]`` settings it declares as its parameters (``lang``, ``split``, ``path``...). The
corpus is read on every run (it is cheap) and the stage is keyed by what was read, so an
edited corpus file recomputes everything after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.align.base import SentencePair
from xlner.corpora import Corpus, get_corpus
from xlner.corpora.bitext import read_raw_lines
from xlner.pipeline.stages.base import Stage, StageError
from xlner.text import split_words, tokens_of
from xlner.types import TaggedSentence


def open_corpus(name: str) -> Corpus:
    """The corpus called ``name`` in the corpora catalogue; a StageError if unknown."""
    if not name:
        raise StageError("the config needs data.corpus (xlner data list shows the corpora)")
    try:
        return get_corpus(name)
    except ValueError as error:
        raise StageError(f"data.corpus: {error}") from None


def load_sentences(data: Mapping[str, Any], data_dir: Path | None) -> list[TaggedSentence]:
    """The annotated sentences named by the ``[data]`` settings, ``data.limit`` of them."""
    params, limit = corpus_parameters(data), data_limit(data)
    try:
        sentences = open_corpus(data["corpus"]).load(data_dir=data_dir, **params)
    except ValueError as error:
        raise StageError(f"data: {error}") from None
    return sentences[:limit] if limit > 0 else sentences


def corpus_parameters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[data]`` settings the corpus declares as parameters, checked, defaults filled."""
    corpus = open_corpus(data["corpus"])
    if not corpus.tagged:
        raise StageError(f"data.corpus = {corpus.name!r} is not an annotated NER corpus")
    try:
        given = {k: v for k, v in corpus.parameters_in(data).items() if v not in (None, "")}
        return corpus.arguments(**given)
    except ValueError as error:
        raise StageError(f"data: {error}") from None


def data_limit(data: Mapping[str, Any]) -> int:
    limit = data["limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise StageError(f"data.limit must be a whole number >= 0 (0: all), not {limit!r}")
    return limit


def data_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    data = config["data"]
    settings = {"corpus": data["corpus"], **corpus_parameters(data), "limit": data_limit(data)}
    return Stage(
        "data",
        (),
        settings,
        TaggedSentence,
        run=lambda inputs: load_sentences(data, data_dir),
        cached=False,
    )


# ---------------------------------------------------------------------------- extra bitext


def extra_bitext(
    specs: Sequence[Mapping[str, Any]], pivot: str, data_dir: Path | None
) -> list[SentencePair]:
    """Extra (pivot, target) sentence pairs for a statistical aligner, split like the rest.

    ``{corpus = "mafand-mt", pair = "en-lug", splits = ["train"]}`` (a corpus of line-parallel
    text) or ``{source = "extra.en", target = "extra.lug"}`` (two files, pivot side first).
    """
    pairs: list[SentencePair] = []
    for spec in specs:
        try:
            lines = _extra_lines(spec, pivot, data_dir)
        except ValueError as error:
            raise StageError(f"align.extra entry {dict(spec)}: {error}") from None
        pairs.extend((tokens_of(split_words(s)), tokens_of(split_words(t))) for s, t in lines)
    return pairs


def _extra_lines(
    spec: Mapping[str, Any], pivot: str, data_dir: Path | None
) -> list[tuple[str, str]]:
    if "corpus" in spec:
        corpus = open_corpus(spec["corpus"])
        if not hasattr(corpus, "line_pairs") or "pair" not in spec:
            raise ValueError("needs a corpus of line-parallel text and its pair, e.g. en-lug")
        splits = spec.get("splits", ["train"])
        return corpus.line_pairs(spec["pair"], splits, source=pivot, data_dir=data_dir)
    if "source" in spec and "target" in spec:
        return list(
            zip(read_raw_lines(spec["source"]), read_raw_lines(spec["target"]), strict=True)
        )
    raise ValueError("needs corpus = 'mafand-mt' (with pair) or source/target files")
