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
from xlner.io import atomic_write
from xlner.pipeline.transfer import project_corpus
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
    project_seconds: float = 0.0

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


def default_projectors() -> dict[str, Projector]:
    return {"heuristic": HeuristicProjector()}


def run_europarl(
    data_dir: Path,
    languages: Sequence[str] = LANGUAGES,
    projectors: Mapping[str, Projector] | None = None,
    symmetrizations: Sequence[str] = METHODS,
    aligner_options: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Align en→X with eflomal once per language, project with every symmetrisation."""
    projectors = dict(projectors or default_projectors())
    started = time.perf_counter()
    corpus = load_europarl(data_dir, (SOURCE_LANGUAGE, *languages))
    source = corpus[SOURCE_LANGUAGE]
    aligner = EflomalAligner(**(aligner_options or {}))
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
    t0 = time.perf_counter()
    projected = project_corpus(source, [t.tokens for t in target], links, projector)
    row.project_seconds += time.perf_counter() - t0
    row.scores[lang] = evaluate_spans(
        [t.spans for t in target],
        [[p.span for p in sentence.projected] for sentence in projected],
        [len(t.tokens) for t in target],
    )


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "aligner": row.aligner,
        "projector": row.projector,
        "signature": row.signature,
        "f1": {lang: s.f1 for lang, s in row.scores.items()},
        "average_f1": row.average_f1,
        "project_seconds": row.project_seconds,
        "scores": {lang: s.as_dict() for lang, s in row.scores.items()},
    }


def format_table(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per configuration, F1 per language and the average."""
    languages = result["languages"]
    header = ["aligner", "projector", *languages, "avg", "proj s"]
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
