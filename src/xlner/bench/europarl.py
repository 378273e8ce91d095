"""The isolated projection benchmark on Europarl-NER.

The gold English entities are projected onto the German, Spanish and Italian sentences, and
the projection is scored against those languages' gold annotation. No translation and no
source tagger are involved, so the table measures alignment + projection alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlner.align.eflomal import EflomalAligner
from xlner.align.symmetrize import METHODS
from xlner.corpora.conll import read_conll
from xlner.evaluate import Scores, evaluate_spans
from xlner.evaluate.errors import count_errors
from xlner.io import atomic_write
from xlner.project import make_projector
from xlner.project.base import Projector
from xlner.project.heuristic import HeuristicProjector
from xlner.signature import make_signature
from xlner.types import Link, TaggedSentence

LANGUAGES = ("de", "es", "it")
SOURCE_LANGUAGE = "en"


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


def europarl_path(data_dir: Path, language: str) -> Path:
    return data_dir / "europarl-ner" / f"{language}-europarl.test.conll02"


def load_europarl(data_dir: Path, languages: Sequence[str]) -> dict[str, list[TaggedSentence]]:
    corpus = {lang: read_conll(europarl_path(data_dir, lang)) for lang in languages}
    counts = {lang: len(sentences) for lang, sentences in corpus.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f"Europarl-NER files are not sentence-parallel: {counts}")
    return corpus


# Projection settings compared in BENCHMARKS.md, by preset name.
MATCH_CONFIGS: dict[str, dict[str, Any]] = {
    "match/alignment/greedy": {"score": "alignment", "solver": "greedy"},
    "match/alignment/ilp": {"score": "alignment", "solver": "ilp"},
    "match/alignment/dp": {"score": "alignment", "solver": "dp", "threshold": 0.5},
    "match/string/ilp": {"score": "string", "solver": "ilp", "threshold": 0.3},
    "match/alignment+string/greedy": {"score": "alignment=1,string=1", "solver": "greedy"},
    "match/alignment+string/ilp": {"score": "alignment=1,string=1", "solver": "ilp"},
}
PRESETS = ("heuristic", "match", "all")


def preset_projectors(preset: str = "heuristic") -> dict[str, Projector]:
    """``heuristic``: the baseline; ``match``: the matching configurations; ``all``: both."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    projectors: dict[str, Projector] = {}
    if preset in ("heuristic", "all"):
        projectors["heuristic"] = HeuristicProjector()
    if preset in ("match", "all"):
        projectors.update(
            {name: make_projector("match", **options) for name, options in MATCH_CONFIGS.items()}
        )
    return projectors


def run_europarl(
    data_dir: Path,
    languages: Sequence[str] = LANGUAGES,
    projectors: Mapping[str, Projector] | None = None,
    symmetrizations: Sequence[str] = METHODS,
    aligner_options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Align en→X with eflomal once per language, project with every symmetrisation."""
    projectors = dict(projectors or preset_projectors())
    started = time.perf_counter()
    corpus = load_europarl(data_dir, (SOURCE_LANGUAGE, *languages))
    source = corpus[SOURCE_LANGUAGE]
    # A quarter of eflomal's automatic iterations: as good on these 799 pairs, 3x faster.
    aligner = EflomalAligner(**({"rel_iterations": 0.25} | dict(aligner_options or {})))
    rows: dict[tuple[str, str], Row] = {}
    align_seconds: dict[str, float] = {}
    for lang in languages:
        progress(f"aligning en-{lang} with eflomal ({len(source)} sentence pairs)")
        target = corpus[lang]
        t0 = time.perf_counter()
        pairs = [(s.tokens, t.tokens) for s, t in zip(source, target, strict=True)]
        links_by_method = aligner.align_all(pairs)
        align_seconds[lang] = time.perf_counter() - t0
        for sym in symmetrizations:
            for name, projector in projectors.items():
                row = rows.setdefault(
                    (sym, name), _new_row(aligner, sym, name, projector, data_dir)
                )
                _score(row, lang, source, target, links_by_method[sym], projector)
    return {
        "benchmark": "europarl-projection",
        "languages": list(languages),
        "rows": [_row_json(row) for row in rows.values()],
        "align_seconds": align_seconds,
        "wall_seconds": time.perf_counter() - started,
    }


def _new_row(
    aligner: EflomalAligner, sym: str, name: str, projector: Projector, data_dir: Path
) -> Row:
    aligner_sig = {f"align.{k}": v for k, v in aligner.signature().items()}
    aligner_sig["align.symmetrization"] = sym
    project_sig = {f"project.{k}": v for k, v in projector.signature().items()}
    signature = make_signature({"corpus": "europarl-ner"}, aligner_sig, project_sig)
    return Row(aligner=f"eflomal/{sym}", projector=name, signature=signature)


def _score(
    row: Row,
    lang: str,
    source: list[TaggedSentence],
    target: list[TaggedSentence],
    links: list[list[Link]],
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


def format_table(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per configuration, F1 per language and the average."""
    languages = result["languages"]
    header = ["aligner", "projector", *languages, "avg", "proj s", "p50 ms", "p99 ms"]
    lines = [header]
    for row in sorted(result["rows"], key=lambda r: -r["average_f1"]):
        cells = [f"{row['f1'][lang]:.1f}" for lang in languages]
        lines.append(
            [
                row["aligner"],
                row["projector"],
                *cells,
                f"{row['average_f1']:.1f}",
                f"{row['project_seconds']:.2f}",
                f"{row['sentence_ms_p50']:.2f}",
                f"{row['sentence_ms_p99']:.2f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    align = ", ".join(f"{lang} {s:.1f}s" for lang, s in result["align_seconds"].items())
    text.append(f"alignment: {align}; wall time {result['wall_seconds']:.1f}s")
    return "\n".join(text)


def write_json(result: Mapping[str, Any], path: Path) -> None:
    with atomic_write(path) as out:
        json.dump(result, out, indent=2, ensure_ascii=False)
        out.write("\n")


def format_errors(result: Mapping[str, Any], top: int = 5) -> str:
    """Error types summed over the languages, for the ``top`` rows by average F1."""
    from xlner.evaluate.errors import ERROR_TYPES

    rows = sorted(result["rows"], key=lambda r: -r["average_f1"])[:top]
    lines = ["errors (sum over languages): " + " ".join(f"{k:>8}" for k in ERROR_TYPES)]
    for row in rows:
        totals = {k: sum(row["errors"][lang][k] for lang in row["errors"]) for k in ERROR_TYPES}
        name = f"{row['aligner']} {row['projector']}"
        lines.append(f"{name[:28]:28} " + " ".join(f"{totals[k]:8d}" for k in ERROR_TYPES))
    return "\n".join(lines)
