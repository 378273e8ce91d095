"""Word alignment: the aligner interface, its registry, symmetrisation and backends.

Pick a backend by name with :func:`get_aligner`, e.g. ``get_aligner("eflomal")``.
"""

from xlner.align.base import (
    Aligner,
    SentencePair,
    available_aligners,
    get_aligner,
    register_aligner,
)
from xlner.align.symmetrize import METHODS, symmetrize

__all__ = [
    "METHODS",
    "Aligner",
    "SentencePair",
    "available_aligners",
    "get_aligner",
    "register_aligner",
    "symmetrize",
]
