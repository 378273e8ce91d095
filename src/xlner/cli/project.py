"""``xlner project``: project source entities onto target sentences.

A thin layer over :func:`xlner.project.corpus.project_bitext`. The options of the projection
methods have no defaults of their own here: each reads its default from the component
(``registry.projectors.defaults``), and an option the chosen method does not declare is
refused rather than ignored. Every setting is checked before any file is read or any
alignment runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.align.base import Aligner
from xlner.cli.common import (
    LabelMapOption,
    SchemeOption,
    TagScheme,
    check_output_paths,
    fail,
    label_map_table,
    one_of,
    out,
    say,
)
from xlner.cli.tagger import build_source_tagger, source_signature, tag_source
from xlner.corpora.base import require_sentences
from xlner.corpora.bitext import read_bitext, read_sentences
from xlner.corpora.conll import read_conll
from xlner.evaluate import evaluate_spans, format_scores
from xlner.pipeline.run import parse_override
from xlner.project.base import Projector
from xlner.project.corpus import (
    ProjectedSentence,
    check_link_sets,
    check_parallel,
    project_bitext,
    signature_fields,
)
from xlner.project.writers import write_projected_conll, write_projected_jsonl
from xlner.registry import ComponentError, registry
from xlner.signature import make_signature
from xlner.types import TaggedSentence, Tokens

DEFAULT_ALIGNER = "eflomal"
DEFAULT_METHOD = "heuristic"
_HEURISTIC = registry.projectors.defaults("heuristic")
_MATCH = registry.projectors.defaults("match")
_SOLVER = registry.solvers.defaults(_MATCH["solver"])
_ALIGNER = registry.aligners.defaults(DEFAULT_ALIGNER)


class OutputFormat(StrEnum):
    conll = "conll"
    jsonl = "jsonl"


def project(
    source: Annotated[
        Path,
        typer.Option(
            help="Source sentences with tags (token-per-line); with --tag, plain text "
            "(one tokenised sentence a line) for the tagger to tag."
        ),
    ],
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
    aligner: Annotated[str, typer.Option(help=one_of(registry.aligners))] = DEFAULT_ALIGNER,
    symmetrization: Annotated[
        str | None,
        typer.Option(
            help="How to combine directions, for an aligner that has this option "
            f"(eflomal's default: {_ALIGNER['symmetrization']})."
        ),
    ] = None,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE: an option the aligner declares, e.g. stem_length=4 or "
            "rel_iterations=0.25 (eflomal), layer=6 or method=itermax (simalign), "
            "'members={simalign={layer=6},eflomal={stem_length=4}}' or primary=intersection "
            "(combined); repeatable. VALUE is read as TOML, else as text."
        ),
    ] = None,
    extra_source: Annotated[
        Path | None, typer.Option(help="Extra source-side bitext for the aligner.")
    ] = None,
    extra_target: Annotated[
        Path | None, typer.Option(help="Extra target-side bitext, line-parallel.")
    ] = None,
    method: Annotated[str, typer.Option(help=one_of(registry.projectors))] = DEFAULT_METHOD,
    merge_distance: Annotated[
        int | None,
        typer.Option(
            "-d", help=f"Heuristic: gap to merge (default {_HEURISTIC['merge_distance']})."
        ),
    ] = None,
    length_ratio: Annotated[
        float | None,
        typer.Option(help=f"Heuristic: run/entity ratio (default {_HEURISTIC['length_ratio']})."),
    ] = None,
    max_runs: Annotated[
        int | None, typer.Option("-k", help="Heuristic: keep the k longest runs (default: all).")
    ] = None,
    links: Annotated[
        str | None,
        typer.Option(
            help="Heuristic: the named link set to read, e.g. intersection of --aligner "
            "combined (default: the aligner's primary links)."
        ),
    ] = None,
    score: Annotated[
        str | None,
        typer.Option(
            help="Match: a score name or weights, e.g. alignment=1,string=1 "
            f"(default {_MATCH['score']})."
        ),
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(
            help=f"Match: one of {', '.join(registry.solvers.available())} "
            f"(default {_MATCH['solver']})."
        ),
    ] = None,
    limit: Annotated[
        str | None,
        typer.Option(
            help="Match: at_most, exactly, at_least or none (default: the solver's, "
            f"{_SOLVER['limit']} for {_MATCH['solver']})."
        ),
    ] = None,
    limit_n: Annotated[
        int | None, typer.Option(help=f"Match: projections per entity (default {_SOLVER['n']}).")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help=f"Match: drop pairs scoring below (default {_SOLVER['threshold']})."),
    ] = None,
    evaluate: Annotated[bool, typer.Option(help="Score against the target's tags.")] = False,
    label_map: LabelMapOption = "none",
    tag: Annotated[
        str | None,
        typer.Option(
            help="Tag the plain-text source with this tagger instead of reading its tags: "
            f"{', '.join(registry.taggers.available())} (xlner: the tagger "
            "`xlner train tagger` trained)."
        ),
    ] = None,
    tag_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE: an option of the --tag tagger, e.g. model=xlner-conll, lang=fr, "
            "zero_shot=true (xlner); repeatable."
        ),
    ] = None,
) -> None:
    """Align source and target, project the source entities and write the tagged target."""
    inputs = {"--source": source, "--target": target, "--extra-source": extra_source}
    check_output_paths({"--output": output}, {**inputs, "--extra-target": extra_target})
    # Every setting is checked before any file is read or any alignment is run.
    _check_settings(output, evaluate, target_conll, extra_source, extra_target)
    table = label_map_table(label_map)
    # (flag, the option the projectors declare, value or None when not given)
    method_options = [
        ("-d", "merge_distance", merge_distance),
        ("--length-ratio", "length_ratio", length_ratio),
        ("-k", "max_runs", max_runs),
        ("--links", "links", links),
        ("--score", "score", score),
        ("--solver", "solver", solver),
        ("--limit", "limit", limit),
        ("--limit-n", "n", limit_n),
        ("--threshold", "threshold", threshold),
    ]
    try:
        backend = build_aligner(aligner, symmetrization, aligner_option or [])
        projector = build_projector(method, method_options)
        check_link_sets(backend, projector)
        source_tagger = build_source_tagger(tag, tag_option or [])
    except ComponentError as error:
        fail(str(error))
    if source_tagger is not None:
        say(f"tagging {source} with {tag}")
        src = tag_source(source, source_tagger)
    else:
        src = require_sentences(read_conll(source, scheme.value), source)
    gold, tokens = _read_target(target, target_conll, scheme.value)
    require_sentences(tokens, target)
    try:
        check_parallel(src, tokens)
    except ValueError as error:
        fail(f"{source} and {target}: {error}")
    extra = _read_extra(extra_source, extra_target)
    say(f"aligning {len(src)} sentence pairs with {aligner} (+{len(extra)} extra)")
    projected = project_bitext(src, tokens, backend, projector, extra_bitext=extra)

    signature = make_signature(
        source_signature(source_tagger), signature_fields(backend, projector)
    )
    _write(output, output_format, src, projected, signature)
    n_entities = sum(len(s.projected) for s in projected)
    say(f"projected {n_entities} entities onto {len(projected)} sentences: wrote {output}")
    if evaluate and gold is not None:
        _print_scores(gold, projected, table, f"{signature}|labels:{label_map}")


def _check_settings(
    output: Path,
    evaluate: bool,
    target_conll: bool,
    extra_source: Path | None,
    extra_target: Path | None,
) -> None:
    """The settings that need no component: refused before anything is read or aligned."""
    if output.is_dir():
        fail(f"-o {output} is a directory; give a file name")
    if evaluate and not target_conll:
        fail("--evaluate needs a token-per-line target with tags (--target-conll)")
    if (extra_source is None) != (extra_target is None):
        fail("--extra-source and --extra-target go together")


def build_aligner(name: str, symmetrization: str | None, options: Sequence[str]) -> Aligner:
    """The aligner with the ``KEY=VALUE`` options given; only options it declares reach it."""
    parsed: dict[str, Any] = {}
    for text in options:
        key, value = _parse_option(text)
        if key in parsed:
            raise ComponentError(f"--aligner-option {key} is given twice")
        parsed[key] = value
    if symmetrization is not None:
        if "symmetrization" in parsed:
            raise ComponentError("give --symmetrization or --aligner-option symmetrization=...")
        parsed["symmetrization"] = symmetrization
    return registry.aligners.build(name, **parsed)


def _parse_option(text: str) -> tuple[str, Any]:
    try:
        path, value = parse_override(text)
    except ValueError:
        raise ComponentError(
            f"--aligner-option {text!r} is not KEY=VALUE (e.g. stem_length=4)"
        ) from None
    if len(path) != 1 or not path[0]:
        raise ComponentError(f"--aligner-option {text!r}: KEY is one option name")
    return path[0], value


def build_projector(method: str, given: Sequence[tuple[str, str, Any]]) -> Projector:
    """The projector with the options given as ``(flag, option, value)``; ``None`` = not given.

    An option the method does not declare is refused: it would be silently ignored.
    """
    declared = registry.projectors.options(method)
    options: dict[str, Any] = {}
    for flag, option, value in given:
        if value is None:
            continue
        if option not in declared:
            raise ComponentError(f"{flag} is not an option of --method {method}")
        options[option] = value
    return registry.projectors.build(method, **options)


def _read_target(
    path: Path, conll: bool, scheme: str
) -> tuple[list[TaggedSentence] | None, list[Tokens]]:
    if conll:
        gold = read_conll(path, scheme)
        return gold, [s.tokens for s in gold]
    return None, read_sentences(path)


def _read_extra(source: Path | None, target: Path | None) -> list[tuple[Tokens, Tokens]]:
    if source is None or target is None:
        return []
    # Extra bitext only feeds the aligner's statistics; empty lines there are harmless.
    return read_bitext(source, target, allow_empty=True)


def _write(
    output: Path,
    output_format: OutputFormat,
    source: Sequence[TaggedSentence],
    projected: Sequence[ProjectedSentence],
    signature: str,
) -> None:
    if output_format is OutputFormat.jsonl:
        write_projected_jsonl(output, source, projected, signature)
    else:
        write_projected_conll(output, projected)


def _print_scores(
    gold: Sequence[TaggedSentence],
    projected: Sequence[ProjectedSentence],
    table: Mapping[str, str | None],
    signature: str,
) -> None:
    scores = evaluate_spans(
        [g.spans for g in gold],
        [[p.span for p in s.projected] for s in projected],
        [len(g.tokens) for g in gold],
        table,
    )
    out.print(f"{format_scores(scores)}\n{signature}", highlight=False)
