"""``xlner align``: the word links of any registered aligner, in the Pharaoh format.

One line per sentence pair, ``i-j`` for word ``i`` of the source and word ``j`` of the target
(0-based), as eflomal, SimAlign and awesome-align write: the links ``xlner project`` would
project over, for other tools or for ``xlner evaluate --alignment``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TextIO

import typer

from xlner.align.base import Aligner, SentencePair
from xlner.align.pharaoh import format_pharaoh
from xlner.cli.common import (
    PresetAligner,
    PresetName,
    check_output_paths,
    fail,
    progress_bar,
    say,
    step_updater,
)
from xlner.corpora.bitext import iter_bitext, read_bitext
from xlner.corpora.lines import iter_lines, require_first
from xlner.io import atomic_write
from xlner.presets import DEFAULT_PRESET, override_aligner_options, preset_section
from xlner.project.corpus import CHUNK_SIZE, align_link_sets, balanced_chunks
from xlner.registry import ComponentError, registry


def align(
    source: Annotated[Path, typer.Option(help="Source sentences: one tokenised sentence a line.")],
    target: Annotated[Path, typer.Option(help="Target sentences, line-parallel with --source.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Pharaoh file to write ('-': standard output).")
    ],
    preset: PresetName = DEFAULT_PRESET,
    aligner: PresetAligner = None,
    aligner_option: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE: an option the aligner declares (as for xlner project), e.g. "
            "symmetrization=intersection (eflomal), layer=6 (simalign), simalign.layer=8 "
            "(a member of the combined aligner); repeatable."
        ),
    ] = None,
    links: Annotated[
        str | None,
        typer.Option(
            help="The named link set to write: a symmetrisation of eflomal (intersection, "
            "union, ...), or a link set of the combined aligner (a member's name: simalign, "
            "eflomal; intersection, eflomal:union, ...). Default: the aligner's primary links."
        ),
    ] = None,
    extra_source: Annotated[
        Path | None, typer.Option(help="Extra source-side bitext for the aligner to learn from.")
    ] = None,
    extra_target: Annotated[
        Path | None, typer.Option(help="Extra target-side bitext, line-parallel.")
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option(
            help="Sentence pairs aligned together (eflomal learns from each chunk alone, with "
            "the extra bitext, so keep it large). A rest of less than half a chunk joins the "
            "last chunk."
        ),
    ] = CHUNK_SIZE,
) -> None:
    """Align two line-parallel tokenised files and write one line of i-j links per pair."""
    inputs = {"--source": source, "--target": target, "--extra-source": extra_source}
    check_output_paths({"--output": output}, {**inputs, "--extra-target": extra_target})
    if (extra_source is None) != (extra_target is None):
        fail("give both --extra-source and --extra-target, or neither")
    if chunk_size < 1:
        fail(f"--chunk-size must be at least 1, got {chunk_size}")
    backend = _build(preset, aligner, aligner_option or [])
    if links is not None and links not in backend.link_set_names():
        given = ", ".join(backend.link_set_names()) or "none"
        fail(f"--links {links}: aligner {backend.name!r} gives no such link set (it gives {given})")
    # Extra bitext only feeds the aligner's statistics; empty lines there are harmless.
    extra = (
        read_bitext(extra_source, extra_target, allow_empty=True)
        if extra_source and extra_target
        else []
    )
    pairs = require_first(iter_bitext(source, target), source)  # read before any output
    # Counted ahead for the progress bar, unless it can be read only once (a pipe).
    total = sum(1 for _ in iter_lines(source)) if source.is_file() else None
    bar = progress_bar()
    update = step_updater(bar)
    written = 0
    try:
        with atomic_write(output) as out:
            for chunk in balanced_chunks(pairs, chunk_size):
                say(
                    f"aligning sentence pairs {written + 1}-{written + len(chunk)} with "
                    f"{backend.name} (+{len(extra)} extra)"
                )
                update("align", written, total)
                written += _write_chunk(out, backend, chunk, links, extra)
                update("align", written, total)
    finally:
        bar.stop()
    which = f"link set {links!r}" if links else "primary links"
    say(f"wrote the {which} of {written} sentence pairs to {output}")


def _build(preset: str, name: str | None, options: list[str]) -> Aligner:
    """The preset's aligner, or ``name``, with the ``--aligner-option`` settings on top."""
    try:
        table = preset_section(preset, "align", name)
        table["options"] = override_aligner_options(table["aligner"], options, table["options"])
        return registry.aligners.build(table["aligner"], **table["options"])
    except ComponentError as error:
        fail(str(error))


def _write_chunk(
    out: TextIO,
    backend: Aligner,
    chunk: list[SentencePair],
    name: str | None,
    extra: list[SentencePair],
) -> int:
    """Align one chunk and write its Pharaoh lines; how many pairs it held."""
    aligned = align_link_sets(backend, chunk, set() if name is None else {name}, extra)
    out.writelines(format_pharaoh(links.select(name)) + "\n" for links in aligned)
    return len(chunk)
