"""Any transformers token classifier as a source tagger, by Hub name or local path.

The documented default, ``xlm-roberta-large-finetuned-conll03-english`` (CoNLL-2003 labels
PER, ORG, LOC, MISC), needs Hugging Face Hub access or a local copy given by path. Prediction
reuses :class:`~xlner.tagging.tagger.TokenTagger`: each word gets the label of its first
subword, sentences longer than ``max_length`` subwords are split at word boundaries, and a
stray ``I-X`` (IOB1 models) starts an entity. A directory saved by ``TokenTagger.save`` (a
tagger trained with xlner) loads with its own label list.

Labels are read from the model config's ``id2label``; ``label_map`` renames classes (e.g.
``{"PERSON": "PER"}``) and drops those mapped to None. Without it, PER/ORG/LOC/MISC/DATE pass
through and other classes are kept as they are.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from xlner.encoders.base import check_precision, resolve_precision
from xlner.quiet import quiet_transformers
from xlner.tagging.base import LabelMap, SourceTagger, register_tagger, rename
from xlner.tags import TagError, split_tag
from xlner.types import Span, Tokens

DEFAULT_MODEL = "xlm-roberta-large-finetuned-conll03-english"


@register_tagger("hf")
class HFTagger(SourceTagger):
    """A token-classification model; ``device`` defaults to ``cuda`` when available."""

    name = "hf"
    unsigned = frozenset({"batch_size", "device"})

    def __init__(
        self,
        model: str | Path = DEFAULT_MODEL,
        *,
        batch_size: int = 32,
        max_length: int = 256,
        device: str | None = None,
        label_map: LabelMap | None = None,
        precision: str = "auto",
    ) -> None:
        from xlner.tagging.tagger import INFERENCE_PRECISIONS

        self.model = str(model)
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.precision = check_precision(precision, INFERENCE_PRECISIONS)
        self.label_map = dict(label_map) if label_map is not None else None
        self._tagger: Any = None

    def derived_signature(self) -> dict[str, Any]:
        return {
            "label_map": self.label_map or "identity",
            "precision": resolve_precision(self.precision, self.device),
            "transformers_version": version("transformers"),
        }

    @property
    def tagger(self) -> Any:
        if self._tagger is None:
            self._tagger = load_token_tagger(
                self.model, self.max_length, self.device, self.precision
            )
        return self._tagger

    @property
    def labels(self) -> list[str]:
        return list(self.tagger.labels)

    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        return rename(
            self.tagger.predict_spans(sentences, batch_size=self.batch_size), self.label_map
        )


def load_token_tagger(
    name_or_path: str, max_length: int, device: str | None, precision: str = "auto"
) -> Any:
    """A :class:`TokenTagger` around any ``AutoModelForTokenClassification``."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from xlner.tagging.tagger import META_FILE, TokenTagger

    if (Path(name_or_path) / META_FILE).is_file():
        return TokenTagger.load(name_or_path, device=device, precision=precision)
    quiet_transformers()
    model = AutoModelForTokenClassification.from_pretrained(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    labels = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    for position, label in enumerate(labels):
        try:
            split_tag(label, position)
        except TagError:
            raise ValueError(
                f"{name_or_path}: label {label!r} is not a B-/I-/O tag; a NER source tagger "
                "needs a model whose config.id2label holds tags such as B-PER"
            ) from None
    return TokenTagger(
        model.eval(), tokenizer, labels, max_length=max_length, device=device, precision=precision
    )
