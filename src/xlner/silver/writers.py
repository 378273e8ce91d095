"""The outputs of a silver job, in one folder.

- ``silver.conll``: the target side, token-per-line IOB2 in the MasakhaNER layout
  (``token tag``, a blank line after each sentence): what ``xlner train tagger --train``
  reads;
- ``silver.jsonl``: one sentence a line with its text, tokens, tags, provenance and each
  entity with character offsets into ``text``, its score and its source entity; or, with the
  ``parquet`` record format, ``silver.parquet``: the same records a row each
  (:mod:`xlner.silver.parquet`);
- ``summary.json``: sentences in and out, entities per class, drop reasons, exclusions,
  the settings and the signature;
- with ``exports``: ``silver.hf`` (a ``datasets`` folder) and ``silver.spacy`` (a DocBin).

``summary.json`` is removed before the first output is written and written after the last,
so a folder without it holds an unfinished run (one stopped by Ctrl-C, SIGTERM, a full
disk) whatever else it holds. A rerun into the same folder with another record format or
other exports removes the outputs of the run before that it does not write again (only
those of xlner's own names, and a folder only when it is a ``datasets`` export), so that
every file beside ``summary.json`` is listed in it. No input may be one of these outputs:
:func:`check_folder`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.conll import write_conll
from xlner.errors import OutputError
from xlner.export import FORMATS, export_path, exporter
from xlner.export.hf import is_export
from xlner.io import atomic_write, check_outputs, make_folder, remove_file, remove_folder
from xlner.io import check_folder as check_output_folder
from xlner.silver import parquet
from xlner.silver.job import SilverResult, SilverSentence
from xlner.tags import mark_unknown, spans_to_tags, split_unknown, tags_to_spans
from xlner.text import Word
from xlner.types import Span, TaggedSentence

STEM = "silver"
CONLL = f"{STEM}.conll"
JSONL = f"{STEM}.jsonl"
SUMMARY = "summary.json"
# How the silver records are written beside the CoNLL view: JSONL lines (the default) or
# Parquet rows.
RECORD_FORMATS = ("jsonl", "parquet")
# The exports label every word: silver data with words of unknown label has no place there.
PARTIAL_EXPORT = (
    "the hf and spacy exports label every word, and this silver data has words of unknown "
    "label (partial labels: Selection's dropped_class or unprojected): train on silver.conll"
)
# Every output a silver job may write into its folder, by kind; of the folders among them
# only an earlier hf export (``export.hf.is_export``) is replaced or removed.
OUTPUTS = {
    "conll": CONLL,
    **{kind: f"{STEM}.{kind}" for kind in RECORD_FORMATS},
    **{kind: export_path(kind, Path(), STEM).name for kind in FORMATS},
}
_FOLDERS = {"hf": is_export}
_NOT_OURS = "is a folder xlner silver did not write; move it away"


def check_folder(directory: Path, inputs: Mapping[str, str | Path | None]) -> None:
    """Refuse a folder where an output of a silver job (written, or removed as stale) would
    replace one of the ``inputs`` (option name -> path), or a folder that is not such an
    output stands in one's place: an OutputError naming them, before any work."""
    files: dict[str, Path] = {}
    for kind, name in [*OUTPUTS.items(), ("summary", SUMMARY)]:
        path = directory / name
        if not path.is_dir():
            files[f"the output {name}"] = path
        elif kind not in _FOLDERS or not _FOLDERS[kind](path):
            raise OutputError(path, _NOT_OURS)
        else:
            what = f"an earlier {kind} export"
            check_output_folder(path, ours=_FOLDERS[kind], what=what, inputs=inputs, option=name)
    check_outputs(files, inputs)


def mark_unfinished(directory: Path) -> None:
    """Remove ``summary.json``: from now on the folder holds a run that is not finished."""
    remove_file(directory / SUMMARY)


def remove_stale(directory: Path, written: Sequence[str]) -> None:
    """Remove the outputs of an earlier run that this one (``written``: file names) did not
    write again: a file or a symlink (the link only), a folder only when it is ours."""
    for kind, name in OUTPUTS.items():
        path = directory / name
        if name in written:
            continue
        if path.is_dir() and not path.is_symlink():
            ours = _FOLDERS.get(kind)
            if ours is None or not remove_folder(path, ours=ours):
                raise OutputError(path, _NOT_OURS)
        else:
            remove_file(path)


def write_silver(
    directory: Path,
    result: SilverResult,
    *,
    classes: Sequence[str],
    settings: Mapping[str, Any],
    exports: Sequence[str] = (),
    lang: str | None = None,
    record_format: str = "jsonl",
) -> dict[str, Any]:
    """Write every output into ``directory``, ``summary.json`` last; return the summary that
    was written."""
    mark_unfinished(directory)
    write_shard(directory, STEM, result.sentences, record_format)
    tagged = [sentence.tagged() for sentence in result.sentences]
    ids = [s.pair.provenance.id for s in result.sentences]
    spaces = [_spaces(s.target_words) for s in result.sentences]
    outputs = write_exports(
        directory, tagged, ids, spaces, exports, classes=classes, lang=lang,
        record_format=record_format,
    )  # fmt: skip
    return write_summary(directory, result.summary(), outputs, settings)


def write_shard(
    directory: Path, stem: str, sentences: Sequence[SilverSentence], record_format: str = "jsonl"
) -> None:
    """One shard's silver sentences as ``<stem>.conll`` and ``<stem>.jsonl`` (or
    ``<stem>.parquet``): the files that, shard after shard, make ``silver.conll`` and
    ``silver.jsonl`` (``silver.parquet``)."""
    write_records(directory, stem, [record(sentence) for sentence in sentences], record_format)


