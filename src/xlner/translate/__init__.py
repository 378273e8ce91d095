"""Machine translation for translate-test transfer: one interface, one module per backend.

Pick a backend by name with :func:`get_translator`: ``"nllb"`` (NLLB-200 or any transformers
seq2seq model), ``"apertium"`` (the rule-based command-line translator) or ``"parallel"``
(existing human translations, e.g. the MAFAND-MT side of ``masakhaner2-parallel``).
"""

from xlner.translate.base import (
    TranslationError,
    Translator,
    available_translators,
    get_translator,
    register_translator,
)

__all__ = [
    "TranslationError",
    "Translator",
    "available_translators",
    "get_translator",
    "register_translator",
]
