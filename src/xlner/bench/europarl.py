"""The isolated projection benchmark on Europarl-NER.

The gold English entities are projected onto the German, Spanish and Italian sentences, and
the projection is scored against those languages' gold annotation. No translation and no
source tagger are involved, so the table measures alignment + projection alone.

Each sentence pair is aligned once by eflomal (every symmetrisation is read off the same run)
and, for the ``embedding`` preset, by the SimAlign aligner on e5-small. A projector is run
once per requested symmetrisation, unless it reads named link sets (``coverage:simalign``,
``alignment:union``; see :class:`~xlner.project.links.LinkSets`): such a projector is
run once, with every link set at hand, and its row names the link sets it read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.align.eflomal import EflomalAligner
from xlner.align.symmetrize import METHODS
from xlner.bench.report import format_table
from xlner.config import read_builtin
from xlner.corpora.europarl_ner import EUROPARL_NER
from xlner.evaluate import Scores, evaluate_spans
from xlner.evaluate.errors import count_errors
from xlner.project import make_projector
from xlner.project.base import Projector
from xlner.project.links import LinkSets
from xlner.signature import make_signature
from xlner.types import Link, TaggedSentence

LANGUAGES = ("de", "es", "it")
SOURCE_LANGUAGE = EUROPARL_NER.pivot  # the gold entities projected onto the others


@dataclass
class Row:
    """One configuration's scores on every language."""

    aligner: str
    projector: str
    signature: str
    scores: dict[str, Scores] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)
    project_seconds: float = 0.0
    sentence_seconds: list[float] = field(default_factory=list)

    @property
    def average_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores)


# The benchmark's settings, as data: languages, the eflomal options, the embedding aligner and
# the projector rows of each preset (configs/benchmarks/europarl.toml).
SETTINGS = read_builtin("benchmarks/europarl")
SOURCE_LANGUAGE: str = SETTINGS["source_language"]
LANGUAGES: tuple[str, ...] = tuple(SETTINGS["languages"])
PRESETS: tuple[str, ...] = tuple(SETTINGS["presets"])
# The link set of the embedding aligner (run when a row reads it).
SIMALIGN = "simalign"


@dataclass(frozen=True)
class Setup:
    """A projector and the link set it gets as its primary links.

    ``links=None``: once per eflomal symmetrisation, with that symmetrisation's links (unless
    the projector reads named link sets: then once, on the intersection). Otherwise once, on
    the named set (``"simalign"``, ``"union"`` ...).
    """

    projector: Projector
    links: str | None = None

    def link_sets(self) -> set[str]:
        """The named link sets this setup reads."""
        return self.projector.link_sets_used() | ({self.links} if self.links else set())


