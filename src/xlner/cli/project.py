"""``xlner project``: project source entities onto target sentences.

A thin layer over :func:`xlner.project.corpus.iter_project_bitext`: the corpus is streamed,
read, aligned, projected and written ``--chunk-size`` sentence pairs at a time, so that memory
stays flat whatever the size of the input (``--evaluate`` keeps only the spans). The options
of the projection methods have no defaults of their own here: each reads its default from the
component (``registry.projectors.defaults``), and an option the chosen method does not declare is
refused rather than ignored. Every setting is checked before any file is read or any
alignment runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.align.base import Aligner
from xlner.cli.common import (
    LabelMapOption,
    SchemeOption,
    SignatureForm,
    SignatureOption,
    TagScheme,
    check_output_paths,
    fail,
    label_map_table,
    one_of,
    out,
    print_signature,
    say,
)
from xlner.cli.tagger import build_source_tagger, source_signature, tag_source
from xlner.config import apply_overrides, parse_override
from xlner.corpora.bitext import iter_sentences, read_bitext
from xlner.corpora.conll import iter_conll
from xlner.corpora.lines import require_first
from xlner.evaluate import evaluate_spans, format_scores
from xlner.presets import DEFAULT_PRESET, describe_preset, load_preset, preset_names, preset_section
from xlner.project.base import Projector
from xlner.project.corpus import (
    CHUNK_SIZE,
    ParallelError,
    ProjectedSentence,
    check_link_sets,
    iter_project_bitext,
    parallel,
    signature_fields,
)
from xlner.project.writers import write_projected_conll, write_projected_pairs_jsonl
from xlner.registry import ComponentError, registry
from xlner.signature import make_signature, preset_baseline
from xlner.types import Span, TaggedSentence, Tokens

_HEURISTIC = registry.projectors.defaults("heuristic")
_MATCH = registry.projectors.defaults("match")
_SOLVER = registry.solvers.defaults(_MATCH["solver"])
_EFLOMAL = registry.aligners.defaults("eflomal")
_PRESET = load_preset(DEFAULT_PRESET)
# The help of --preset: every preset with its settings, read from its file.
_PRESETS_HELP = "; ".join(f"{name}: {describe_preset(name)}" for name in preset_names())
# --preset, and --aligner and --method over it, for every command that reads presets.
PresetName = Annotated[
    str,
    typer.Option(
        "--preset",
        help="The aligner and projection to start from (configs/presets/); the options "
        f"below change them. {_PRESETS_HELP}.",
    ),
]
PresetAligner = Annotated[
    str | None,
    typer.Option(
        "--aligner",
        help=f"{one_of(registry.aligners)} Default: the preset's "
        f"({_PRESET['align']['aligner']}); another drops the preset's aligner options.",
    ),
]
PresetMethod = Annotated[
    str | None,
    typer.Option(
        "--method",
        help=f"{one_of(registry.projectors)} Default: the preset's "
        f"({_PRESET['project']['method']}); another drops the preset's method options.",
    ),
]


# A gold target sentence as --evaluate keeps it: its spans and its length in tokens.
Gold = tuple[list[Span], int]


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
    preset: PresetName = DEFAULT_PRESET,
    aligner: PresetAligner = None,
    symmetrization: Annotated[
        str | None,
        typer.Option(
            help="How to combine directions, for an aligner that has this option "
            f"(eflomal's default: {_EFLOMAL['symmetrization']})."
        ),
    ] = None,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE: an option the aligner declares, e.g. stem_length=4 or "
            "rel_iterations=0.25 (eflomal), layer=6 or method=itermax (simalign); for the "
            "combined aligner MEMBER.KEY=VALUE sets a member's (simalign.layer=8, "
            "eflomal.stem_length=0), members={...} or primary=intersection its own. A dotted "
            "KEY sets a nested option; repeatable. VALUE is read as TOML, else as text."
        ),
    ] = None,
    extra_source: Annotated[
        Path | None, typer.Option(help="Extra source-side bitext for the aligner.")
    ] = None,
    extra_target: Annotated[
        Path | None, typer.Option(help="Extra target-side bitext, line-parallel.")
    ] = None,
    method: PresetMethod = None,
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
            f"(default: the preset's, else {_MATCH['score']})."
        ),
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(
            help=f"Match: one of {', '.join(registry.solvers.available())} "
            f"(default: the preset's, else {_MATCH['solver']})."
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
    chunk_size: Annotated[
        int,
        typer.Option(
            help="Sentence pairs read, aligned and written together: memory grows with it, "
            "and eflomal learns from each chunk alone (with the extra bitext), so keep it "
            "large. A rest of less than half a chunk joins the last chunk."
        ),
    ] = CHUNK_SIZE,
    signature_form: SignatureOption = SignatureForm.short,
) -> None:
    """Align source and target, project the source entities and write the tagged target."""
    inputs = {"--source": source, "--target": target, "--extra-source": extra_source}
    check_output_paths({"--output": output}, {**inputs, "--extra-target": extra_target})
    # Every setting is checked before any file is read or any alignment is run.
    _check_settings(output, evaluate, target_conll, extra_source, extra_target, chunk_size)
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
        settings = resolve_settings(
            preset, aligner, symmetrization, aligner_option or [], method, method_options
        )
        backend, projector = build_settings(settings)
    except ComponentError as error:
        fail(str(error))
    try:
        check_link_sets(backend, projector)
    except ComponentError as error:
        # The projection may be the preset's, chosen for the preset's aligner.
        fail(f"{error}" + ("" if method else f" (--preset {preset} chose {projector.name})"))
    try:
        source_tagger = build_source_tagger(tag, tag_option or [])
    except ComponentError as error:
        fail(str(error))
    # The corpus is streamed: read, aligned, projected and written a chunk at a time.
    gold: list[Gold] | None = [] if evaluate else None
    if source_tagger is not None:
        say(f"tagging {source} with {tag}")
        sources = iter(tag_source(source, source_tagger))
    else:
        sources = require_first(iter_conll(source, scheme.value), source)
    targets = require_first(_iter_target(target, target_conll, scheme.value, gold), target)
    extra = _read_extra(extra_source, extra_target)

    def announce(first: int, count: int) -> None:
        say(
            f"aligning sentence pairs {first + 1}-{first + count} with {backend.name} "
            f"(+{len(extra)} extra)"
        )

    stream = iter_project_bitext(
        parallel(sources, targets), backend, projector, extra, chunk_size, announce
    )
    signed = {**source_signature(source_tagger), **signature_fields(backend, projector)}
    # The short form shows what differs from the preset (or a component's defaults).
    baseline = preset_baseline(preset, {"align": backend, "project": projector})
    signature = make_signature(signed, preset=preset, baseline=baseline)
    tally = _Tally(keep=evaluate)
    try:
        _write(output, output_format, tally.count(stream), signature.short)
    except ParallelError as error:
        fail(f"{source} and {target}: {error}")
    say(f"projected {tally.entities} entities onto {tally.sentences} sentences: wrote {output}")
    if gold is not None:
        signed["labels"] = label_map
        signature = make_signature(signed, preset=preset, baseline=baseline)
        _print_scores(gold, tally.predicted, table)
    print_signature(signature, signature_form)


class _Tally:
    """Counts what passes on its way to the writer, and keeps the spans for ``--evaluate``."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.sentences = 0
        self.entities = 0
        self.predicted: list[list[Span]] = []

    def count(
        self, stream: Iterable[tuple[TaggedSentence, ProjectedSentence]]
    ) -> Iterator[tuple[TaggedSentence, ProjectedSentence]]:
        for source, projected in stream:
            self.sentences += 1
            self.entities += len(projected.projected)
            if self.keep:
                self.predicted.append([p.span for p in projected.projected])
            yield source, projected


