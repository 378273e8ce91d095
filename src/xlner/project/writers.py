"""Writers for projected corpora: CoNLL for training taggers, JSONL for inspection."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xlner.corpora.conll import write_conll
from xlner.io import atomic_write
from xlner.project.corpus import ProjectedSentence
from xlner.tags import spans_to_tags
from xlner.types import TaggedSentence


def write_projected_conll(path: Path, projected: Iterable[ProjectedSentence]) -> None:
    """Token-per-line, one sentence at a time: ``projected`` may be a stream."""
    write_conll(path, (sentence.tagged() for sentence in projected), sep="\t")


def write_projected_jsonl(
    path: Path,
    source: Iterable[TaggedSentence],
    projected: Iterable[ProjectedSentence],
    signature: str,
) -> None:
    """One JSON object per sentence: tokens, tags, and each projected span with its source."""
    write_projected_pairs_jsonl(path, zip(source, projected, strict=True), signature)


def write_projected_pairs_jsonl(
    path: Path, pairs: Iterable[tuple[TaggedSentence, ProjectedSentence]], signature: str
) -> None:
    """:func:`write_projected_jsonl` for a stream of ``(source, projected)`` pairs, as
    :func:`~xlner.project.corpus.iter_project_bitext` yields them."""
    with atomic_write(path) as out:
        for index, (src, sentence) in enumerate(pairs):
            out.write(json.dumps(_record(index, src, sentence, signature), ensure_ascii=False))
            out.write("\n")


def _record(
    index: int, src: TaggedSentence, sentence: ProjectedSentence, signature: str
) -> dict[str, Any]:
    return {
        "index": index,
        "tokens": sentence.tokens,
        "tags": spans_to_tags(sentence.tagged().spans, len(sentence.tokens)),
        "source_tokens": src.tokens,
        "entities": [
            {
                "start": p.span.start,
                "end": p.span.end,
                "label": p.span.label,
                "text": p.span.text(sentence.tokens),
                "score": p.score,
                "source": {
                    "start": p.source.start,
                    "end": p.source.end,
                    "label": p.source.label,
                    "text": p.source.text(src.tokens),
                },
            }
            for p in sentence.projected
        ],
        "links": [[link.src, link.tgt] for link in sentence.links],
        "signature": signature,
    }
