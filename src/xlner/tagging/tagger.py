"""A token-classification NER tagger on a transformers encoder (e.g. the converted e5-small).

Words are labelled on their first subword (the other subwords are ignored in the loss and in
prediction). Sentences longer than ``max_length`` subwords are split into consecutive chunks of
whole words that each fit, for training and prediction alike, so no word is ever dropped.

``predict_proba`` returns, per sentence, a (n_words, n_labels) array of label probabilities in
the order of :attr:`TokenTagger.labels`; ``predict`` and ``predict_spans`` decode its argmax.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.errors import InputError
from xlner.io import atomic_write, files_into, remove_file
from xlner.quiet import quiet_transformers
from xlner.tags import OUTSIDE, UNKNOWN, split_tag, tags_to_spans
from xlner.types import Span, TaggedSentence, Tokens

if TYPE_CHECKING:  # numpy, as torch, is imported where used: the command line imports this module
    import numpy as np

META_FILE = "xlner-tagger.json"
IGNORE = -100  # label id the loss skips: non-first subwords, specials, padding, unknown words
# Number formats of prediction (training keeps float32 weights): ``auto`` is bfloat16 where
# the CPU or GPU computes in it natively (xlner.encoders.base.resolve_precision).
INFERENCE_PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass
class Chunk:
    """Model input for a run of whole words of one sentence."""

    sentence: int
    first_word: int
    input_ids: list[int]
    word_positions: list[int]  # subword position of each word's first piece, -1 if none
    labels: list[int] | None = None


def labels_from(sentences: Iterable[TaggedSentence]) -> list[str]:
    """``O`` followed by ``B-X``, ``I-X`` for every class X in the data, sorted by class."""
    classes = {span.label for sentence in sentences for span in sentence.spans}
    return [OUTSIDE] + [f"{prefix}-{label}" for label in sorted(classes) for prefix in "BI"]


def read_meta(path: str | Path) -> dict[str, Any]:
    """The metadata of the tagger saved in ``path``; a one-line InputError if it is none."""
    path = Path(path)
    meta_file = path / META_FILE
    if not path.is_dir():
        raise InputError(path, None, "no such tagger directory")
    if not meta_file.is_file():
        raise InputError(path, None, f"not a saved xlner tagger (no {META_FILE})")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(meta_file, None, f"unreadable tagger metadata: {error}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("labels"), list):
        raise InputError(meta_file, None, "tagger metadata without a label list")
    return meta


@contextmanager
def _loading(path: Path) -> Iterator[None]:
    """A tagger folder whose weights are missing, damaged or hold code (refused by
    ``weights_only``) is a one-line InputError naming the folder."""
    try:
        yield
    except pickle.UnpicklingError:
        problem = "its weights hold objects other than tensors; refusing to load them"
        raise InputError(path, None, problem) from None
    except (OSError, ValueError, RuntimeError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InputError(path, None, f"cannot load the tagger's model: {first}") from None


# The encoder ``xlner train tagger`` and the model-transfer benchmark fine-tune by default.
DEFAULT_ENCODER = "e5-small"


class ArgmaxDecoding:
    """Tags and spans from the label probabilities of a tagger (``labels``, ``predict_proba``):
    a :class:`TokenTagger`, an ensemble of them."""

    labels: list[str]

    def predict_proba(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[np.ndarray]:
        raise NotImplementedError

    def predict(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[list[str]]:
        """The most probable tag of every word (not constrained to valid IOB2)."""
        return [
            [self.labels[i] for i in probs.argmax(axis=1)]
            for probs in self.predict_proba(sentences, batch_size)
        ]

    def predict_spans(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[list[Span]]:
        """Entity spans of the argmax tags; a stray ``I-X`` starts an entity (CoNLL rule)."""
        return [tags_to_spans(tags, repair=True) for tags in self.predict(sentences, batch_size)]


class TokenTagger(ArgmaxDecoding):
    """An ``AutoModelForTokenClassification`` with its tokenizer and IOB2 label list.

    ``languages``: the languages of its training data (``("en",)`` for CoNLL-2003), saved in
    its metadata; empty when unknown (taggers saved before xlner recorded them).
    """

    languages: tuple[str, ...] = ()

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        labels: Sequence[str],
        *,
        max_length: int = 128,
        encoder: str | None = None,
        device: str | None = None,
        precision: str = "auto",
    ) -> None:
        from xlner.encoders.base import check_precision, default_device

        check_precision(precision, INFERENCE_PRECISIONS)
        if not tokenizer.is_fast:
            raise ValueError("the tagger needs a fast tokenizer (for word_ids)")
        for position, label in enumerate(labels):
            split_tag(label, position)
        budget = max_length - tokenizer.num_special_tokens_to_add()
        if budget < 1:
            raise ValueError(f"max_length {max_length} leaves no room for subwords")
        self.model = model.to(device or default_device())
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.max_length = max_length
        self.encoder = encoder
        self.precision = precision

    @classmethod
    def from_encoder(
        cls,
        encoder: str | Path,
        labels: Sequence[str],
        *,
        max_length: int = 128,
        device: str | None = None,
        seed: int = 42,
        precision: str = "auto",
    ) -> TokenTagger:
        """A new tagger: ``encoder`` (name, path, or ``"e5-small"``) + a fresh classifier."""
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        from xlner.encoders.base import resolve_encoder

        path = resolve_encoder(encoder)
        quiet_transformers()  # its LOAD REPORT: the new classifier's weights are missing
        torch.manual_seed(seed)  # the classifier's random initialisation
        model = AutoModelForTokenClassification.from_pretrained(
            path,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
        )
        tokenizer = AutoTokenizer.from_pretrained(path)
        return cls(
            model,
            tokenizer,
            labels,
            max_length=max_length,
            encoder=str(encoder),
            device=device,
            precision=precision,
        )

    # ---------------------------------------------------------------- save / load

    def save(self, path: str | Path) -> Path:
        """Write model, tokenizer and label list to a directory :meth:`load` reads.

        Each file is replaced at once, the metadata last: a folder with metadata is complete.
        Other files in ``path`` (a training run's checkpoints) stay.
        """
        path = Path(path)
        quiet_transformers()
        with files_into(path) as staging:
            self.model.save_pretrained(staging)
            self.tokenizer.save_pretrained(staging)
            remove_file(path / META_FILE)  # until the new metadata is written: incomplete
        meta = {
            "labels": self.labels,
            "max_length": self.max_length,
            "encoder": self.encoder,
            "languages": list(self.languages),
        }
        with atomic_write(path / META_FILE) as out:
            out.write(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(
        cls, path: str | Path, *, device: str | None = None, precision: str = "auto"
    ) -> TokenTagger:
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        path = Path(path)
        meta = read_meta(path)
        quiet_transformers()
        with _loading(path):
            model = AutoModelForTokenClassification.from_pretrained(path)
            tokenizer = AutoTokenizer.from_pretrained(path)
        tagger = cls(
            model,
            tokenizer,
            meta["labels"],
            max_length=meta["max_length"],
            encoder=meta.get("encoder"),
            device=device,
            precision=precision,
        )
        tagger.languages = tuple(meta.get("languages", ()))
        return tagger

    # ------------------------------------------------------------------ encoding

    def chunks(
        self, sentences: Sequence[Tokens], tags: Sequence[Sequence[str]] | None = None
    ) -> list[Chunk]:
        """Model inputs for ``sentences`` (with label ids when ``tags`` are given)."""
        label_ids = {label: i for i, label in enumerate(self.labels)}
        out: list[Chunk] = []
        for index, words in enumerate(sentences):
            sentence_tags = tags[index] if tags is not None else None
            if sentence_tags is not None and len(sentence_tags) != len(words):
                raise ValueError(
                    f"sentence {index}: {len(words)} tokens, {len(sentence_tags)} tags"
                )
            for start, end in self._word_ranges(words):
                chunk = self._encode(index, start, words[start:end])
                if sentence_tags is not None:
                    chunk.labels = self._chunk_labels(chunk, sentence_tags[start:end], label_ids)
                out.append(chunk)
        return out

    def _word_ranges(self, words: Tokens) -> list[tuple[int, int]]:
        """Consecutive [start, end) word ranges whose subwords fit ``max_length``."""
        if not words:
            return []
        import numpy as np

        budget = self.max_length - self.tokenizer.num_special_tokens_to_add()
        # Only counted here, never fed to the model whole: no "longer than the maximum" warning.
        encoding = self.tokenizer(
            words, is_split_into_words=True, add_special_tokens=False, verbose=False
        )
        word_ids = np.array([w for w in encoding.word_ids() if w is not None], dtype=np.int64)
        counts = np.bincount(word_ids, minlength=len(words))
        ranges, start, used = [], 0, 0
        for index, count in enumerate(counts):
            if index > start and used + count > budget:
                ranges.append((start, index))
                start, used = index, 0
            used += count  # one over-long word alone is truncated, keeping its first piece
        ranges.append((start, len(words)))
        return ranges

    def _encode(self, sentence: int, start: int, words: Tokens) -> Chunk:
        encoding = self.tokenizer(
            words, is_split_into_words=True, truncation=True, max_length=self.max_length
        )
        positions = [-1] * len(words)
        for position, word in enumerate(encoding.word_ids()):
            if word is not None and positions[word] < 0:
                positions[word] = position
        return Chunk(sentence, start, list(encoding["input_ids"]), positions)

    def _chunk_labels(
        self, chunk: Chunk, tags: Sequence[str], label_ids: dict[str, int]
    ) -> list[int]:
        labels = [IGNORE] * len(chunk.input_ids)
        for position, tag in zip(chunk.word_positions, tags, strict=True):
            if tag == UNKNOWN:  # partial labels: a word of unknown label teaches nothing
                continue
            if tag not in label_ids:
                raise ValueError(f"tag {tag!r} is not one of the tagger's labels {self.labels}")
            if position >= 0:
                labels[position] = label_ids[tag]
        return labels

    def collate(self, chunks: Sequence[Chunk]) -> dict[str, Any]:
        """Pad chunks into a batch of tensors on the model's device."""
        import torch

        width = max(len(chunk.input_ids) for chunk in chunks)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(chunks), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunks), width), dtype=torch.long)
        labels = torch.full((len(chunks), width), IGNORE, dtype=torch.long)
        for row, chunk in enumerate(chunks):
            n = len(chunk.input_ids)
            ids[row, :n] = torch.tensor(chunk.input_ids)
            mask[row, :n] = 1
            if chunk.labels is not None:
                labels[row, :n] = torch.tensor(chunk.labels)
        batch = {"input_ids": ids, "attention_mask": mask}
        if all(chunk.labels is not None for chunk in chunks):
            batch["labels"] = labels
        device = next(self.model.parameters()).device
        return {key: value.to(device) for key, value in batch.items()}

    # ----------------------------------------------------------------- prediction

    def predict_proba(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[np.ndarray]:
        """Per sentence a (n_words, n_labels) float32 array of label probabilities.

        A word without any subword (e.g. only a zero-width character) gets probability 1 for
        ``O``: it carries no text that could be a name.
        """
        import torch

        out = [self._empty_rows(len(words)) for words in sentences]
        chunks = sorted(self.chunks(sentences), key=lambda chunk: len(chunk.input_ids))
        self.model.eval()
        bf16 = self.inference_precision() == "bfloat16"
        with torch.inference_mode(), torch.autocast(self.device_type, torch.bfloat16, enabled=bf16):
            for start in range(0, len(chunks), batch_size):
                batch = chunks[start : start + batch_size]
                logits = self.model(**self.collate(batch)).logits.float()
                probs = torch.softmax(logits, dim=-1).cpu().numpy()
                for row, chunk in enumerate(batch):
                    for offset, position in enumerate(chunk.word_positions):
                        if position >= 0:
                            out[chunk.sentence][chunk.first_word + offset] = probs[row, position]
        return out

    @property
    def device_type(self) -> str:
        """The type of the device the model is on: ``cpu``, ``cuda`` ..."""
        return next(self.model.parameters()).device.type

    def inference_precision(self) -> str:
        """The number format prediction runs in, ``auto`` resolved for the model's device."""
        from xlner.encoders.base import resolve_precision

        return resolve_precision(self.precision, self.device_type)

    def _empty_rows(self, n_words: int) -> np.ndarray:
        import numpy as np

        rows = np.zeros((n_words, len(self.labels)), dtype=np.float32)
        if OUTSIDE in self.labels:
            rows[:, self.labels.index(OUTSIDE)] = 1.0
        else:
            rows[:] = 1.0 / len(self.labels)
        return rows
