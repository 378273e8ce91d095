"""The stages of the translate-test pipeline, each a function of its settings and inputs.

Translate-test transfer: the sentences of the low-resource language (``data.lang``) are
translated into a high-resource pivot language (``data.pivot``), the entities are tagged
there, the translation is word-aligned to the original sentence and the entities are projected
back over the links. Optionally the tagged translation is translated back with its entities
marked, aligned monolingually, and projected from there (``project.mode = "back"``) or with
both alignments (``"combined"``).

Every stage returns one JSON record per sentence (``evaluate``: one record in all). A record
may carry ``"error"``: a fault in that sentence only (no translation, an empty one, a tagger
crash), recorded so that the run goes on and the report counts it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.align import get_aligner
from xlner.align.base import SentencePair
from xlner.corpora.bitext import read_raw_lines
from xlner.corpora.conll import read_conll
from xlner.corpora.registry import (
    EUROPARL_NER,
    MAFAND_MT,
    MASAKHANER2,
    MASAKHANER2_PARALLEL,
    get_corpus,
)
from xlner.evaluate import LABEL_MAPS, evaluate_spans
from xlner.pipeline.backtranslation import (
    RecoveredSpan,
    combined_links,
    mark_entities,
    monolingual_links,
    recover_entities,
)
from xlner.pipeline.cache import Record
from xlner.project import make_projector
from xlner.tagging.base import SourceTagger, get_tagger
from xlner.text import detokenize, split_words, tokens_of
from xlner.translate.base import Translator, get_translator
from xlner.translate.languages import iso3
from xlner.types import Link, Span, TaggedSentence

Inputs = Mapping[str, list[Record]]
PROJECTION_MODES = ("forward", "back", "combined")


class StageError(RuntimeError):
    """A stage cannot run at all (bad settings, missing model), as opposed to one sentence."""


@dataclass
class Stage:
    """A named step: what it reads, what determines its output, and how to compute it.

    Batched stages compute ``run_batch(inputs, start, end)`` for consecutive sentence ranges,
    so that an interrupted stage resumes at its first unfinished batch.
    """

    name: str
    deps: tuple[str, ...]
    settings: dict[str, Any]
    run: Callable[[Inputs], list[Record]] | None = None
    run_batch: Callable[[Inputs, int, int], list[Record]] | None = None
    batch_size: int = 0
    size: Callable[[Inputs], int] = field(default=lambda inputs: 0)

    @property
    def batched(self) -> bool:
        return self.run_batch is not None


# ---------------------------------------------------------------------------- helpers


def spans_json(spans: Sequence[Span]) -> list[list[Any]]:
    return [[s.start, s.end, s.label] for s in spans]


def spans_from(rows: Sequence[Sequence[Any]]) -> list[Span]:
    return [Span(int(row[0]), int(row[1]), str(row[2])) for row in rows]


def links_json(links: Sequence[Link]) -> list[list[Any]]:
    return [[link.src, link.tgt, link.score] for link in links]


def links_from(rows: Sequence[Sequence[Any]]) -> list[Link]:
    return [Link(int(row[0]), int(row[1]), row[2] if len(row) > 2 else None) for row in rows]


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def isolate(fn: Callable[[list[Any]], list[Any]], items: list[Any]) -> list[tuple[Any, str | None]]:
    """``fn(items)`` as (result, None) pairs; when it fails, each item again on its own.

    A fault in one sentence (a crash, a missing output) then costs that sentence only. Only
    ``Exception`` is caught: an interrupt still stops the run (and leaves finished shards).
    """
    try:
        results = fn(items)
        if len(results) != len(items):
            raise RuntimeError(f"{len(results)} results for {len(items)} inputs")
        return [(result, None) for result in results]
    except Exception as error:
        if len(items) == 1:
            return [(None, describe(error))]
    return [isolate(fn, [item])[0] for item in items]


def abort_if_all_failed(stage: str, outcomes: Sequence[tuple[Any, str | None]], start: int) -> None:
    """A first batch in which every sentence failed is a broken setup, not bad sentences."""
    errors = [error for _, error in outcomes]
    if start == 0 and len(errors) > 1 and all(errors) and len(set(errors)) == 1:
        raise StageError(f"{stage}: every sentence of the first batch failed: {errors[0]}")


# ---------------------------------------------------------------------------- data


def load_sentences(data: Mapping[str, Any], data_dir: Path | None) -> list[TaggedSentence]:
    """The annotated sentences named by the ``[data]`` settings."""
    corpus, lang, split = data.get("corpus", ""), data.get("lang", ""), data.get("split", "test")
    if corpus == MASAKHANER2_PARALLEL.name:
        matched = MASAKHANER2_PARALLEL.load(lang, split, data_dir=data_dir)
        sentences = [item.target for item in matched]
    elif corpus == MASAKHANER2.name:
        sentences = MASAKHANER2.load(lang, split, data_dir=data_dir)
    elif corpus == EUROPARL_NER.name:
        sentences = EUROPARL_NER.load(lang, data_dir=data_dir)
    elif corpus == "conll":
        if not data.get("path"):
            raise StageError("data.corpus = 'conll' needs data.path")
        sentences = read_conll(data["path"])
    else:
        raise StageError(
            f"unknown data.corpus {corpus!r}: use masakhaner2-parallel, masakhaner2, "
            "europarl-ner or conll (with data.path)"
        )
    limit = int(data.get("limit") or 0)
    return sentences[:limit] if limit > 0 else sentences


def data_records(sentences: Sequence[TaggedSentence]) -> list[Record]:
    return [
        {"tokens": s.tokens, "spans": spans_json(s.spans), "text": detokenize(s.tokens)[0]}
        for s in sentences
    ]


# ---------------------------------------------------------------------------- translate


def make_translator(section: Mapping[str, Any], data_dir: Path | None) -> Translator:
    """The translator of a ``[translate]``/``[backtranslate]`` section.

    ``section.batch_size`` is the number of sentences per finished shard (the unit of
    resumption); the translator's own batch size, if any, is ``options.batch_size``.
    """
    options = dict(section.get("options") or {})
    if section.get("translator") == "parallel" and "corpus" in options:
        options.setdefault("data_dir", data_dir)
    return get_translator(section["translator"], **options)


def translate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section, data = config["translate"], config["data"]
    translator = make_translator(section, data_dir)
    src, tgt = data["lang"], data["pivot"]
    settings = {
        "translator": translator.signature(),
        "direction": [iso3(src), iso3(tgt)],
    }

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Record]:
        texts = [record["text"] for record in inputs["data"][start:end]]
        outcomes = isolate(lambda batch: translator.translate(batch, src, tgt), texts)
        abort_if_all_failed("translate", outcomes, start)
        return [
            _translation(text, out, error)
            for text, (out, error) in zip(texts, outcomes, strict=True)
        ]

    return Stage(
        "translate",
        ("data",),
        settings,
        run_batch=run_batch,
        batch_size=int(section.get("batch_size", 32)),
        size=lambda inputs: len(inputs["data"]),
    )


def _translation(source: str, text: str | None, error: str | None) -> Record:
    text = " ".join((text or "").split())
    if error is None and source.strip() and not text:
        error = "empty translation"
    return {"text": text, "error": error}


# ---------------------------------------------------------------------------- tag


def make_tagger(section: Mapping[str, Any], data_dir: Path | None) -> SourceTagger:
    options = dict(section.get("options") or {})
    if section["tagger"] == "gold" and "corpus" in options:
        corpus = get_corpus(options.pop("corpus"))
        keys = {key: options.pop(key) for key in ("lang", "split") if key in options}
        options["sentences"] = corpus.load(**keys, data_dir=data_dir)  # type: ignore[attr-defined]
    return get_tagger(section["tagger"], **options)


def tag_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["tag"]
    tagger = make_tagger(section, data_dir)
    settings = {"tagger": tagger.signature(), "words": "xlner.text.split_words"}

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Record]:
        sentences = [tokens_of(split_words(r["text"])) for r in inputs["translate"][start:end]]
        outcomes = isolate(tagger.tag, sentences)
        abort_if_all_failed("tag", outcomes, start)
        return [
            {"tokens": tokens, "spans": spans_json(spans or []), "error": error}
            for tokens, (spans, error) in zip(sentences, outcomes, strict=True)
        ]

    return Stage(
        "tag",
        ("translate",),
        settings,
        run_batch=run_batch,
        batch_size=int(section.get("batch_size", 64)),
        size=lambda inputs: len(inputs["translate"]),
    )


# ---------------------------------------------------------------------------- align


def load_extra_bitext(
    specs: Sequence[Mapping[str, Any]], pivot: str, data_dir: Path | None
) -> list[SentencePair]:
    """Extra (pivot, target) sentence pairs for a statistical aligner, split like the rest.

    ``{corpus = "mafand-mt", pair = "en-lug", splits = ["train"]}`` or
    ``{source = "extra.en", target = "extra.lug"}`` (line-parallel files, pivot side first).
    """
    pairs: list[SentencePair] = []
    for spec in specs:
        for source, target in _extra_lines(spec, pivot, data_dir):
            pairs.append((tokens_of(split_words(source)), tokens_of(split_words(target))))
    return pairs


def _extra_lines(
    spec: Mapping[str, Any], pivot: str, data_dir: Path | None
) -> list[tuple[str, str]]:
    if spec.get("corpus") == MAFAND_MT.name:
        pair = spec["pair"]
        first, second = pair.replace("_", "-").split("-")
        if iso3(first) != iso3(pivot):
            first, second = second, first
        lines: list[tuple[str, str]] = []
        for split in spec.get("splits", ["train"]):
            sources = MAFAND_MT.lines(pair, split, first, data_dir=data_dir)
            targets = MAFAND_MT.lines(pair, split, second, data_dir=data_dir)
            lines.extend(zip(sources, targets, strict=True))
        return lines
    if "source" in spec and "target" in spec:
        return list(
            zip(read_raw_lines(spec["source"]), read_raw_lines(spec["target"]), strict=True)
        )
    raise StageError(f"align.extra entry {dict(spec)} needs corpus = 'mafand-mt' or source/target")


def align_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["align"]
    aligner = get_aligner(section.get("aligner", "eflomal"), **dict(section.get("options") or {}))
    extra_specs = list(section.get("extra") or [])
    settings = {"aligner": aligner.signature(), "extra": extra_specs}

    def run(inputs: Inputs) -> list[Record]:
        extra = load_extra_bitext(extra_specs, config["data"]["pivot"], data_dir)
        pairs = [
            (tag["tokens"], data["tokens"])
            for tag, data in zip(inputs["tag"], inputs["data"], strict=True)
        ]
        links = aligner.align(pairs, extra_bitext=extra)
        return [{"links": links_json(sentence)} for sentence in links]

    return Stage("align", ("data", "tag"), settings, run=run, size=lambda i: len(i["data"]))


# ---------------------------------------------------------------------------- back-translate


def backtranslate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section, data = config["backtranslate"], config["data"]
    translator = make_translator(section, data_dir)
    src, tgt = data["pivot"], data["lang"]
    min_similarity = float(section.get("min_similarity", 0.5))
    settings = {
        "translator": translator.signature(),
        "direction": [iso3(src), iso3(tgt)],
        "min_similarity": min_similarity,
    }

    def translate(texts: list[str]) -> list[str]:
        return translator.translate(texts, src, tgt)

    def run_batch(inputs: Inputs, start: int, end: int) -> list[Record]:
        tagged = inputs["tag"][start:end]
        entities = _entity_translations(tagged, translate)
        todo = [i for i, record in enumerate(tagged) if record["spans"]]
        marked = [mark_entities(tagged[i]["tokens"], spans_from(tagged[i]["spans"])) for i in todo]
        outcomes = dict(zip(todo, isolate(translate, marked), strict=True))
        records = []
        for i, record in enumerate(tagged):
            text, error = outcomes.get(i, ("", None))
            records.append(_recovered(record, text or "", error, entities, min_similarity))
        return records

    return Stage(
        "backtranslate",
        ("tag",),
        settings,
        run_batch=run_batch,
        batch_size=int(section.get("batch_size", 32)),
        size=lambda inputs: len(inputs["tag"]),
    )


def _entity_translations(
    tagged: Sequence[Record], translate: Callable[[list[str]], list[str]]
) -> dict[str, str]:
    """Each distinct entity text of the batch, translated on its own (failures: untranslated)."""
    texts = sorted(
        {
            detokenize(record["tokens"][span.start : span.end])[0]
            for record in tagged
            for span in spans_from(record["spans"])
        }
    )
    outcomes = isolate(translate, texts)
    return {text: out or "" for text, (out, _) in zip(texts, outcomes, strict=True)}


def _recovered(
    record: Record,
    text: str,
    error: str | None,
    translations: Mapping[str, str],
    min_similarity: float,
) -> Record:
    spans = spans_from(record["spans"])
    if error is not None or not spans:
        return {
            "text": text,
            "tokens": [],
            "spans": [],
            "lost": list(range(len(spans))),
            "error": error,
        }
    strings = []
    for span in spans:
        original = detokenize(record["tokens"][span.start : span.end])[0]
        strings.append([s for s in (translations.get(original, ""), original) if s])
    recovery = recover_entities(
        text, strings, [s.label for s in spans], min_similarity=min_similarity
    )
    return {
        "text": text,
        "tokens": recovery.tokens,
        "spans": [[*spans_json([r.span])[0], r.entity, r.similarity] for r in recovery.spans],
        "lost": recovery.lost,
        "error": None if recovery.tokens else "empty back-translation",
    }


def recovered_from(rows: Sequence[Sequence[Any]]) -> list[RecoveredSpan]:
    return [
        RecoveredSpan(Span(int(r[0]), int(r[1]), str(r[2])), int(r[3]), float(r[4])) for r in rows
    ]


def align_back_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = dict(config["backtranslate"].get("align") or {})
    aligner = get_aligner(section.get("aligner", "eflomal"), **dict(section.get("options") or {}))
    similar = section.get("similar_words", 0.8)
    settings = {"aligner": aligner.signature(), "similar_words": similar}

    def run(inputs: Inputs) -> list[Record]:
        pairs = [
            (back["tokens"], data["tokens"])
            for back, data in zip(inputs["backtranslate"], inputs["data"], strict=True)
        ]
        # Identity pairs teach the statistical aligner that a word aligns to itself.
        identity = [(t, t) for _, t in pairs if t] + [(b, b) for b, _ in pairs if b]
        links = aligner.align(pairs, extra_bitext=identity)
        if similar is not False:
            links = monolingual_links(links, pairs, min_similarity=float(similar))
        return [{"links": links_json(sentence)} for sentence in links]

    return Stage(
        "align_back", ("data", "backtranslate"), settings, run=run, size=lambda i: len(i["data"])
    )


# ---------------------------------------------------------------------------- project


def project_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section = config["project"]
    mode = section.get("mode", "forward")
    if mode not in PROJECTION_MODES:
        raise StageError(f"project.mode must be one of {', '.join(PROJECTION_MODES)}, not {mode!r}")
    if mode != "forward" and not config["backtranslate"].get("enabled"):
        raise StageError(f"project.mode = {mode!r} needs backtranslate.enabled = true")
    projector = make_projector(
        section.get("method", "heuristic"), **dict(section.get("options") or {})
    )
    deps = ("data", "tag", "align") + (("backtranslate", "align_back") if mode != "forward" else ())

    def run(inputs: Inputs) -> list[Record]:
        return [_project_one(projector, mode, inputs, i) for i in range(len(inputs["data"]))]

    settings = {"projector": projector.signature(), "mode": mode}
    return Stage("project", deps, settings, run=run, size=lambda i: len(i["data"]))


def _project_one(projector: Any, mode: str, inputs: Inputs, index: int) -> Record:
    target = inputs["data"][index]["tokens"]
    tagged = inputs["tag"][index]
    spans = spans_from(tagged["spans"])
    links = links_from(inputs["align"][index]["links"])
    if mode == "forward":
        projected = projector.project(tagged["tokens"], spans, target, links)
    else:
        back = inputs["backtranslate"][index]
        recovered = recovered_from(back["spans"])
        mono = links_from(inputs["align_back"][index]["links"])
        if mode == "back":
            projected = projector.project(back["tokens"], [r.span for r in recovered], target, mono)
        else:
            merged = combined_links(spans, links, recovered, mono)
            projected = projector.project(tagged["tokens"], spans, target, merged)
    return {"spans": [[p.span.start, p.span.end, p.span.label, p.score] for p in projected]}


# ---------------------------------------------------------------------------- evaluate


def evaluate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    label_map = config["evaluate"].get("label_map", "none")
    if label_map not in LABEL_MAPS:
        raise StageError(f"evaluate.label_map must be one of {', '.join(LABEL_MAPS)}")

    def run(inputs: Inputs) -> list[Record]:
        gold = [spans_from(r["spans"]) for r in inputs["data"]]
        predicted = [spans_from(r["spans"]) for r in inputs["project"]]
        lengths = [len(r["tokens"]) for r in inputs["data"]]
        scores = evaluate_spans(gold, predicted, lengths, LABEL_MAPS[label_map])
        return [{"label_map": label_map, "scores": scores.as_dict()}]

    return Stage(
        "evaluate",
        ("data", "project"),
        {"label_map": label_map},
        run=run,
        size=lambda i: len(i["data"]),
    )


STAGE_BUILDERS: dict[str, Callable[[Mapping[str, Any], Path | None], Stage]] = {
    "translate": translate_stage,
    "tag": tag_stage,
    "align": align_stage,
    "backtranslate": backtranslate_stage,
    "align_back": align_back_stage,
    "project": project_stage,
    "evaluate": evaluate_stage,
}


def stage_names(config: Mapping[str, Any]) -> list[str]:
    """The stages a config runs, in order (``data`` comes first and is not listed here)."""
    names = ["translate", "tag", "align"]
    if config["backtranslate"].get("enabled"):
        names += ["backtranslate", "align_back"]
    return [*names, "project", "evaluate"]
