"""``xlner data list|fetch|show``: the corpora, what is present, how to get and read them."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape

from xlner.cli.common import DataDir, fail, out, say
from xlner.cli.demo import bracketed
from xlner.corpora import (
    CorpusNotFound,
    FetchError,
    fetch,
    get_corpus,
    list_corpora,
    resolve_data_dir,
)
from xlner.corpora.fetch import github_raw_url, mirror
from xlner.registry import ComponentError

app = typer.Typer(
    help="Corpora: list what is present, fetch what is missing, show what one holds.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(data_dir: DataDir = None) -> None:
    """Show every named corpus, whether it is complete in the data directory, and its origin."""
    say(f"data directory: {resolve_data_dir(data_dir)}")
    for row in list_corpora(data_dir):
        if row.files_total == 0:
            state = "[cyan]read from where its parameters point[/cyan]"
        else:
            word = "present" if row.present else "damaged" if row.files_damaged else "missing"
            colour = "green" if row.present else "red"
            state = f"[{colour}]{word}[/{colour}] "
            state += f"{row.files_present}/{row.files_total} files  {escape(str(row.path))}"
            if row.files_damaged:
                state += f"  [red]({row.files_damaged} not the pinned file)[/red]"
        out.print(f"[bold]{row.name:22}[/bold] {state}", markup=True)
        out.print(f"    {row.title}")
        kind = "" if row.tagged else "  (bitext, no entities)"
        out.print(f"    parameters: {row.parameters}{kind}")
        out.print(f"    origin:  {row.origin}\n    licence: {row.licence}")
        if row.files_total and not row.present:
            again = " --overwrite" if row.files_damaged else ""
            out.print(f"    get it:  xlner data fetch {row.name}{again}")


@app.command("fetch")
def fetch_command(
    names: Annotated[
        list[str],
        typer.Argument(
            help="Corpora to fetch, in order (see `xlner data list`).", show_default=False
        ),
    ],
    data_dir: DataDir = None,
    overwrite: Annotated[bool, typer.Option(help="Download files already present.")] = False,
    mirror_url: Annotated[
        str | None,
        typer.Option(
            "--mirror",
            help="Fetch from a mirror laid out as raw.githubusercontent.com "
            "(<mirror>/<repo>/<commit>/<path>), e.g. file:///srv/xlner-mirror.",
        ),
    ] = None,
) -> None:
    """Download corpora from their public origin into the data directory (resumable)."""
    try:
        for name in names:
            get_corpus(name)  # every name is checked before anything is fetched
    except ComponentError as error:
        fail(str(error))
    try:
        url_for = mirror(mirror_url) if mirror_url else github_raw_url
    except FetchError as error:
        fail(str(error))
    for name in names:
        try:
            written = fetch(name, data_dir, progress=say, overwrite=overwrite, url_for=url_for)
        except (FetchError, CorpusNotFound) as error:
            fail(str(error))
        say(f"{name}: {len(written)} file(s) written under {resolve_data_dir(data_dir)}")


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="A corpus of `xlner data list`.")],
    parameters: Annotated[
        list[str] | None,
        typer.Argument(
            help="Its parameters as key=value: lang=lug split=test.", show_default=False
        ),
    ] = None,
    data_dir: DataDir = None,
    examples: Annotated[int, typer.Option(help="Sentences to print.")] = 2,
) -> None:
    """Load a corpus as `xlner run` does and count its sentences and entities."""
    params = {}
    for item in parameters or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"parameter {item!r} is not key=value")
        params[key] = value
    try:
        corpus = get_corpus(name)
        sentences = corpus.load(data_dir=data_dir, **params)
    except (ValueError, OSError) as error:  # a bad parameter or line, a missing corpus or hub
        fail(str(error))
    labels = Counter(span.label for sentence in sentences for span in sentence.spans)
    tokens = sum(len(sentence.tokens) for sentence in sentences)
    chosen = " ".join(f"{k}={v}" for k, v in corpus.arguments(**params).items() if v)
    counts = ", ".join(f"{label} {count}" for label, count in sorted(labels.items()))
    out.print(
        f"{name} {chosen}: {len(sentences)} sentences, {tokens} tokens; "
        f"entities: {counts or 'none'}",
    )
    for sentence in sentences[:examples]:
        out.print("  " + bracketed(sentence.tokens, sentence.spans))
