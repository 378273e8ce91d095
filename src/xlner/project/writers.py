"""Writers for projected corpora: CoNLL for training taggers, JSONL for inspection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.corpora.conll import write_conll
from xlner.io import atomic_write
from xlner.project.corpus import ProjectedSentence
from xlner.tags import spans_to_tags
from xlner.types import TaggedSentence


def write_projected_conll(path: Path, projected: Sequence[ProjectedSentence]) -> None:
    write_conll(path, [sentence.tagged() for sentence in projected], sep="\t")


def write_projected_jsonl(
    path: Path,
    source: Sequence[TaggedSentence],
    projected: Sequence[ProjectedSentence],
    signature: str,
) -> None:
    """One JSON object per sentence: tokens, tags, and each projected span with its source."""
    with atomic_write(path) as out:
        for index, (src, sentence) in enumerate(zip(source, projected, strict=True)):
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
