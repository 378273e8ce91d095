"""Model transfer: a tagger fine-tuned on English CoNLL-2003, applied to other languages as is.

Scores the tagger on the CoNLL-2003 English test set, on Europarl-NER (en, de, es, it) and on
the MasakhaNER 2.0 test sets of the languages xlner pairs with human translations. MasakhaNER
has DATE and no MISC, a CoNLL tagger has MISC and no DATE: both are dropped there, on gold and
prediction alike, as in the literature.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from xlner.bench.report import format_table
from xlner.corpora import get_corpus
from xlner.evaluate import evaluate_spans
from xlner.io import atomic_write_bytes
from xlner.registry import registry
from xlner.signature import make_signature
from xlner.tagging.tagger import DEFAULT_ENCODER
from xlner.tagging.xlner import TRAINING_LANGUAGES
from xlner.types import TaggedSentence

EUROPARL = ("en", "de", "es", "it")
MASAKHANER = ("lug", "tsn", "twi", "ewe", "wol")
# Published model-transfer F1 of XLM-R-large fine-tuned on CoNLL-2003 (Politov et al. 2025).
PUBLISHED_XLMR_LARGE = {
    "conll2003/test": 92.9,
    "europarl/de": 67.5,
    "europarl/es": 74.1,
    "europarl/it": 69.6,
    "masakhaner2/lug": 61.6,
    "masakhaner2/tsn": 48.5,
    "masakhaner2/twi": 46.4,
    "masakhaner2/ewe": 71.4,
    "masakhaner2/wol": 54.1,
}


def evaluation_sets(data_dir: Path) -> dict[str, tuple[list[TaggedSentence], str]]:
    """Test sets by name, each with the label map that makes it comparable to CoNLL's classes."""
    sets: dict[str, tuple[list[TaggedSentence], str]] = {
        "conll2003/test": (get_corpus("conll2003").load(split="test", data_dir=data_dir), "none")
    }
    europarl = get_corpus("europarl-ner")
    for lang in EUROPARL:
        sets[f"europarl/{lang}"] = (europarl.load(lang=lang, data_dir=data_dir), "none")
    masakhaner = get_corpus("masakhaner2")
    for lang in MASAKHANER:
        sentences = masakhaner.load(lang=lang, split="test", data_dir=data_dir)
        sets[f"masakhaner2/{lang}"] = (sentences, "drop-date-misc")
    return sets


def evaluate_tagger(
    tagger: Any,
    data_dir: Path,
    progress: Callable[[str], None] = lambda message: None,
    export_dir: Path | None = None,
) -> dict[str, Any]:
    """Span F1 of ``tagger`` on every evaluation set; optionally save its probabilities."""
    results = {}
    for name, (sentences, label_map) in evaluation_sets(data_dir).items():
        progress(f"tagging {name} ({len(sentences)} sentences)")
        t0 = time.perf_counter()
        probabilities = tagger.predict_proba([s.tokens for s in sentences])
        seconds = time.perf_counter() - t0
        predicted = [decode(p, tagger.labels) for p in probabilities]
        scores = evaluate_spans(
            [s.spans for s in sentences],
            predicted,
            [len(s.tokens) for s in sentences],
            registry.label_maps.get(label_map),
        )
        results[name] = {
            "f1": scores.f1,
            "label_map": label_map,
            "sentences_per_second": len(sentences) / seconds,
            "published_xlmr_large": PUBLISHED_XLMR_LARGE.get(name),
            "scores": scores.as_dict(),
        }
        if export_dir is not None:
            save_probabilities(
                export_dir / f"{name.replace('/', '-')}.npz",
                sentences,
                probabilities,
                tagger.labels,
            )
    return results


def decode(probabilities: np.ndarray, labels: Sequence[str]) -> list:
    """Most probable tag per word, decoded to spans (a stray I- starts an entity)."""
    from xlner.tags import tags_to_spans

    tags = [labels[i] for i in probabilities.argmax(axis=1)] if len(probabilities) else []
    return tags_to_spans(tags, repair=True)


def save_probabilities(
    path: Path,
    sentences: Sequence[TaggedSentence],
    probabilities: Sequence[np.ndarray],
    labels: Sequence[str],
) -> None:
    """One npz: label list, word counts and the stacked (words × labels) probabilities."""
    with atomic_write_bytes(path) as out:
        np.savez_compressed(
            out,
            labels=np.array(labels),
            lengths=np.array([len(s.tokens) for s in sentences]),
            probabilities=np.concatenate(probabilities).astype(np.float16),
        )


def run_model_transfer(
    data_dir: Path,
    model_dir: Path,
    *,
    train: bool = False,
    config: Any = None,
    encoder: str = DEFAULT_ENCODER,
    progress: Callable[[str], None] = lambda message: None,
    export_dir: Path | None = None,
) -> dict[str, Any]:
    """Train (if asked, resuming from ``model_dir``'s checkpoints) and evaluate a tagger."""
    from xlner.tagging import TokenTagger, TrainConfig, fit, labels_from

    started = time.perf_counter()
    history: list[dict[str, Any]] = []
    train_seconds = None
    config = config or TrainConfig()
    if train:
        conll = get_corpus("conll2003")
        train_set = conll.load(split="train", data_dir=data_dir)
        tagger = TokenTagger.from_encoder(encoder, labels_from(train_set))
        tagger.languages = TRAINING_LANGUAGES
        progress(f"training on CoNLL-2003 train ({len(train_set)} sentences) into {model_dir}")
        t0 = time.perf_counter()
        history = fit(
            tagger,
            train_set,
            dev=conll.load(split="valid", data_dir=data_dir),
            config=config,
            output_dir=model_dir,
            progress=lambda report: progress(str(report)),
        )
        train_seconds = time.perf_counter() - t0
    tagger = TokenTagger.load(model_dir)
    results = evaluate_tagger(tagger, data_dir, progress, export_dir)
    signed = {
        "method": "model-transfer",
        "encoder": tagger.encoder or encoder,
        "train": "conll2003/train",
        **({"training": asdict(config)} if train else {}),
    }
    return {
        "benchmark": "model-transfer",
        **make_signature(signed).stored(),
        "device": str(tagger.model.device),
        "train_seconds": train_seconds,
        "history": history,
        "results": results,
        "wall_seconds": time.perf_counter() - started,
    }


def format_results(result: dict[str, Any]) -> str:
    """Plain text: F1 per test set beside the published XLM-R-large figure, then the signature."""
    rows = []
    for name, row in result["results"].items():
        published = row["published_xlmr_large"]
        rows.append(
            [name, f"{row['f1']:.1f}", f"{published:.1f}" if published is not None else "-"]
            + [f"{row['sentences_per_second']:.1f}", row["label_map"]]
        )
    lines = [format_table(["test set", "F1", "XLM-R-L", "sent/s", "labels"], rows)]
    if result["train_seconds"] is not None:
        lines.append(f"training: {result['train_seconds']:.0f} s on {result['device']}")
    lines.append(result["signature"])
    return "\n".join(lines)