def preset_projectors(preset: str = "heuristic") -> dict[str, Setup]:
    """The projector rows of ``preset`` (``heuristic``, ``match``, ``all``, ``embedding``).

    ``heuristic``: the baseline; ``match``: the matching configurations; ``all``: both;
    ``embedding``: the heuristic and matching on the links of the embedding aligner, alone and
    with eflomal's (it runs the e5-small encoder on every sentence: about 40 s more on 2 CPU
    cores).
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    groups = SETTINGS["presets"][preset]
    return {name: setup for group in groups for name, setup in projector_group(group).items()}


def projector_group(group: str, **shared: Any) -> dict[str, Setup]:
    """The rows of ``[projectors.<group>]``, built; ``shared`` options go to every projector."""
    setups = {}
    for name, row in SETTINGS["projectors"][group].items():
        options = dict(row)
        links = options.pop("links", None)
        setups[name] = Setup(make_projector(options.pop("method"), **options, **shared), links)
    return setups


def tagger_projectors(probabilities_dir: Path, data_dir: Path) -> dict[str, Setup]:
    """Matching with the tagger score, from probabilities saved by the model-transfer run."""
    from xlner.tagging.precomputed import PrecomputedTagger

    tagger = PrecomputedTagger()
    corpus = EUROPARL_NER.load_languages(LANGUAGES, data_dir=data_dir)
    for lang, sentences in corpus.items():
        tagger.add(probabilities_dir / f"europarl-{lang}.npz", sentences)
    return projector_group("tagger", tagger=tagger)


def run_europarl(
    data_dir: Path,
    languages: Sequence[str] = LANGUAGES,
    projectors: Mapping[str, Projector | Setup] | None = None,
    symmetrizations: Sequence[str] = METHODS,
    aligner_options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
    embedding_aligner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Align en→X once per language, then run every projector (see :class:`Setup`).

    ``aligner_options`` update the config's ``[aligner]`` (eflomal's options);
    ``embedding_aligner`` replaces its ``[embedding_aligner]`` (the options of the SimAlign
    aligner, run only when a projector reads the ``simalign`` link set).
    """
    setups = {
        name: p if isinstance(p, Setup) else Setup(p)
        for name, p in (projectors or preset_projectors()).items()
    }
    started = time.perf_counter()
    corpus = EUROPARL_NER.load_languages((SOURCE_LANGUAGE, *languages), data_dir=data_dir)
    source = corpus[SOURCE_LANGUAGE]
    aligner = EflomalAligner(**(SETTINGS["aligner"] | dict(aligner_options or {})))
    embedder = None
    if any(SIMALIGN in setup.link_sets() for setup in setups.values()):
        from xlner.align.simalign import SimAlignAligner

        embedder = SimAlignAligner(**dict(embedding_aligner or SETTINGS["embedding_aligner"]))
    rows: dict[tuple[str, str], Row] = {}
    align_seconds: dict[str, float] = {}
    for lang in languages:
        progress(f"aligning en-{lang} with eflomal ({len(source)} sentence pairs)")
        target = corpus[lang]
        t0 = time.perf_counter()
        pairs = [(s.tokens, t.tokens) for s, t in zip(source, target, strict=True)]
        link_sets: dict[str, list[list[Link]]] = dict(aligner.align_all(pairs))
        align_seconds[lang] = time.perf_counter() - t0
        if embedder is not None:
            progress(f"aligning en-{lang} with {embedder.model} ({len(source)} sentence pairs)")
            t0 = time.perf_counter()
            link_sets[SIMALIGN] = embedder.align(pairs)
            align_seconds[f"{lang}/{SIMALIGN}"] = time.perf_counter() - t0
        by_pair = [{k: v[i] for k, v in link_sets.items()} for i in range(len(pairs))]
        pair_links: dict[str, list[LinkSets]] = {}
        for name, setup in setups.items():
            for primary in _primaries(setup, symmetrizations):
                row = rows.setdefault(
                    (primary, name), _new_row(aligner, embedder, primary, name, setup)
                )
                if primary not in pair_links:
                    pair_links[primary] = [LinkSets.of(sets, primary) for sets in by_pair]
                _score(row, lang, source, target, pair_links[primary], setup.projector)
    return {
        "benchmark": "europarl-projection",
        "languages": list(languages),
        "rows": [_row_json(row) for row in rows.values()],
        "align_seconds": align_seconds,
        "wall_seconds": time.perf_counter() - started,
    }


def _primaries(setup: Setup, symmetrizations: Sequence[str]) -> list[str]:
    """The primary link sets a setup runs on: each symmetrisation, or just one."""
    if setup.links is not None:
        return [setup.links]
    if setup.link_sets():
        return ["intersection"]
    return list(symmetrizations)


def _new_row(aligner: EflomalAligner, embedder: Any, primary: str, name: str, setup: Setup) -> Row:
    sets = setup.link_sets() or {primary}
    aligner_sig: dict[str, Any] = {}
    if sets - {SIMALIGN}:
        aligner_sig = {f"align.{k}": v for k, v in aligner.signature().items()}
        aligner_sig["align.symmetrization"] = primary
        if setup.link_sets():
            aligner_sig["align.link_sets"] = ",".join(sorted(sets - {SIMALIGN}))
    if SIMALIGN in sets:
        aligner_sig |= {f"align.{SIMALIGN}.{k}": v for k, v in embedder.signature().items()}
    project_sig = {f"project.{k}": v for k, v in setup.projector.signature().items()}
    signature = make_signature({"corpus": "europarl-ner"}, aligner_sig, project_sig)
    return Row(aligner=_aligner_label(sets), projector=name, signature=signature)