def write_records(
    directory: Path, stem: str, records: Sequence[Mapping[str, Any]], record_format: str = "jsonl"
) -> None:
    """Silver records as ``<stem>.conll`` (their tokens and tags) and ``<stem>.jsonl`` (or
    ``<stem>.parquet``)."""
    make_folder(directory)
    write_conll(directory / f"{stem}.conll", [tagged_record(item) for item in records])
    if record_format == "parquet":
        parquet.write_records(directory / f"{stem}.parquet", records)
        return
    with atomic_write(directory / f"{stem}.jsonl") as out:
        for item in records:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a silver file, JSONL or Parquet (by its suffix), one at a time."""
    if path.suffix == ".parquet":
        yield from parquet.iter_records(path)
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def write_exports(
    directory: Path,
    tagged: Sequence[TaggedSentence],
    ids: Sequence[str],
    spaces: Sequence[Sequence[bool]],
    exports: Sequence[str],
    *,
    classes: Sequence[str],
    lang: str | None,
    record_format: str = "jsonl",
) -> dict[str, str]:
    """The exports asked for; return every output by kind (``conll``, the record format's
    and those)."""
    outputs = {"conll": CONLL, record_format: f"{STEM}.{record_format}"}
    if exports and any(sentence.unknown for sentence in tagged):
        raise ValueError(PARTIAL_EXPORT)
    for name in exports:
        path = export_path(name, directory, STEM)
        exporter(name)(path, tagged, classes=classes, ids=ids, lang=lang, spaces=spaces)
        outputs[name] = path.name
    return outputs


def exports_from_files(
    directory: Path,
    exports: Sequence[str],
    *,
    classes: Sequence[str],
    lang: str | None,
    record_format: str = "jsonl",
) -> dict[str, str]:
    """:func:`write_exports` from the ``silver.jsonl`` (``silver.parquet``) written already
    (a sharded job holds no sentence in memory); the words' spacing is read from each
    record's text."""
    tagged, ids, spaces = [], [], []
    if exports:
        for item in read_records(directory / f"{STEM}.{record_format}"):
            tagged.append(tagged_record(item))
            ids.append(item["id"])
            spaces.append(_spaces(located(item["text"], item["tokens"])))
    return write_exports(
        directory, tagged, ids, spaces, exports, classes=classes, lang=lang,
        record_format=record_format,
    )  # fmt: skip


def record_tags(sentence: TaggedSentence) -> list[str]:
    """The ``tags`` of a record: IOB2, words of unknown label tagged UNKNOWN."""
    return mark_unknown(spans_to_tags(sentence.spans, len(sentence.tokens)), sentence.unknown)


def tagged_record(item: Mapping[str, Any]) -> TaggedSentence:
    """The tokens, spans and unknown words of a silver record."""
    tags, unknown = split_unknown(item["tags"])
    return TaggedSentence(list(item["tokens"]), tags_to_spans(tags), unknown=unknown)


def located(text: str, tokens: Sequence[str]) -> list[Word]:
    """The tokens with their offsets in ``text``, each found after the one before it."""
    words, position = [], 0
    for token in tokens:
        start = text.index(token, position)
        position = start + len(token)
        words.append(Word(token, start, position))
    return words


def write_summary(
    directory: Path,
    summary: Mapping[str, Any],
    outputs: Mapping[str, str],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """Finish the folder: the outputs of an earlier run that ``outputs`` lacks removed, then
    ``summary.json`` (the job's counts, its outputs and its settings); return it."""
    remove_stale(directory, list(outputs.values()))
    written = {**summary, "outputs": dict(outputs), **settings}
    with atomic_write(directory / SUMMARY) as out:
        out.write(json.dumps(written, indent=2, ensure_ascii=False) + "\n")
    return written


def record(sentence: SilverSentence) -> dict[str, Any]:
    """The JSONL object of one silver sentence."""
    pair, target, tagged = sentence.pair, sentence.target_words, sentence.tagged()
    added = [
        {**entity_fields(a.span, target, pair.target), "score": a.score, "source": None}
        for a in sentence.added
    ]  # no source entity: the consistency pass's, a tagger's
    return {
        "id": pair.provenance.id,
        "text": pair.target,
        "tokens": tagged.tokens,
        "tags": record_tags(tagged),
        "entities": [
            {
                **entity_fields(p.span, target, pair.target),
                "score": p.score,
                "source": entity_fields(p.source, sentence.source_words, pair.source),
            }
            for p in sentence.projected
        ]
        + added,
        "source_text": pair.source,
        "source_tokens": [word.text for word in sentence.source_words],
        "provenance": pair.provenance.as_dict(),
    }


def entity_fields(span: Span, words: Sequence[Word], text: str) -> dict[str, Any]:
    """A span by character offsets into ``text`` (end exclusive) and by tokens."""
    start, end = words[span.start].start, words[span.end - 1].end
    return {
        "start": start,
        "end": end,
        "label": span.label,
        "text": text[start:end],
        "token_start": span.start,
        "token_end": span.end,
    }


def _spaces(words: Sequence[Word]) -> list[bool]:
    """Whether a space follows each word in the text (for a DocBin whose text is the line)."""
    return [a.end < b.start for a, b in zip(words, words[1:], strict=False)] + [False]
