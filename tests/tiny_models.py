"""Tiny randomly initialised models built locally, for tests that need a transformers model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


def wordpiece_tokenizer(words: Sequence[str], *, lowercase: bool = False):
    """A fast BERT-style WordPiece tokenizer: the four special tokens, then ``words``
    (which may hold ``##`` continuation pieces); ``lowercase`` lowercases the input first."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*SPECIALS, *words])}
    backend = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    if lowercase:
        backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )


def save_tiny_bert(path: Path, words: Sequence[str]) -> Path:
    """A 2-layer BERT (width 32) and a WordPiece tokenizer over ``words``, saved to ``path``.

    ``words`` may hold ``##`` continuation pieces; the four special tokens come first.
    """
    import torch
    from transformers import BertConfig, BertModel

    tokenizer = wordpiece_tokenizer(words)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_tiny_token_classifier(
    path: Path, labels: Sequence[str] = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC"), favour="B-LOC"
) -> Path:
    """A random 1-layer BERT whose classifier always prefers ``favour``, and its tokenizer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")

    labels = list(labels)
    tokenizer = wordpiece_tokenizer(
        ["john", "smith", "in", "kam", "##pala", ".", "works"], lowercase=True
    )
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=64,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    model = transformers.BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[labels.index(favour)] = 5.0
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_tiny_nllb(path: Path) -> Path:
    """A random 1-layer M2M100 (NLLB's architecture) with a BPE tokenizer trained here."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    corpus = ["the european parliament met in strasbourg", "john smith works in kampala"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(vocab_size=80, special_tokens=["<s>", "<pad>", "</s>", "<unk>"])
    bpe.train_from_iterator(corpus, trainer)
    spec = json.loads(bpe.to_str())["model"]
    tokenizer = transformers.NllbTokenizer(
        vocab=spec["vocab"], merges=[tuple(merge) for merge in spec["merges"]]
    )
    config = transformers.M2M100Config(
        vocab_size=len(tokenizer),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(0)  # the same random model, and so the same translations, every run
    transformers.M2M100ForConditionalGeneration(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def tiny_ner_dataset(rows: dict, names: Sequence[str] | None = None, tags_feature=None):
    """A ``datasets.Dataset`` of ``tokens`` and ``ner_tags``: ClassLabel ids over ``names``,
    or the given ``tags_feature`` (e.g. plain strings)."""
    datasets = pytest.importorskip("datasets")
    tags = tags_feature or datasets.Sequence(datasets.ClassLabel(names=list(names or [])))
    features = datasets.Features(
        {"tokens": datasets.Sequence(datasets.Value("string")), "ner_tags": tags}
    )
    return datasets.Dataset.from_dict(rows, features=features)
