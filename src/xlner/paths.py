"""Where xlner keeps what it fetches, converts or trains: folders of the user cache."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/xlner/<parts>``, or ``~/.cache/xlner/<parts>``.

    Corpora live in ``data``, converted models in ``models``, trained taggers in ``taggers``.
    """
    cache = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base.joinpath("xlner", *parts)
