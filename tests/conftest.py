"""Shared fixtures.

The real corpora are never part of the repository. Tests that need them use ``shared_data``,
which finds them through ``$XLNER_DATA`` or the ``shared/data`` folder beside the checkout,
and skips when neither exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"


def _find_shared_data() -> Path | None:
    from_env = os.environ.get("XLNER_DATA")
    candidates = [Path(from_env)] if from_env else []
    candidates.append(_BESIDE_CHECKOUT)
    return next((path for path in candidates if path.is_dir()), None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The directory holding the real corpora; skips the test when there is none."""
    found = _find_shared_data()
    if found is None:
        pytest.skip("real corpora not available (set XLNER_DATA or provide ../shared/data)")
    return found


@pytest.fixture
def require(shared_data: Path):
    """``require("conll2003/test.txt")``: the file's path, or skip when it is missing."""

    def _require(relpath: str) -> Path:
        path = shared_data / relpath
        if not path.exists():
            pytest.skip(f"{relpath} not in {shared_data}")
        return path

    return _require


@pytest.fixture
def sample(tmp_path: Path) -> tuple[Path, Path]:
    """The built-in sample as files: English with tags, Spanish with tags."""
    from xlner.corpora.conll import write_conll
    from xlner.pipeline.sample import load_sample

    english, spanish = load_sample()
    write_conll(tmp_path / "en.conll", english)
    write_conll(tmp_path / "es.conll", spanish)
    return tmp_path / "en.conll", tmp_path / "es.conll"