def _aligner_label(sets: set[str]) -> str:
    """``eflomal/intersection``, ``simalign``, ``eflomal/intersection,union+simalign`` ..."""
    eflomal = sorted(sets - {SIMALIGN})
    parts = [f"eflomal/{','.join(eflomal)}"] if eflomal else []
    return "+".join(parts + ([SIMALIGN] if SIMALIGN in sets else []))


def _score(
    row: Row,
    lang: str,
    source: list[TaggedSentence],
    target: list[TaggedSentence],
    links: Sequence[Sequence[Link]],
    projector: Projector,
) -> None:
    predicted = []
    for src, tgt, pair_links in zip(source, target, links, strict=True):
        t0 = time.perf_counter()
        spans = projector.project(src.tokens, src.spans, tgt.tokens, pair_links)
        row.sentence_seconds.append(time.perf_counter() - t0)
        predicted.append([p.span for p in spans])
    row.project_seconds += sum(row.sentence_seconds[-len(target) :])
    gold = [t.spans for t in target]
    row.scores[lang] = evaluate_spans(gold, predicted, [len(t.tokens) for t in target])
    row.errors[lang] = count_errors(gold, predicted)


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "aligner": row.aligner,
        "projector": row.projector,
        "signature": row.signature,
        "f1": {lang: s.f1 for lang, s in row.scores.items()},
        "average_f1": row.average_f1,
        "project_seconds": row.project_seconds,
        "sentence_ms_p50": 1000 * _quantile(row.sentence_seconds, 0.50),
        "sentence_ms_p99": 1000 * _quantile(row.sentence_seconds, 0.99),
        "errors": row.errors,
        "scores": {lang: s.as_dict() for lang, s in row.scores.items()},
    }


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def format_results(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per configuration, F1 per language and the average."""
    languages = result["languages"]
    header = ["aligner", "projector", *languages, "avg", "proj s", "p50 ms", "p99 ms"]
    rows = [
        [row["aligner"], row["projector"]]
        + [f"{row['f1'][lang]:.1f}" for lang in languages]
        + [f"{row['average_f1']:.1f}", f"{row['project_seconds']:.2f}"]
        + [f"{row['sentence_ms_p50']:.2f}", f"{row['sentence_ms_p99']:.2f}"]
        for row in sorted(result["rows"], key=lambda r: -r["average_f1"])
    ]
    align = ", ".join(f"{lang} {s:.1f}s" for lang, s in result["align_seconds"].items())
    footer = f"alignment: {align}; wall time {result['wall_seconds']:.1f}s"
    return f"{format_table(header, rows)}\n{footer}"


def format_errors(result: Mapping[str, Any], top: int = 5) -> str:
    """Error types summed over the languages, for the ``top`` rows by average F1."""
    from xlner.evaluate.errors import ERROR_TYPES

    rows = sorted(result["rows"], key=lambda r: -r["average_f1"])[:top]
    names = [f"{row['aligner']} {row['projector']}" for row in rows]
    width = max([28, *map(len, names)])
    header = "errors (sum over languages)".ljust(width)
    lines = [f"{header} " + " ".join(f"{k:>8}" for k in ERROR_TYPES)]
    for name, row in zip(names, rows, strict=True):
        totals = {k: sum(row["errors"][lang][k] for lang in row["errors"]) for k in ERROR_TYPES}
        lines.append(f"{name:{width}} " + " ".join(f"{totals[k]:8d}" for k in ERROR_TYPES))
    return "\n".join(lines)
