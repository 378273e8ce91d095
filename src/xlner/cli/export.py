"""``xlner export``: tagged sentences (silver or projected output) for other trainers."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import SchemeOption, TagScheme, check_output_paths, fail, say
from xlner.corpora.conll import read_conll
from xlner.corpora.lines import iter_lines, require_sentences
from xlner.errors import InputError
from xlner.export import FORMATS, exporter
from xlner.tags import TagError, tags_to_spans
from xlner.types import TaggedSentence

Format = StrEnum("Format", {name: name for name in FORMATS})


def export(
    input_file: Annotated[
        Path,
        typer.Argument(
            help="Tagged sentences: token-per-line, or JSONL with tokens and tags (the .jsonl "
            "of xlner project or xlner silver)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder (hf) or file (spacy).")],
    to: Annotated[Format, typer.Option("--to", help="hf: a datasets folder; spacy: a DocBin.")],
    lang: Annotated[
        str | None, typer.Option(help="Language of the sentences (spacy; default: xx).")
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(help="Class order of ner_tags, comma-separated (hf; default: sorted)."),
    ] = None,
    split: Annotated[str, typer.Option(help="Split name in the datasets folder (hf).")] = "train",
    scheme: SchemeOption = TagScheme.auto,
) -> None:
    """Write tagged sentences as a Hugging Face datasets folder or a spaCy DocBin."""
    if to.value == "spacy":
        check_output_paths({"--output": output}, {"INPUT_FILE": input_file})
    elif output.exists() and not output.is_dir():
        fail(f"-o {output} is a file; a datasets export is a folder")
    classes = [c.strip() for c in labels.split(",") if c.strip()] if labels else None
    if input_file.suffix == ".jsonl":
        sentences = read_jsonl(input_file)
    else:
        sentences = read_conll(input_file, scheme.value)
    require_sentences(sentences, input_file)
    try:
        path = exporter(to.value)(output, sentences, classes=classes, lang=lang, split=split)
    except ValueError as error:
        fail(f"{input_file}: {error}")
    say(f"exported {len(sentences)} sentences to {path} ({to.value})")


def read_jsonl(path: Path) -> list[TaggedSentence]:
    """The ``tokens`` and ``tags`` (IOB2) of each line of a JSONL file."""
    sentences = []
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            tokens, tags = list(record["tokens"]), list(record["tags"])
        except (ValueError, KeyError, TypeError) as error:
            problem = f"no field {error}" if isinstance(error, KeyError) else "not JSON"
            problem = f"{problem}: expected an object with tokens and tags"
            raise InputError(path, number, problem) from None
        if len(tokens) != len(tags):
            raise InputError(path, number, f"{len(tokens)} tokens but {len(tags)} tags")
        try:
            sentences.append(TaggedSentence(tokens, tags_to_spans(tags, repair=True)))
        except TagError as error:
            raise InputError(path, number, str(error)) from None
    return sentences
