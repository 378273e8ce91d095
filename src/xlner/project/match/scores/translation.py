"""Translation score: NMTScore's normalised "direct" similarity (Vamvas & Sennrich, 2022).

For entity text ``a`` and candidate text ``b``,

    sim(a -> b) = P(b | a) / P(b | b)

where ``P`` is the length-normalised probability ``exp(mean token log-prob)`` of a translation
model. Dividing by the self-translation probability removes how easy ``b`` is to produce at
all (short or frequent strings), so what remains is how well ``a`` explains ``b``. The score
averages both directions, ``(sim(a -> b) + sim(b -> a)) / 2``.

Differences from NMTScore: it raises 2 rather than e to the mean log-prob (a monotone change)
and does not clip; here the ratio is clipped to ``[0, 1]`` by default so that it can be fused
with scores of that range.

A model is reached through :class:`ScoringTranslator`; :class:`HFSeq2SeqScorer` implements it
for Hugging Face seq2seq models (Marian, NLLB, M2M100, BART ...). torch and transformers are
imported only when that class is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from xlner.project.match.scores.base import MatchContext, Score
from xlner.quiet import quiet_transformers
from xlner.registry import registry


@runtime_checkable
class ScoringTranslator(Protocol):
    """Scores given translations: mean token log-probability of each target given its source."""

    def score(
        self,
        sources: list[str],
        targets: list[str],
        *,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> list[float]: ...


@registry.scores.register("translation")
class TranslationScore(Score):
    """NMTScore-style direct similarity between entity and candidate texts.

    ``source_lang`` / ``target_lang`` are passed to the translator as language codes (needed by
    multilingual models such as NLLB: ``eng_Latn``, ``lug_Latn``). Model calls are cached
    across sentences, since the same strings (self-translations above all) recur.
    """

    name = "translation"
    # Signed as the scoring model's name and the language pair; the cache changes nothing.
    unsigned = frozenset({"translator", "source_lang", "target_lang", "cache_size"})

    def __init__(
        self,
        translator: ScoringTranslator,
        source_lang: str | None = None,
        target_lang: str | None = None,
        symmetric: bool = True,
        clip: bool = True,
        cache_size: int = 100_000,
    ) -> None:
        self.translator = translator
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.symmetric = symmetric
        self.clip = clip
        self.cache_size = cache_size
        self._cache: dict[tuple[str, str, str | None, str | None], float] = {}

    def score(self, ctx: MatchContext) -> np.ndarray:
        n_ent, n_cand = ctx.shape
        if n_ent == 0 or n_cand == 0:
            return np.zeros((n_ent, n_cand))
        ents, cands = ctx.entity_texts(), ctx.candidate_texts()
        src, tgt = self.source_lang, self.target_lang
        result = self._direct(ents, cands, src, tgt)
        if self.symmetric:
            result = (result + self._direct(cands, ents, tgt, src).T) / 2
        return np.clip(result, 0.0, 1.0) if self.clip else result

    def maximum(self, longest: float) -> float:
        return 1.0 if self.clip else super().maximum(longest)

    def _direct(
        self, a: list[str], b: list[str], a_lang: str | None, b_lang: str | None
    ) -> np.ndarray:
        """``(len(a), len(b))`` matrix of ``P(b | a) / P(b | b)``."""
        pairs = [(x, y, a_lang, b_lang) for x in a for y in b]
        selves = [(y, y, b_lang, b_lang) for y in b]
        logp = self._log_probs(pairs + selves)
        cross = np.array([logp[p] for p in pairs]).reshape(len(a), len(b))
        self_lp = np.array([logp[p] for p in selves])
        return np.exp(cross - self_lp[None, :])

    def _log_probs(
        self, keys: list[tuple[str, str, str | None, str | None]]
    ) -> dict[tuple[str, str, str | None, str | None], float]:
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        by_langs: dict[tuple[str | None, str | None], list[tuple[str, str]]] = {}
        for x, y, sl, tl in todo:
            by_langs.setdefault((sl, tl), []).append((x, y))
        found = {k: self._cache[k] for k in keys if k in self._cache}
        for (sl, tl), texts in by_langs.items():
            values = self.translator.score(
                [x for x, _ in texts], [y for _, y in texts], src_lang=sl, tgt_lang=tl
            )
            for (x, y), value in zip(texts, values, strict=True):
                found[(x, y, sl, tl)] = float(value)
        if len(self._cache) + len(todo) > self.cache_size:
            self._cache.clear()
        self._cache.update({k: found[k] for k in todo})
        return found

    def derived_signature(self) -> dict[str, object]:
        model = getattr(self.translator, "name", type(self.translator).__name__)
        return {
            f"{self.name}.model": str(model),
            f"{self.name}.langs": f"{self.source_lang}-{self.target_lang}",
        }


class HFSeq2SeqScorer:
    """:class:`ScoringTranslator` for a Hugging Face seq2seq model, given by name or path.

    ``src_lang`` / ``tgt_lang`` are defaults for tokenisers that take language codes (NLLB,
    M2M100, mBART); the per-call codes override them. Special tokens other than end-of-sentence
    and unknown (language codes or BOS forced at the start) are left out of the mean, since the
    model does not choose them. Runs on the GPU when one is available, unless ``device`` says
    otherwise.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        batch_size: int = 32,
        device: str | None = None,
        max_length: int = 128,
    ) -> None:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        from xlner.encoders.base import default_device

        self.name = str(model)
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device or default_device()
        quiet_transformers()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(model))
        self.model: Any = AutoModelForSeq2SeqLM.from_pretrained(str(model)).to(self.device)
        self.model.eval()
        kept = {self.tokenizer.eos_token_id, self.tokenizer.unk_token_id}
        self._ignored = sorted(set(self.tokenizer.all_special_ids) - kept)

    def score(
        self,
        sources: list[str],
        targets: list[str],
        *,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> list[float]:
        if len(sources) != len(targets):
            raise ValueError(f"{len(sources)} sources but {len(targets)} targets")
        self._set_langs(src_lang or self.src_lang, tgt_lang or self.tgt_lang)
        scores: list[float] = []
        for lo in range(0, len(sources), self.batch_size):
            hi = lo + self.batch_size
            scores.extend(self._score_batch(sources[lo:hi], targets[lo:hi]))
        return scores

    def _set_langs(self, src_lang: str | None, tgt_lang: str | None) -> None:
        if src_lang is not None and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = src_lang
        if tgt_lang is not None and hasattr(self.tokenizer, "tgt_lang"):
            self.tokenizer.tgt_lang = tgt_lang

    def _score_batch(self, sources: list[str], targets: list[str]) -> list[float]:
        import torch

        kwargs = {"padding": True, "truncation": True, "max_length": self.max_length}
        enc = self.tokenizer(sources, return_tensors="pt", **kwargs)
        # Only what every seq2seq model takes (some tokenisers add token_type_ids).
        inputs = {k: enc[k].to(self.device) for k in ("input_ids", "attention_mask")}
        tgt = self.tokenizer(text_target=targets, return_tensors="pt", **kwargs).to(self.device)
        ids, mask = tgt["input_ids"], tgt["attention_mask"].bool()
        labels = ids.masked_fill(~mask, -100)
        with torch.no_grad():
            logits = self.model(**inputs, labels=labels).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        token_lp = logp.gather(-1, ids.unsqueeze(-1)).squeeze(-1)
        counted = mask & ~torch.isin(ids, torch.tensor(self._ignored, device=ids.device))
        total = (token_lp * counted).sum(-1)
        return (total / counted.sum(-1).clamp(min=1)).tolist()
