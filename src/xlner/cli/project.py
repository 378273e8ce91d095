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
from rich.progress import Progress

from xlner.cli.common import (
    SignatureForm,
    TagScheme,
    check_output_paths,
    fail,
    help_with_defaults,
    key_values,
    label_map_table,
    out,
    preset_help,
    print_signature,
    progress_bar,
    say,
    step_updater,
)
from xlner.cli.tagger import build_source_tagger, source_signature, tag_source
from xlner.corpora.bitext import iter_sentences, read_bitext
from xlner.corpora.conll import iter_conll
from xlner.corpora.lines import require_first
from xlner.evaluate import evaluate_spans, format_scores
from xlner.presets import DEFAULT_PRESET, build_tables, preset_section, resolve
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


def _component_defaults() -> dict[str, Any]:
    """The components' defaults that the help of the flags below names: read when the help
    is shown, as reading them imports the components (eflomal, numpy, scipy)."""
    heuristic = registry.projectors.defaults("heuristic")
    solver = registry.solvers.defaults(registry.projectors.defaults("match")["solver"])
    return {
        "symmetrization": registry.aligners.defaults("eflomal")["symmetrization"],
        "merge_distance": heuristic["merge_distance"],
        "length_ratio": heuristic["length_ratio"],
        "n": solver["n"],
        "threshold": solver["threshold"],
    }


ProjectCommand = help_with_defaults(_component_defaults)

# The panels of --help, so that it fits on a screen.
FILES, ALIGN, METHOD, TAG = "Input and output", "Alignment", "Projection", "Tagging and scoring"


def _show_presets(value: bool) -> None:
    """--help-presets: every preset with its settings, then exit."""
    if value:
        out.print(preset_help())
        raise typer.Exit()


# A gold target sentence as --evaluate keeps it: its spans and its length in tokens.
Gold = tuple[list[Span], int]


class OutputFormat(StrEnum):
    conll = "conll"
    jsonl = "jsonl"


