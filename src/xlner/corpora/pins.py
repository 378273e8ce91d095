"""The pinned content of the corpus files: the SHA-256 of every file fetched from an origin.

``sha256sums.txt`` beside this module (``sha256sum`` format, paths relative to the data
directory) is read by the fetch (:mod:`xlner.corpora.fetch`: a download that does not match
is not written) and by the catalogue (``xlner data list``: a file present that does not match
is damaged, not present). It imports nothing of xlner, so both can.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path


@functools.cache
def pinned_checksums() -> dict[str, str]:
    """The SHA-256 of every file fetched from an origin, by path in the data directory."""
    text = files("xlner.corpora").joinpath("sha256sums.txt").read_text(encoding="utf-8")
    pinned = {}
    for line in text.splitlines():
        digest, _, relpath = line.partition("  ")
        if relpath:
            pinned[relpath] = digest
    return pinned


def pin_of(relpath: str) -> str | None:
    """The pinned SHA-256 of ``relpath`` (a path in the data directory); None for a file
    without a pin (a derived one)."""
    return pinned_checksums().get(relpath)


def matches_pin(path: Path, relpath: str) -> bool:
    """True when the file ``path`` (``relpath`` in the data directory) has its pinned
    content, or has no pin (derived files)."""
    expected = pin_of(relpath)
    if expected is None:
        return True
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest() == expected


def damaged_files(relpaths: Iterable[str], root: Path) -> list[str]:
    """The files of ``relpaths`` present in ``root`` whose content is not the pinned one."""
    return [rel for rel in relpaths if (root / rel).is_file() and not matches_pin(root / rel, rel)]
