"""The ``data`` stage: the annotated sentences of ``[data]``; and extra bitext for aligners.

Every NER corpus of the corpora catalogue can feed a run: the stage passes the corpus the
``[data]`` settings it declares as its parameters (``lang``, ``split``, ``path``...). The
corpus is read on every run (it is cheap) and the stage is keyed by what was read, so an
edited corpus file recomputes everything after it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.align.base import SentencePair
from xlner.corpora import registry as corpora
from xlner.corpora.bitext import read_raw_lines
from xlner.corpora.conll import read_conll
from xlner.pipeline.stages.base import Stage, StageError
from xlner.text import split_words, tokens_of
from xlner.translate.languages import iso3
from xlner.types import TaggedSentence


def open_corpus(name: str) -> Any:
    """The corpus called ``name``: ``.parameters`` and ``.load(data_dir=..., **params)``.

    The pipeline's one call into the corpora catalogue; with the catalogue in place this is
    ``return get_corpus(name)`` (``from xlner.corpora import get_corpus``).
    """
    return _CorpusShim(name)


class _CorpusShim:
    """Today's corpus objects in the shape of the catalogue's (goes with the catalogue)."""

    def __init__(self, name: str) -> None:
        if name == "conll":
            self._corpus: Any = None
            self.parameters: tuple[str, ...] = ("path",)
            return
        self._corpus = corpora.get_corpus(name)
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        self.parameters = tuple(
            p.name
            for p in inspect.signature(self._corpus.load).parameters.values()
            if p.kind == positional
        )

    def load(self, *, data_dir: Path | None = None, **params: Any) -> list[TaggedSentence]:
        if self._corpus is None:
            return read_conll(params["path"])
        loaded = self._corpus.load(data_dir=data_dir, **params)
        return [getattr(item, "target", item) for item in loaded]  # the NER side of a pair

    def __getattr__(self, name: str) -> Any:
        return getattr(self._corpus, name)


def load_sentences(data: Mapping[str, Any], data_dir: Path | None) -> list[TaggedSentence]:
    """The annotated sentences named by the ``[data]`` settings, ``data.limit`` of them."""
    params, limit = corpus_parameters(data), data_limit(data)
    try:
        sentences = open_corpus(data["corpus"]).load(data_dir=data_dir, **params)
    except ValueError as error:
        raise StageError(f"data: {error}") from None
    if not all(isinstance(sentence, TaggedSentence) for sentence in sentences):
        raise StageError(f"data.corpus = {data['corpus']!r} is not an annotated NER corpus")
    return sentences[:limit] if limit > 0 else sentences


def corpus_parameters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[data]`` settings the corpus declares as its parameters; each one is needed."""
    name = data["corpus"]
    if not name:
        raise StageError("the config needs data.corpus (xlner data list shows the corpora)")
    try:
        declared = open_corpus(name).parameters
    except ValueError as error:
        raise StageError(f"data.corpus: {error}") from None
    missing = [key for key in declared if data.get(key) in (None, "")]
    if missing:
        raise StageError(f"data.corpus = {name!r} needs data.{missing[0]}")
    return {key: data[key] for key in declared}


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
        if not hasattr(corpus, "lines") or "pair" not in spec:
            raise ValueError("needs a corpus of line-parallel text and its pair, e.g. en-lug")
        pair = spec["pair"]
        first, second = pair.replace("_", "-").split("-")
        if iso3(first) != iso3(pivot):
            first, second = second, first
        lines: list[tuple[str, str]] = []
        for split in spec.get("splits", ["train"]):
            sources = corpus.lines(pair, split, first, data_dir=data_dir)
            targets = corpus.lines(pair, split, second, data_dir=data_dir)
            lines.extend(zip(sources, targets, strict=True))
        return lines
    if "source" in spec and "target" in spec:
        return list(
            zip(read_raw_lines(spec["source"]), read_raw_lines(spec["target"]), strict=True)
        )
    raise ValueError("needs corpus = 'mafand-mt' (with pair) or source/target files")
