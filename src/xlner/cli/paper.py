"""``xlner paper LANG``: the seed paper's protocol on one of its 57 languages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xlner.bench import paper as protocol
from xlner.bench.report import write_json
from xlner.cli.common import (
    DataDir,
    SignatureForm,
    SignatureOption,
    fail,
    out,
    print_full_signatures,
    progress_bar,
    say,
    step_updater,
)
from xlner.cli.run import RUN_ERRORS, _stop


def paper(
    lang: Annotated[
        str | None, typer.Argument(help="A language of the protocol (--list shows the 57).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Argument(
            help="Settings that replace the protocol's, e.g. translate.options.dtype=bfloat16 "
            "or tag.options.model=DIR (a local copy)."
        ),
    ] = None,
    data_dir: DataDir = None,
    run_dir: Annotated[
        Path | None, typer.Option(help="Run directory (default: runs/paper/LANG).")
    ] = None,
    model_transfer: Annotated[
        bool, typer.Option(help="Also score the source tagger on the target (model transfer).")
    ] = True,
    output: Annotated[
        Path | None, typer.Option(help="JSON results (default: paper.json in the run directory).")
    ] = None,
    list_languages: Annotated[
        bool, typer.Option("--list", help="List the protocol's languages and exit.")
    ] = False,
    signature: SignatureOption = SignatureForm.short,
) -> None:
    """NLLB-200-3.3B translate-test with XLM-R-large beside model transfer (needs the hub)."""
    if list_languages:
        out.print(protocol.format_languages())
        return
    if lang is None:
        fail("give a language (xlner paper --list shows them)")
    bar = progress_bar()
    try:
        result = protocol.run_paper(
            lang,
            overrides or [],
            data_dir=data_dir,
            run_dir=run_dir,
            with_model_transfer=model_transfer,
            progress=step_updater(bar),
        )
    except (*RUN_ERRORS, ValueError) as error:
        _stop(bar)
        fail(str(error))
    finally:
        _stop(bar)
    out.print(protocol.format_results(result))
    if signature is SignatureForm.full:
        print_full_signatures(result)
    target = output or Path(result["rows"]["translate-test"]["run_dir"]) / "paper.json"
    write_json(result, target)
    say(f"wrote {target}")
