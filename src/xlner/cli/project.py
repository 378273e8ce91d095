"""``xlner project``: project source entities onto target sentences."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from xlner.align import get_aligner
from xlner.align.symmetrize import GROW_DIAG_FINAL_AND
from xlner.cli.common import SchemeOption, TagScheme, fail, out, say
from xlner.corpora.base import require_sentences
from xlner.corpora.bitext import read_bitext, read_sentences
from xlner.corpora.conll import read_conll
from xlner.evaluate import LABEL_MAPS, evaluate_spans
from xlner.io import check_outputs
from xlner.pipeline.outputs import write_projected_conll, write_projected_jsonl
from xlner.pipeline.transfer import check_parallel, project_corpus
from xlner.project import make_projector
from xlner.signature import make_signature
from xlner.types import TaggedSentence, Tokens


class OutputFormat(StrEnum):
    conll = "conll"
    jsonl = "jsonl"


def project(
    source: Annotated[Path, typer.Option(help="Source sentences with tags (token-per-line).")],
    target: Annotated[
        Path,
        typer.Option(
            help="Target sentences: one tokenised sentence a line, or token-per-line "
            "(with --target-conll; its tags are then used as gold for --evaluate)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write ('-': standard output).")
    ],
    target_conll: Annotated[bool, typer.Option(help="The target file is token-per-line.")] = False,
    scheme: SchemeOption = TagScheme.auto,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.conll,
    aligner: Annotated[str, typer.Option(help="Aligner backend.")] = "eflomal",
    symmetrization: Annotated[str, typer.Option(help="How to combine directions.")] = (
        GROW_DIAG_FINAL_AND
    ),
    extra_source: Annotated[
        Path | None, typer.Option(help="Extra source-side bitext for the aligner.")
    ] = None,
    extra_target: Annotated[
        Path | None, typer.Option(help="Extra target-side bitext, line-parallel.")
    ] = None,
    method: Annotated[str, typer.Option(help="heuristic or match.")] = "heuristic",
    merge_distance: Annotated[int, typer.Option("-d", help="Heuristic: gap to merge.")] = 1,
    length_ratio: Annotated[float, typer.Option(help="Heuristic: run/entity ratio.")] = 0.8,
    max_runs: Annotated[int | None, typer.Option("-k", help="Heuristic: keep k runs.")] = None,
    score: Annotated[
        str, typer.Option(help="Match: a score name or weights, e.g. alignment=1,string=1.")
    ] = "alignment=1,string=1",
    solver: Annotated[str, typer.Option(help="Match: greedy, ilp or dp.")] = "ilp",
    limit: Annotated[
        str | None, typer.Option(help="Match: at_most, exactly, at_least or none.")
    ] = None,
    limit_n: Annotated[int, typer.Option(help="Match: projections per entity.")] = 1,
    threshold: Annotated[float, typer.Option(help="Match: drop pairs scoring below.")] = 0.0,
    evaluate: Annotated[bool, typer.Option(help="Score against the target's tags.")] = False,
    label_map: Annotated[str, typer.Option(help=f"One of {', '.join(LABEL_MAPS)}.")] = "none",
) -> None:
    """Align source and target, project the source entities and write the tagged target."""
    inputs = {"--source": source, "--target": target, "--extra-source": extra_source}
    check_outputs({"--output": output}, {**inputs, "--extra-target": extra_target})
    if label_map not in LABEL_MAPS:
        fail(f"unknown label map {label_map!r}; choose from {', '.join(LABEL_MAPS)}")
    # Settings are checked before any file is read or any alignment is run.
    if method == "heuristic":
        options = {"merge_distance": merge_distance, "length_ratio": length_ratio}
        options["max_runs"] = max_runs
    else:
        options = {"score": score, "solver": solver, "limit": limit, "n": limit_n}
        options["threshold"] = threshold
    try:
        backend = get_aligner(aligner, symmetrization=symmetrization)
        projector = make_projector(method, **options)
    except ValueError as error:
        fail(str(error))
    src = require_sentences(read_conll(source, scheme.value), source)
    gold, tokens = _read_target(target, target_conll, scheme.value)
    require_sentences(tokens, target)
    try:
        check_parallel(src, tokens)
    except ValueError as error:
        fail(f"{source} and {target}: {error}")
    extra = _read_extra(extra_source, extra_target)
    say(f"aligning {len(src)} sentence pairs with {aligner} (+{len(extra)} extra)")
    links = backend.align(
        [(s.tokens, t) for s, t in zip(src, tokens, strict=True)], extra_bitext=extra
    )
    projected = project_corpus(src, tokens, links, projector)
    signature = make_signature(
        {f"align.{k}": v for k, v in backend.signature().items()},
        {f"project.{k}": v for k, v in projector.signature().items()},
    )
    if output_format is OutputFormat.jsonl:
        write_projected_jsonl(output, src, projected, signature)
    else:
        write_projected_conll(output, projected)
    n_entities = sum(len(s.projected) for s in projected)
    say(f"projected {n_entities} entities onto {len(projected)} sentences: wrote {output}")
    if evaluate:
        if gold is None:
            fail("--evaluate needs a token-per-line target with tags (--target-conll)")
        _print_scores(gold, projected, label_map, signature)


def _read_target(
    path: Path, conll: bool, scheme: str
) -> tuple[list[TaggedSentence] | None, list[Tokens]]:
    if conll:
        gold = read_conll(path, scheme)
        return gold, [s.tokens for s in gold]
    return None, read_sentences(path)


def _read_extra(source: Path | None, target: Path | None) -> list[tuple[Tokens, Tokens]]:
    if (source is None) != (target is None):
        fail("--extra-source and --extra-target go together")
    if source is None or target is None:
        return []
    # Extra bitext only feeds the aligner's statistics; empty lines there are harmless.
    return read_bitext(source, target, allow_empty=True)


def _print_scores(gold, projected, label_map: str, signature: str) -> None:
    scores = evaluate_spans(
        [g.spans for g in gold],
        [[p.span for p in s.projected] for s in projected],
        [len(g.tokens) for g in gold],
        LABEL_MAPS[label_map],
    )
    out.print(
        f"F1 = {scores.f1:.1f} (P {scores.precision:.1f}, R {scores.recall:.1f}, "
        f"predicted/gold {scores.predicted_to_gold:.2f})\n{signature}|labels:{label_map}",
        highlight=False,
    )
