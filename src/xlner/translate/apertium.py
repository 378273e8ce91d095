"""Rule-based translation with Apertium, run as the ``apertium`` command.

Apertium translates a text stream, not a list of sentences: it may join a line to the next
(multiword units across a line break) and its ``line`` format drops sentence-final
punctuation, and the deformatter of the ``txt`` format strips the NUL bytes that its
null-flush mode (``-z``) relies on. So alignment is guaranteed another way: the sentences of
a batch are sent in one call separated by a marker line (an unknown all-capital word, which
Apertium copies through unchanged), and the output is split at the markers. When the number
of markers that come back is wrong, that batch is translated again one sentence per call.

Language pairs are Debian packages, e.g. ``apt-get install apertium-eng-spa`` gives the
directions ``eng-spa`` and ``spa-eng``; a missing direction raises an error that names the
package to install.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from functools import cache
from typing import Any

from xlner.languages import iso1, iso3
from xlner.translate.base import TranslationError, Translator, register_translator

logger = logging.getLogger(__name__)

MARKER = "XLNERSEPARATORLINE"
_MARKER_RE = re.compile(rf"\s*\b{MARKER}\b\s*", re.IGNORECASE)

# Debian package of each language pair whose name is not apertium-<src>-<tgt> or its reverse.
DEBIAN_PACKAGES: dict[frozenset[str], str] = {
    frozenset({"eng", "spa"}): "apertium-eng-spa",
    frozenset({"eng", "cat"}): "apertium-eng-cat",
    frozenset({"fra", "cat"}): "apertium-fra-cat",
    frozenset({"spa", "cat"}): "apertium-spa-cat",
    frozenset({"spa", "ita"}): "apertium-spa-ita",
    frozenset({"fra", "spa"}): "apertium-fr-es",
    frozenset({"eng", "deu"}): "apertium-eng-deu",
}


def debian_package(src: str, tgt: str) -> str:
    """The Debian package that is likely to hold the pair (a guess outside the table)."""
    return DEBIAN_PACKAGES.get(frozenset({src, tgt}), f"apertium-{src}-{tgt}")


@cache
def installed_modes(binary: str = "apertium") -> tuple[str, ...]:
    """The translation directions ``apertium -l`` lists (cached per binary)."""
    result = subprocess.run([binary, "-l"], capture_output=True, text=True, check=False)
    return tuple(line.strip() for line in result.stdout.splitlines() if line.strip())


@register_translator("apertium")
class ApertiumTranslator(Translator):
    """Apertium via its command line; ``mark_unknown`` keeps its ``*`` before unknown words."""

    name = "apertium"
    unsigned = frozenset({"binary", "batch_size", "timeout"})

    def __init__(
        self,
        *,
        binary: str = "apertium",
        batch_size: int = 200,
        mark_unknown: bool = False,
        timeout: float = 600.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.binary = binary
        self.batch_size = batch_size
        self.mark_unknown = mark_unknown
        self.timeout = timeout

    def derived_signature(self) -> dict[str, Any]:
        return {"apertium_version": self._version()}

    def mode(self, src_lang: str, tgt_lang: str) -> str:
        """The installed direction for the pair (``eng-spa`` or ``en-es``), else an error."""
        path = shutil.which(self.binary)
        if path is None:
            raise TranslationError(
                f"{self.binary!r} is not installed: install Apertium and a language pair, "
                f"e.g. `apt-get install apertium {debian_package(iso3(src_lang), iso3(tgt_lang))}`"
            )
        src, tgt = iso3(src_lang), iso3(tgt_lang)
        candidates = [f"{src}-{tgt}"]
        if iso1(src) and iso1(tgt):
            candidates.append(f"{iso1(src)}-{iso1(tgt)}")
        modes = installed_modes(self.binary)
        for candidate in candidates:
            if candidate in modes:
                return candidate
        raise TranslationError(
            f"Apertium has no {src}-{tgt} direction (installed: {', '.join(modes) or 'none'}); "
            f"install the Debian package {debian_package(src, tgt)} "
            f"(`apt-get install {debian_package(src, tgt)}`; `apt-cache search apertium` "
            "lists the pairs)"
        )

    def translate_batch(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        mode = self.mode(src_lang, tgt_lang)
        # A line break inside a sentence would be kept and break the one-line-per-sentence
        # contract of the caller; the marker must not occur in the text either.
        clean = [_MARKER_RE.sub(" ", " ".join(text.split())) for text in sentences]
        if not clean:
            return []
        pieces = _MARKER_RE.split(self._run(mode, f"\n{MARKER}\n".join(clean)))
        if len(pieces) != len(clean):
            logger.warning(
                "apertium %s returned %d pieces for %d sentences; translating them one by one",
                mode,
                len(pieces),
                len(clean),
            )
            pieces = [self._run(mode, text) for text in clean]
        return [" ".join(piece.split()) for piece in pieces]

    def _run(self, mode: str, text: str) -> str:
        if not text.strip():
            return ""
        command = [self.binary, *([] if self.mark_unknown else ["-u"]), mode]
        result = subprocess.run(
            command, input=text, capture_output=True, text=True, timeout=self.timeout, check=False
        )
        if result.returncode != 0:
            raise TranslationError(
                f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result.stdout

    def _version(self) -> str:
        if shutil.which(self.binary) is None:
            return "absent"
        result = subprocess.run([self.binary, "-V"], capture_output=True, text=True, check=False)
        lines = (result.stdout or result.stderr).strip().splitlines()
        return lines[0] if lines else "unknown"