def _check_settings(
    output: Path,
    evaluate: bool,
    target_conll: bool,
    extra_source: Path | None,
    extra_target: Path | None,
    chunk_size: int,
) -> None:
    """The settings that need no component: refused before anything is read or aligned."""
    if output.is_dir():
        fail(f"-o {output} is a directory; give a file name")
    if evaluate and not target_conll:
        fail("--evaluate needs a token-per-line target with tags (--target-conll)")
    if (extra_source is None) != (extra_target is None):
        fail("--extra-source and --extra-target go together")
    if chunk_size < 1:
        fail(f"--chunk-size must be at least 1, got {chunk_size}")


def resolve_settings(
    preset: str,
    aligner: str | None,
    symmetrization: str | None,
    aligner_options: Sequence[str],
    method: str | None,
    method_options: Sequence[tuple[str, str, Any]],
) -> dict[str, Any]:
    """The ``[align]`` and ``[project]`` tables: the preset's, with the options given on top.

    ``method_options`` are ``(flag, option, value)``, ``None`` when not given; an option the
    method does not declare is refused, as it would be silently ignored.
    """
    align = preset_section(preset, "align", aligner)
    project = preset_section(preset, "project", method)
    align["options"] = aligner_table(align["aligner"], aligner_options, align["options"])
    project["options"] |= _method_table(project["method"], method_options)
    if symmetrization is not None:
        if any(_parse_option(text)[0] == ["symmetrization"] for text in aligner_options):
            raise ComponentError("give --symmetrization or --aligner-option symmetrization=...")
        align["options"]["symmetrization"] = symmetrization
    return {"align": align, "project": project}