def project(  # noqa: PLR0915
    source: Annotated[
        Path,
        typer.Option(
            help="Tagged source, token-per-line (--tag: text).",
            rich_help_panel=FILES,
        ),
    ],
    target: Annotated[
        Path,
        typer.Option(
            help="Target, a sentence a line (or --target-conll).",
            rich_help_panel=FILES,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File to write ('-': stdout).", rich_help_panel=FILES),
    ],
    target_conll: Annotated[
        bool,
        typer.Option("--target-conll", help="The target is token-per-line.", rich_help_panel=FILES),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", rich_help_panel=FILES)
    ] = OutputFormat.conll,
    chunk_size: Annotated[
        int,
        typer.Option(
            help="Pairs aligned together (keep it large).",
            rich_help_panel=FILES,
        ),
    ] = CHUNK_SIZE,
    preset: Annotated[
        str,
        typer.Option(
            help="Aligner and projection to start from.",
            rich_help_panel=ALIGN,
        ),
    ] = DEFAULT_PRESET,
    help_presets: Annotated[
        bool,
        typer.Option(
            "--help-presets",
            help="Show each preset's settings and exit.",
            is_eager=True,
            callback=_show_presets,
            rich_help_panel=ALIGN,
        ),
    ] = False,
    aligner: Annotated[
        str | None,
        typer.Option(
            help=f"{', '.join(registry.aligners.available())} (default: preset's).",
            rich_help_panel=ALIGN,
        ),
    ] = None,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE (combined: simalign.layer=8); repeatable.",
            rich_help_panel=ALIGN,
        ),
    ] = None,
    symmetrization: Annotated[
        str | None,
        typer.Option(
            help="eflomal's ({symmetrization}).",
            rich_help_panel=ALIGN,
        ),
    ] = None,
    extra_source: Annotated[
        Path | None,
        typer.Option(help="Extra source text for the aligner.", rich_help_panel=ALIGN),
    ] = None,
    extra_target: Annotated[
        Path | None,
        typer.Option(help="Its target side, line-parallel.", rich_help_panel=ALIGN),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help=f"{', '.join(registry.projectors.available())} (default: preset's).",
            rich_help_panel=METHOD,
        ),
    ] = None,
    method_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE (as the flags below); repeatable.",
            rich_help_panel=METHOD,
        ),
    ] = None,
    merge_distance: Annotated[
        int | None,
        typer.Option(
            "-d",
            help="Heuristic: gap to merge ({merge_distance}).",
            rich_help_panel=METHOD,
        ),
    ] = None,
    length_ratio: Annotated[
        float | None,
        typer.Option(
            help="Heuristic: run/entity ratio ({length_ratio}).",
            rich_help_panel=METHOD,
        ),
    ] = None,
    max_runs: Annotated[
        int | None,
        typer.Option("-k", help="Heuristic: keep the k longest runs.", rich_help_panel=METHOD),
    ] = None,
    links: Annotated[
        str | None,
        typer.Option(help="Heuristic: the named link set to read.", rich_help_panel=METHOD),
    ] = None,
    score: Annotated[
        str | None,
        typer.Option(help="Match: score or weights (coverage=1,string=1).", rich_help_panel=METHOD),
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(
            help=f"Match: {', '.join(registry.solvers.available())}.", rich_help_panel=METHOD
        ),
    ] = None,
    limit: Annotated[
        str | None,
        typer.Option(help="Match: at_most, exactly, at_least, none.", rich_help_panel=METHOD),
    ] = None,
    limit_n: Annotated[
        int | None,
        typer.Option(help="Match: projections per entity ({n}).", rich_help_panel=METHOD),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Match: lowest pair score ({threshold}).",
            rich_help_panel=METHOD,
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            help=f"Tag the source text: {', '.join(registry.taggers.available())}.",
            rich_help_panel=TAG,
        ),
    ] = None,
    tag_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE (model=xlner-conll); repeatable.",
            rich_help_panel=TAG,
        ),
    ] = None,
    evaluate: Annotated[
        bool,
        typer.Option("--evaluate", help="Score against the target's tags.", rich_help_panel=TAG),
    ] = False,
    label_map: Annotated[
        str,
        typer.Option(
            help=f"For --evaluate: {', '.join(registry.label_maps.available())}.",
            rich_help_panel=TAG,
        ),
    ] = "none",
    scheme: Annotated[
        TagScheme,
        typer.Option(help="Tag scheme of the inputs (auto: detected).", rich_help_panel=TAG),
    ] = TagScheme.auto,
    signature_form: Annotated[
        SignatureForm,
        typer.Option(
            "--signature",
            help="Print it short (one line, with a hash) or full (JSON).",
            rich_help_panel=FILES,
        ),
    ] = SignatureForm.short,
) -> None:
    """Align, project the source entities onto the target, write the tagged target."""
    inputs = {"--source": source, "--target": target, "--extra-source": extra_source}
    check_output_paths({"--output": output}, {**inputs, "--extra-target": extra_target})
    # Every setting is checked before any file is read or any alignment is run.
    _check_settings(output, evaluate, target_conll, extra_source, extra_target, chunk_size)
    table = label_map_table(label_map)
    # (flag, the option the projectors declare, value or None when not given)
    flags = [
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
    given = key_values("--method-option", method_option)
    overrides = list(aligner_option or [])
    try:
        named = preset_section(preset, "project", method)["method"]
        options = _method_table(named, flags, given)
        if symmetrization is not None:
            overrides.append(_symmetrization(symmetrization, overrides))
        settings = resolve(
            preset, {"aligner": aligner}, {"method": method, "options": options},
            aligner_overrides=overrides,
        )  # fmt: skip
        backend, projector = build_tables(settings)
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
    targets = require_first(_iter_target(target, target_conll, scheme, gold), target)
    extra = _read_extra(extra_source, extra_target)
    bar = progress_bar()
    tally = _Tally(keep=evaluate, bar=bar)

    def announce(first: int, count: int) -> None:
        say(
            f"aligning sentence pairs {first + 1}-{first + count} with {backend.name} "
            f"(+{len(extra)} extra)"
        )
        tally.aligning(first, count)

    stream = iter_project_bitext(
        parallel(sources, targets), backend, projector, extra, chunk_size, announce
    )
    signed = {**source_signature(source_tagger), **signature_fields(backend, projector)}
    # The short form shows what differs from the preset (or a component's defaults).
    baseline = preset_baseline(preset, {"align": backend, "project": projector})
    signature = make_signature(signed, preset=preset, baseline=baseline)
    try:
        _write(output, output_format, tally.count(stream), signature.short)
    except ParallelError as error:
        fail(f"{source} and {target}: {error}")
    finally:
        if bar.live.is_started:
            bar.stop()
    say(f"projected {tally.entities} entities onto {tally.sentences} sentences: wrote {output}")
    if gold is not None:
        signed["labels"] = label_map
        signature = make_signature(signed, preset=preset, baseline=baseline)
        _print_scores(gold, tally.predicted, table)
    print_signature(signature, signature_form)


class _Tally:
    """Counts what passes on its way to the writer, keeps the spans for ``--evaluate``, and
    shows how far the alignment and the projection are (``bar``)."""

    def __init__(self, keep: bool, bar: Progress) -> None:
        self.keep = keep
        self.sentences = 0
        self.entities = 0
        self.predicted: list[list[Span]] = []
        self.update = step_updater(bar)
        self.chunk_end = 0  # the pairs of the chunks that are aligned or being aligned

    def aligning(self, first: int, count: int) -> None:
        """A chunk is being aligned: the pairs before it are."""
        self.update("align", first, None)
        self.chunk_end = first + count

    def count(
        self, stream: Iterable[tuple[TaggedSentence, ProjectedSentence]]
    ) -> Iterator[tuple[TaggedSentence, ProjectedSentence]]:
        for source, projected in stream:
            self.update("align", self.chunk_end, None)  # this pair's chunk is aligned
            self.sentences += 1
            self.update("project", self.sentences, None)
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


def _symmetrization(value: str, overrides: Sequence[str]) -> str:
    """--symmetrization as the aligner option it sets."""
    if any(text.partition("=")[0].strip() == "symmetrization" for text in overrides):
        raise ComponentError("give --symmetrization or --aligner-option symmetrization=...")
    return f"symmetrization={value}"


def _method_table(
    method: str, flags: Sequence[tuple[str, str, Any]], given: Mapping[str, Any]
) -> dict[str, Any]:
    """The method options of the flags, ``(flag, option, value)`` with ``None`` for not
    given, and of --method-option; an option the method does not declare is refused, as it
    would be silently ignored."""
    declared = registry.projectors.options(method)
    options: dict[str, Any] = {}
    for flag, option, value in flags:
        if value is None:
            continue
        if option not in declared:
            raise ComponentError(f"{flag} is not an option of --method {method}")
        if option in given:
            raise ComponentError(f"give {flag} or --method-option {option}=..., not both")
        options[option] = value
    registry.projectors.check_options(method, given)
    return options | dict(given)


def _iter_target(
    path: Path, conll: bool, scheme: TagScheme, gold: list[Gold] | None
) -> Iterator[Tokens]:
    """The target's tokens; with ``gold``, each sentence's spans and length are kept there."""
    if not conll:
        yield from iter_sentences(path)
        return
    for sentence in iter_conll(path, scheme.value):
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
    out.print(format_scores(scores))
