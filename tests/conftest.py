"""Shared fixtures.

The real corpora are never part of the repository. Tests that need them use ``shared_data``,
which finds them through ``$XLNER_DATA`` or the ``shared/data`` folder beside the checkout,
and skips when neither exists.
"""

from __future__ import annotations

import os
import shutil
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


TINY_BERT_LAYERS = 2  # the tiny BERT's (tiny_models.save_tiny_bert)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny local BERT whose vocabulary holds every word of the built-in sample."""
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    from xlner.pipeline.sample import load_sample

    english, spanish = load_sample()
    words = sorted({w for s in english + spanish for w in s.tokens})
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), words)


@pytest.fixture
def tiny_presets(tiny_bert: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped presets with the tiny BERT (its last layer) in place of e5-small, so that
    tests run the default preset in seconds. A test-only override: the shipped files are not
    changed."""
    from xlner import presets

    shipped = presets.load_preset

    def load(name: str) -> dict:
        preset = shipped(name)
        for member in preset["align"]["options"].get("members", {}).values():
            if member.get("aligner", "simalign") == "simalign" and "model" in member:
                member |= {"model": str(tiny_bert), "layer": TINY_BERT_LAYERS}
        return preset

    monkeypatch.setattr(presets, "load_preset", load)
    return tiny_bert


# ----------------------------------------------------------------------------- a browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


@pytest.fixture
def browser(tmp_path: Path):
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