def build_settings(settings: Mapping[str, Any]) -> tuple[Aligner, Projector]:
    """The aligner and the projector of resolved ``[align]`` and ``[project]`` tables."""
    align, project = settings["align"], settings["project"]
    aligner = registry.aligners.build(align["aligner"], **align["options"])
    return aligner, registry.projectors.build(project["method"], **project["options"])


def aligner_table(name: str, options: Sequence[str], base: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (the preset's options for aligner ``name``) with each ``KEY=VALUE`` set.

    A dotted KEY sets one nested option (``members.simalign.layer=8``), a plain one replaces
    the option whole (``members={eflomal={}}``: only that member). For the combined aligner
    ``MEMBER.KEY`` is short for ``members.MEMBER.KEY``.
    """
    parsed = [_parse_option(text) for text in options]
    members = {*base.get("members", {})}
    members |= {m for keys, v in parsed if keys == ["members"] and isinstance(v, dict) for m in v}
    declared = registry.aligners.options(name)
    overrides, seen = [], set()
    for keys, text in zip((keys for keys, _ in parsed), options, strict=True):
        if name == "combined" and len(keys) > 1 and keys[0] in members and keys[0] not in declared:
            keys = ["members", *keys]
        key = ".".join(keys)
        if key in seen:
            raise ComponentError(f"--aligner-option {key} is given twice")
        seen.add(key)
        overrides.append(f"{key}={text.partition('=')[2]}")
    try:
        return apply_overrides(base, overrides)
    except ValueError as error:
        raise ComponentError(f"--aligner-option: {error}") from None


def _parse_option(text: str) -> tuple[list[str], Any]:
    try:
        path, value = parse_override(text)
    except ValueError:
        raise ComponentError(
            f"--aligner-option {text!r} is not KEY=VALUE (e.g. stem_length=4)"
        ) from None
    if not all(path):
        raise ComponentError(f"--aligner-option {text!r}: KEY is an option name or NAME.KEY")
    return path, value


def _method_table(method: str, given: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    """The method options given as ``(flag, option, value)``; ``None`` = not given."""
    declared = registry.projectors.options(method)
    options: dict[str, Any] = {}
    for flag, option, value in given:
        if value is None:
            continue
        if option not in declared:
            raise ComponentError(f"{flag} is not an option of --method {method}")
        options[option] = value
    return options


def _iter_target(path: Path, conll: bool, scheme: str, gold: list[Gold] | None) -> Iterator[Tokens]:
    """The target's tokens; with ``gold``, each sentence's spans and length are kept there."""
    if not conll:
        yield from iter_sentences(path)
        return
    for sentence in iter_conll(path, scheme):
        if gold is not None:
            gold.append((sentence.spans, len(sentence.tokens)))
        yield sentence.tokens


def _read_extra(source: Path | None, target: Path | None) -> list[tuple[Tokens, Tokens]]:
    if source is None or target is None:
        return []
    # Extra bitext only feeds the aligner's statistics; empty lines there are harmless.
    return read_bitext(source, target, allow_empty=True)


def _write(
    output: Path,
    output_format: OutputFormat,
    pairs: Iterable[tuple[TaggedSentence, ProjectedSentence]],
    signature: str,
) -> None:
    if output_format is OutputFormat.jsonl:
        write_projected_pairs_jsonl(output, pairs, signature)
    else:
        write_projected_conll(output, (projected for _, projected in pairs))


def _print_scores(
    gold: Sequence[Gold],
    predicted: Sequence[Sequence[Span]],
    table: Mapping[str, str | None],
) -> None:
    scores = evaluate_spans([spans for spans, _ in gold], predicted, [n for _, n in gold], table)
    out.print(format_scores(scores), highlight=False)
