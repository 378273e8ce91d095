"""``xlner export``: tagged sentences (silver or projected output) for other trainers."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from xlner.cli.common import (
    SchemeOption,
    TagScheme,
    check_output_paths,
    fail,
    label_classes,
    say,
)
from xlner.corpora.conll import read_conll
from xlner.corpora.lines import iter_lines, require_sentences
from xlner.errors import InputError
from xlner.export import FORMATS, exporter
from xlner.io import is_stdout
from xlner.tags import TagError, tags_to_spans
from xlner.types import TaggedSentence

# Choices built from a table (mypy cannot list such an Enum's members: its ignore[misc]).
Format = StrEnum("Format", {name: name for name in FORMATS})  # type: ignore[misc]


def export(
    input_file: Annotated[
        Path,
        typer.Argument(
            help="Tagged sentences: token-per-line, or JSONL with tokens and tags (the .jsonl "
            "of xlner project or xlner silver)."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder (hf: a new one or an earlier export) or file (spacy; '-': standard "
            "output).",
        ),
    ],
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
    inputs = {"INPUT_FILE": input_file}
    if to.value == "spacy":
        check_output_paths({"--output": output}, inputs)
    else:
        check_output_paths({}, inputs, folders={"--output": output})
        _check_hf_output(output, split, inputs)
    classes = label_classes(labels) if labels is not None else None
    if input_file.suffix == ".jsonl":
        sentences = read_jsonl(input_file)
    else:
        sentences = read_conll(input_file, scheme.value)
    require_sentences(sentences, input_file)
    try:
        exporter(to.value)(
            output, sentences, classes=classes, lang=lang, split=split, inputs=inputs
        )
    except ValueError as error:
        fail(f"{input_file}: {error}")
    where = "standard output" if is_stdout(output) else output
    say(f"exported {len(sentences)} sentences to {where} ({to.value})")


def _check_hf_output(output: Path, split: str, inputs: dict[str, Path]) -> None:
    """Before any work: a split name that is a word, and an output folder that is new or an
    earlier export holding no input."""
    from xlner.export import hf

    try:
        hf.check_split(split)
    except ValueError as error:
        fail(f"--split: {error}")
    try:
        hf.check_output(output, inputs)
    except InputError as error:
        fail(str(error))


def read_jsonl(path: Path) -> list[TaggedSentence]:
    """The ``tokens`` and ``tags`` (IOB2) of each line of a JSONL file."""
    sentences = []
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
            tokens, tags = record["tokens"], record["tags"]
        except (ValueError, KeyError, TypeError) as error:
            problem = f"no field {error}" if isinstance(error, KeyError) else "not JSON"
            problem = f"{problem}: expected an object with tokens and tags"
            raise InputError(path, number, problem) from None
        for field, values in (("tokens", tokens), ("tags", tags)):
            if not_strings := _not_strings(field, values):
                raise InputError(path, number, not_strings)
        if len(tokens) != len(tags):
            raise InputError(path, number, f"{len(tokens)} tokens but {len(tags)} tags")
        try:
            sentences.append(TaggedSentence(tokens, tags_to_spans(tags, repair=True)))
        except TagError as error:
            raise InputError(path, number, str(error)) from None
    return sentences


def _not_strings(field: str, values: object) -> str | None:
    """What is wrong with ``values`` as a list of non-empty strings, if anything."""
    if not isinstance(values, list):
        return f"{field} is {type(values).__name__}, not a list of strings"
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value:
            return f"{field}[{position}] is {value!r}, not a non-empty string"
    return None
