"""The ``backtranslate`` stage: each tagged translation back, its entities in brackets.

See :mod:`xlner.pipeline.backtranslation` for the method; this stage translates the marked
sentences and each distinct entity on its own, then finds the entities again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xlner.languages import iso3
from xlner.pipeline.backtranslation import mark_entities, recover_entities
from xlner.pipeline.records import BackTranslation, Tagged
from xlner.pipeline.stages.base import Inputs, Stage, batched_stage, isolate, isolated_batch
from xlner.pipeline.stages.translate import make_translator
from xlner.text import detokenize
from xlner.types import Span


def backtranslate_stage(config: Mapping[str, Any], data_dir: Path | None) -> Stage:
    section, data = config["backtranslate"], config["data"]
    translator = make_translator(section, "backtranslate", data_dir)
    src, tgt = data["pivot"], data["lang"]
    min_similarity = float(section["min_similarity"])
    settings = {
        "translator": translator.signature(),
        "direction": [iso3(src), iso3(tgt)],
        "min_similarity": min_similarity,
    }

    def translate(texts: list[str]) -> list[str]:
        return translator.translate(texts, src, tgt)

    def run_batch(inputs: Inputs, start: int, end: int) -> list[BackTranslation]:
        tagged: Sequence[Tagged] = inputs["tag"][start:end]
        entities = _entity_translations(tagged, translate)
        todo = [i for i, record in enumerate(tagged) if record.spans]
        marked = [mark_entities(tagged[i].tokens, tagged[i].spans) for i in todo]
        outcomes = isolated_batch("backtranslate", translate, marked, start)
        found = dict(zip(todo, outcomes, strict=True))
        return [
            _recovered(record, *found.get(i, ("", None)), entities, min_similarity)
            for i, record in enumerate(tagged)
        ]

    return batched_stage("backtranslate", "tag", settings, BackTranslation, section, run_batch)


def _entity_translations(
    tagged: Sequence[Tagged], translate: Callable[[list[str]], list[str]]
) -> dict[str, str]:
    """Each distinct entity text of the batch, translated on its own (failures: untranslated)."""
    texts = sorted({_entity_text(record, span) for record in tagged for span in record.spans})
    outcomes = isolate(translate, texts)
    return {text: out or "" for text, (out, _) in zip(texts, outcomes, strict=True)}


def _entity_text(record: Tagged, span: Span) -> str:
    return detokenize(record.tokens[span.start : span.end])[0]


def _recovered(
    record: Tagged,
    text: str | None,
    error: str | None,
    translations: Mapping[str, str],
    min_similarity: float,
) -> BackTranslation:
    text = text or ""
    if error is not None or not record.spans:
        return BackTranslation(text, lost=list(range(len(record.spans))), error=error)
    strings = []
    for span in record.spans:
        original = _entity_text(record, span)
        strings.append([s for s in (translations.get(original, ""), original) if s])
    labels = [span.label for span in record.spans]
    recovery = recover_entities(text, strings, labels, min_similarity=min_similarity)
    error = None if recovery.tokens else "empty back-translation"
    return BackTranslation(text, recovery.tokens, recovery.spans, recovery.lost, error)
