"""The keys that name the silver caches and the silver benchmark's stages, pinned.

Existing run folders are read back by these keys: the tagging and alignment caches of
``xlner silver`` (``cache/tag-<key16>``, ``cache/align-<key16>``), its shards
(``shards/<key16>``), and ``xlner benchmark silver``'s stage folders (``silver-<key12>``,
``train-<key12>``, ...) and row files (``row-<key12>.json``). The hex strings below were
computed before the silver job and the benchmark were refactored (issue 21); a change of
any of them means that existing runs are computed again. The components are the fakes of
``pipeline_fakes``, whose signatures are fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from entry_point import xlner_cli
from pipeline_fakes import fresh_counters  # noqa: F401 (an autouse fixture)

from xlner.corpora.conll import write_conll
from xlner.types import Span, TaggedSentence

ENGLISH = ["Anna visits Berlin today .", "Ravi met Mona at noon .", "we saw Omar there ."]
SWAHILI = ["Anna anatembelea Berlin leo .", "Ravi alikutana na Mona .", "tuliona Omar huko ."]


def _lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _data(root: Path) -> Path:
    """MAFAND-MT en-lug (train and dev) and MasakhaNER 2.0 lug, whose test sentence is the
    bitext's dev sentence."""
    folder = root / "mafand-mt" / "text_files" / "en-lug"
    _lines(folder / "train.en", ENGLISH[:2])
    _lines(folder / "train.lug", SWAHILI[:2])
    _lines(folder / "dev.en", ENGLISH[2:])
    _lines(folder / "dev.lug", SWAHILI[2:])
    _lines(folder / "test.en", ["Sara wrote to Li ."])
    _lines(folder / "test.lug", ["Sara yawandiikira Li ."])
    gold = root / "masakhaner2" / "lug"
    sentence = TaggedSentence(SWAHILI[0].split(), [Span(0, 1, "PER")])
    for split in ("train", "dev"):
        write_conll(gold / f"{split}.txt", [sentence])
    test = TaggedSentence(SWAHILI[2].split(), [Span(1, 2, "PER")])
    write_conll(gold / "test.txt", [test])
    return root


def _folders(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir())


def test_the_silver_cache_keys_are_pinned(capsys, tmp_path) -> None:
    english, swahili = _lines(tmp_path / "en.txt", ENGLISH), _lines(tmp_path / "sw.txt", SWAHILI)
    args = ("--source", english, "--target", swahili, "--tagger", "test-caps")
    args += ("--aligner", "test-diagonal", "--preset", "light")
    output = tmp_path / "out"
    result = xlner_cli(capsys, "silver", "-o", output, *args)
    assert result.code == 0, result.err
    assert _folders(output / "cache") == ["align-2216f2434378c85f", "tag-f9ba881e1233254c"]
    sharded = tmp_path / "sharded"
    result = xlner_cli(capsys, "silver", "-o", sharded, *args, "--shard-size", "2")
    assert result.code == 0, result.err
    assert _folders(sharded / "shards") == ["6ea22986e895a698"]


def test_the_silver_benchmark_keys_are_pinned(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from xlner.bench import silver as bench

    data = _data(tmp_path / "data")
    config = tmp_path / "keys.toml"
    config.write_text(
        'preset = "light"\n[align]\naligner = "test-diagonal"\n'
        '[tagger]\nname = "test-caps"\n[train]\ninit = "encoder"\nencoder = "tiny"\n'
        "[selection]\nmin_length = 1\n[train.config]\nmax_steps = 2\n",
        encoding="utf-8",
    )
    settings = bench.load_settings(str(config))
    step = bench.plan("lug", settings, tmp_path / "runs", data)
    work = bench.prepare(step, settings, data)
    assert work.keys == {
        "silver": "95407a5910ba0aeb0b405a585a3d9261c0d21c4d5411a4b9ef638d807a65c19b",
        "train": "f40c669e31f50af62522727b29cb0486fbba167e69d4c8947df91402dee3d6a6",
        "evaluate": "e6eab78e565f4dd10a0feab1e41746634af6c4fe37ed636b53a32c62b48bf84f",
        "transfer": "0b8a88a878ffe573717e06503054e7009a48bd69fc3c1ef3dbbea50a9fc879e1",
    }
    assert bench.row_name(bench.row_key(work.keys)) == "row-dd690bd28248.json"
