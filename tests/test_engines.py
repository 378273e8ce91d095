"""Engines: the same results in this process and on a Ray actor pool, shards resumed by any.

The tests marked ``ray`` start one local Ray cluster (2 CPUs, its files in a short temporary
folder) for the session; workers find the tests' fakes through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from engine_fakes import InterruptTagger
from entry_point import xlner_cli
from pipeline_fakes import CALLS, fresh_counters, make_config  # noqa: F401 (autouse fixture)
from test_silver import _files, _lines

from xlner.align.combined import CombinedAligner
from xlner.align.eflomal import EflomalAligner
from xlner.align.simalign import SimAlignAligner
from xlner.engine import build_engine
from xlner.engine.local import LocalEngine
from xlner.engine.ray_data import (
    CONNECT_TIMEOUT,
    MAX_TEMP_DIR,
    RayEngine,
    default_window,
    temp_dir_for,
)
from xlner.pipeline.run import run_pipeline
from xlner.pipeline.sample import load_sample
from xlner.pipeline.stages.task import StageTask, _Window
from xlner.registry import ComponentError, registry
from xlner.signature import parse_signature
from xlner.silver import read_files
from xlner.silver.select import Selection
from xlner.silver.shards import (
    Component,
    SilverShardTask,
    priors_learner,
    run_shards,
    sample_pairs,
)

ENGLISH = [
    "Anna visits Berlin today .",
    "the weather is fine today .",
    "Ravi and Mona met at noon .",
    "Kampala is far from Lagos .",
    "we saw Omar there .",
    "nobody came to the party .",
    "Li wrote to Sara from Paris .",
]
SWAHILI = [
    "Anna anatembelea Berlin leo .",
    "hali ya hewa ni nzuri leo .",
    "Ravi na Mona walikutana mchana .",
    "Kampala iko mbali na Lagos .",
    "tuliona Omar huko jana .",
    "hakuna aliyekuja kwenye sherehe .",
    "Li alimwandikia Sara kutoka Paris .",
]
# The light preset: its heuristic reads the diagonal aligner's plain links.
FAKES = ("--aligner", "test-diagonal", "--preset", "light", "--keep-empty", "1")
SILVER_FILES = ("silver.jsonl", "silver.conll")


@pytest.fixture
def bitext(tmp_path: Path) -> tuple[Path, Path]:
    return _lines(tmp_path / "en.txt", ENGLISH), _lines(tmp_path / "sw.txt", SWAHILI)


def _silver(capsys, output: Path, bitext, *args: object):
    return xlner_cli(capsys, "silver", "-o", output, *_files(bitext), *FAKES, *args)


def _summary(output: Path) -> dict:
    return json.loads((output / "summary.json").read_text(encoding="utf-8"))


def _same_files(a: Path, b: Path) -> bool:
    return all((a / name).read_bytes() == (b / name).read_bytes() for name in SILVER_FILES)


# ---------------------------------------------------------------------------- the seam


class _Double:
    def __init__(self) -> None:
        self.setups = 0

    def setup(self) -> None:
        self.setups += 1

    def process_batch(self, records):
        return [2 * r for r in records]


def test_the_local_engine_sets_up_once_and_keeps_the_order() -> None:
    task = _Double()
    out = list(LocalEngine().map(task, [(0, [1, 2]), (1, [3]), (2, [])]))
    assert out == [(0, [2, 4]), (1, [6]), (2, [])] and task.setups == 1


def test_engines_are_a_catalogue_with_checked_options() -> None:
    assert {"local", "ray"} <= set(registry.engines.available())
    assert isinstance(build_engine(), LocalEngine)
    with pytest.raises(ComponentError, match="unknown engine 'spark'"):
        build_engine("spark")
    with pytest.raises(ComponentError, match=r"max_actors \(1\) is below min_actors \(2\)"):
        build_engine("ray", min_actors=2, max_actors=1)
    with pytest.raises(ComponentError, match="has no option 'workers'"):
        build_engine("ray", workers=2)


def test_the_ray_window_grows_with_the_pool_unless_set() -> None:
    assert RayEngine().window == default_window(2) == 16
    assert RayEngine(max_actors=8).window == 32 and RayEngine(max_actors=8, window=3).window == 3
    assert RayEngine(window=5).describe()["window"] == 5
    assert RayEngine(window=0).window == 0  # every batch in one window
    with pytest.raises(ComponentError, match="window must be a whole number of at least 0"):
        build_engine("ray", window=-1)


def test_a_window_indexes_a_batch_as_the_whole_corpus() -> None:
    window = _Window(["c", "d", "e"], 2)
    assert window[2:4] == ["c", "d"] and window[3] == "d" and len(window) == 5


def test_ray_files_stay_in_the_run_directory_or_a_short_named_folder(tmp_path) -> None:
    short = Path("/tmp/r")
    assert temp_dir_for(short) == short / "ray"
    deep = tmp_path / ("x" * 60)
    chosen = temp_dir_for(deep)
    assert len(str(chosen)) <= MAX_TEMP_DIR and chosen.name.startswith("xlner-ray-")
    assert temp_dir_for(deep) == chosen  # the same run directory, the same folder


@pytest.mark.ray
def test_a_local_ray_started_for_a_job_leaves_nothing_outside_it(tmp_path) -> None:
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray cluster runs already (the session's); this test starts its own")
    deep = tmp_path / ("x" * 60)

    class Double:  # defined here, so that it travels by value (no PYTHONPATH set)
        def setup(self) -> None:
            pass

        def process_batch(self, records):
            return [2 * r for r in records]

    engine = RayEngine(max_actors=1, num_cpus=1, run_dir=deep)
    with engine:
        assert list(engine.map(Double(), [(0, [1])])) == [(0, [2])]
        assert temp_dir_for(deep.resolve()).is_dir()
    assert not temp_dir_for(deep.resolve()).exists()
    assert (deep / "ray-spill").is_dir()


# ---------------------------------------------------------------------------- shards, locally


def test_shards_give_the_one_job_output_and_resume(capsys, tmp_path, bitext) -> None:
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    assert _silver(capsys, whole, bitext, "--tagger", "test-caps").code == 0
    result = _silver(capsys, sharded, bitext, "--tagger", "test-caps", "--shard-size", "3")
    assert result.code == 0, result.err
    assert _same_files(whole, sharded)
    assert _summary(sharded)["dropped"] == _summary(whole)["dropped"]
    assert _summary(sharded)["run"]["shards"] == 3
    assert parse_signature(_summary(sharded)["signature"])["shards.size"] == "3"
    CALLS.clear()
    again = _silver(capsys, sharded, bitext, "--tagger", "test-caps", "--shard-size", "3")
    assert again.code == 0 and CALLS["tag"] == 0  # every shard read back
    assert _summary(sharded)["run"]["shards_reused"] == 3


def test_a_damaged_shard_is_named_and_recomputed(capsys, tmp_path, bitext) -> None:
    output = tmp_path / "out"
    assert _silver(capsys, output, bitext, "--tagger", "test-caps", "--shard-size", "3").code == 0
    first = (output / "silver.jsonl").read_bytes()
    (shard,) = (output / "shards").glob("*/00001.jsonl")
    shard.write_text("{}\n", encoding="utf-8")
    result = _silver(capsys, output, bitext, "--tagger", "test-caps", "--shard-size", "3")
    assert result.code == 0 and "00001 is damaged or incomplete; recomputing" in result.err
    assert (output / "silver.jsonl").read_bytes() == first
    assert _summary(output)["run"]["shards_reused"] == 2


def _task(output: Path, tagger: str) -> SilverShardTask:
    return SilverShardTask(
        Component("taggers", "--tagger", tagger, {}),
        Component("aligners", "--aligner", "test-diagonal", {}),
        Component("projectors", "--method", "heuristic", {}),
        work_dir=output,
        classes=("PER",),
        selection=Selection(keep_empty=1.0),
    )


def test_ctrl_c_leaves_the_finished_shards_usable(tmp_path, bitext) -> None:
    english = ENGLISH.copy()
    english[4] = "we saw STOP Omar there ."
    pairs = read_files(_lines(tmp_path / "en.txt", english), bitext[1])
    output = tmp_path / "out"
    InterruptTagger.armed = True
    with pytest.raises(KeyboardInterrupt):
        run_shards(pairs, _task(output, "test-interrupt"), LocalEngine(), output, shard_size=2)
    (store,) = (output / "shards").iterdir()
    assert sorted(p.name for p in store.glob("*.meta.json")) == [
        "00000.meta.json",
        "00001.meta.json",
    ]
    assert not (output / "silver.jsonl").exists()
    InterruptTagger.armed = False
    done = run_shards(pairs, _task(output, "test-interrupt"), LocalEngine(), output, shard_size=2)
    assert (done.shards, done.reused) == (4, 2)
    fresh = tmp_path / "fresh"
    run_shards(pairs, _task(fresh, "test-caps"), LocalEngine(), fresh, shard_size=2)
    assert _same_files(output, fresh)


_PEAK = """
import resource, sys
sys.path.insert(0, sys.argv[1])
import pipeline_fakes
from xlner.cli import app
try:
    app(sys.argv[2:], standalone_mode=False)
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_sharded_silver_memory_stays_flat_as_the_bitext_grows(tmp_path) -> None:
    peaks = []
    for size in (4_000, 32_000):
        english = _lines(tmp_path / f"en{size}", [ENGLISH[i % 7] + f" {i}" for i in range(size)])
        swahili = _lines(tmp_path / f"sw{size}", [SWAHILI[i % 7] + f" {i}" for i in range(size)])
        command = [sys.executable, "-c", _PEAK, str(Path(__file__).parent), "silver"]
        command += ["--source", str(english), "--target", str(swahili), *FAKES]
        command += ["--tagger", "test-caps", "-o", str(tmp_path / f"out{size}")]
        done = subprocess.run(
            [*command, "--shard-size", "1000"], capture_output=True, text=True, check=True
        )
        peaks.append(int(done.stdout.split()[-1]) / 1024)
        records = (tmp_path / f"out{size}" / "silver.jsonl").read_text().count("\n")
        assert records == size  # every pair kept (keep-empty 1): the output did grow 8 times
    assert peaks[1] - peaks[0] < 30, peaks  # MB; one job over it all adds about 170 here


# ---------------------------------------------------------------------------- xlner run's batches

# Smaller batches than the seven sentences of the fakes' corpus: several of align
# (test-diagonal links sentence by sentence), align_back and project.
SMALL_BATCHES = {
    "align.batch_size": 2,
    "backtranslate.align.batch_size": 3,
    "project.batch_size": 3,
}
BATCHED = ("align", "align_back", "project")


def _run_config(tmp_path: Path, **settings: object) -> dict:
    both = {"backtranslate.enabled": True, "project.mode": "combined"}  # both alignments used
    return make_config(tmp_path, **both, **settings)


def _keys(result) -> dict[str, str]:
    return {name: report.key for name, report in result.stages.items()}


def test_align_and_project_batches_give_the_records_of_one_batch(tmp_path) -> None:
    whole = run_pipeline(_run_config(tmp_path), run_dir=tmp_path / "whole")
    small = run_pipeline(_run_config(tmp_path, **SMALL_BATCHES), run_dir=tmp_path / "small")
    assert [whole.stages[name].batches for name in BATCHED] == [1, 1, 1]
    assert [small.stages[name].batches for name in BATCHED] == [4, 3, 3]
    assert small.records == whole.records and small.scores == whole.scores
    assert _keys(small) == _keys(whole)  # the batch size keys nothing: the same records
    for name in BATCHED:  # the shards were put together and dropped
        assert not list((tmp_path / "small" / "stages").glob(f"{name}-*/shards"))


def test_a_statistical_aligner_aligns_the_whole_input_in_one_batch(tmp_path) -> None:
    settings = {
        **SMALL_BATCHES,
        "align.aligner": "eflomal",
        "backtranslate.align.aligner": "eflomal",
    }
    result = run_pipeline(_run_config(tmp_path, **settings), run_dir=tmp_path / "run")
    batches = {name: result.stages[name].batches for name in BATCHED}
    assert batches == {"align": 1, "align_back": 1, "project": 3}
    assert SimAlignAligner().per_sentence and not EflomalAligner().per_sentence
    diagonal = {"aligner": "test-diagonal"}
    assert CombinedAligner({"a": diagonal, "b": diagonal}).per_sentence
    assert not CombinedAligner({"a": diagonal, "eflomal": {}}).per_sentence


def test_a_worker_builds_align_and_project_from_the_config(tmp_path) -> None:
    result = run_pipeline(_run_config(tmp_path), run_dir=tmp_path / "run")
    for name in BATCHED:
        # As a worker gets it: pickled, without the driver's stage, built by setup().
        task = pickle.loads(pickle.dumps(StageTask(name, result.config, None)))
        task.setup()
        inputs = {dep: result.records[dep][2:5] for dep in task.stage.deps}
        assert task.process_batch((2, 5, inputs)) == result.records[name][2:5]


def _stop_after_first_align_batch(stage: str, done: int, total: int) -> None:
    if stage == "align" and done == 1:
        raise KeyboardInterrupt  # Ctrl-C once align's first shard is on disk


def test_an_interrupted_align_resumes_at_its_first_unfinished_batch(tmp_path) -> None:
    config = _run_config(tmp_path, **SMALL_BATCHES)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, run_dir=tmp_path / "run", progress=_stop_after_first_align_batch)
    CALLS.clear()
    resumed = run_pipeline(config, run_dir=tmp_path / "run")
    align = resumed.stages["align"]
    assert (align.status, align.batches, align.batches_reused) == ("resumed", 4, 1)
    assert CALLS["align"] == 3 + 3  # align's three other batches, align_back's three
    fresh = run_pipeline(config, run_dir=tmp_path / "fresh")
    assert resumed.records == fresh.records


# ---------------------------------------------------------------------------- eflomal priors


def _sample_pairs() -> list[tuple[list[str], list[str]]]:
    english, spanish = load_sample()
    return [(a.tokens, b.tokens) for a, b in zip(english, spanish, strict=True)]


def test_eflomal_priors_are_learned_once_and_align_reproducibly(tmp_path) -> None:
    pairs = _sample_pairs()
    text = EflomalAligner(temp_dir=tmp_path).learn_priors(pairs)
    kinds = {line.split("\t")[0] for line in text.splitlines()}
    assert kinds == {"LEX", "HMMF", "HMMR", "FERF", "FERR"}  # eflomal-makepriors' format
    path = tmp_path / "priors.txt"
    path.write_text(text, encoding="utf-8")
    aligner = EflomalAligner(temp_dir=tmp_path, priors=path)
    assert aligner.align(pairs[:4]) == aligner.align(pairs[:4])
    assert len(aligner.signature()["priors"]) == 64
    assert "priors" not in EflomalAligner().signature()  # old signatures stay valid
    with pytest.raises(ValueError, match="priors file .* does not exist"):
        EflomalAligner(priors=tmp_path / "none.txt")


def test_priors_reach_the_eflomal_member_of_a_combined_aligner(tmp_path) -> None:
    members = {"members": {"eflomal": {"rel_iterations": 0.25}}}
    task = _task(tmp_path, "test-caps")
    task.aligner = Component("aligners", "--aligner", "combined", members)
    task.setup()
    learner, where = priors_learner(task.built[1])
    assert isinstance(learner, EflomalAligner) and where == ("members", "eflomal")
    assert priors_learner(task.built[2]) is None  # the heuristic learns nothing
    task.with_priors(learner.learn_priors(_sample_pairs()[:10]), where)
    task.setup()
    member = task.built[1].members["eflomal"]
    assert member.priors is not None and member.priors.is_file()
    assert task.aligner.options == members  # the spec itself is left as it was


def test_the_priors_sample_is_seeded_and_skips_evaluation_sentences(tmp_path, bitext) -> None:
    from xlner.silver.exclude import Exclusion

    pairs = read_files(*bitext)
    exclusion = Exclusion.of("test", [SWAHILI[0]])
    kwargs = {"tokenizer": "words", "selection": Selection(), "exclusions": [exclusion]}
    sample, seen = sample_pairs(pairs, 5, seed=0, **kwargs)
    assert seen == 7 and len(sample) == 5
    assert (sample, seen) == sample_pairs(iter(pairs), 5, seed=0, **kwargs)  # seeded, streamed
    assert sample != sample_pairs(pairs, 5, seed=1, **kwargs)[0]
    everything, _ = sample_pairs(pairs, 7, seed=0, **kwargs)
    assert len(everything) == 6 and all(" ".join(t) != SWAHILI[0] for _, t in everything)


def _sample_over_two_shards(tmp_path: Path) -> list[object]:
    """``xlner silver`` options for the built-in sample (gold English tags, eflomal) in two
    shards of 20 pairs."""
    from xlner.corpora.conll import write_conll

    english, spanish = load_sample()
    source = _lines(tmp_path / "en.txt", [" ".join(s.tokens) for s in english])
    target = _lines(tmp_path / "es.txt", [" ".join(s.tokens) for s in spanish])
    write_conll(tmp_path / "en.conll", english)
    args = ["--source", source, "--target", target, "--tagger", "gold", "--preset", "light"]
    args += ["--tagger-option", f"path={tmp_path / 'en.conll'}", "--tokenizer", "whitespace"]
    return args + ["--labels", "PER,ORG,LOC,MISC", "--label-map", "none", "--shard-size", "20"]


def test_eflomal_over_shards_uses_priors_from_the_sample(capsys, tmp_path) -> None:
    args = _sample_over_two_shards(tmp_path)
    output = tmp_path / "out"
    result = xlner_cli(capsys, "silver", "-o", output, *args, "--priors-sample", "30")
    assert result.code == 0, result.err
    summary = _summary(output)
    assert summary["run"]["priors_sample"] == 30 and summary["run"]["shards"] == 2
    assert parse_signature(summary["signature"])["shards.priors_sample"] == "30"
    assert len(list((output / "priors").glob("*.txt"))) == 1
    none = tmp_path / "none"
    alone = xlner_cli(capsys, "silver", "-o", none, *args, "--priors-sample", "0")
    assert alone.code == 0 and _summary(none)["run"]["priors_sample"] == 0
    assert not (none / "priors").exists()


def test_a_damaged_eflomal_priors_cache_is_named_and_learned_again(capsys, tmp_path) -> None:
    args = [*_sample_over_two_shards(tmp_path), "-o", tmp_path / "out", "--priors-sample", "30"]
    assert xlner_cli(capsys, "silver", *args).code == 0
    (priors,) = (tmp_path / "out" / "priors").glob("*.txt")
    learned = priors.read_text(encoding="utf-8")
    priors.write_text(learned[: len(learned) // 2 + 3], encoding="utf-8")  # cut mid-line
    result = xlner_cli(capsys, "silver", *args)
    assert result.code == 0, result.err
    assert f"eflomal priors {priors} are damaged or have no checksum" in result.err
    assert priors.read_text(encoding="utf-8") == learned  # the same sample learns the same
    again = xlner_cli(capsys, "silver", *args)  # repaired: read back without a word
    assert again.code == 0 and "have no checksum" not in again.err


# ---------------------------------------------------------------------------- CLI options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--engine", "spark"), "--engine: unknown engine 'spark'; choose from local, ray"),
        (("--ray-address", "h:1"), "--ray-address applies to --engine ray, not --engine local"),
        (("--max-actors", "4"), "--max-actors applies to --engine ray"),
        (("--engine", "ray", "--min-actors", "0"), "--min-actors must be a whole number of at"),
        (("--engine", "ray", "--min-actors", "3"), "--max-actors (2) is below --min-actors (3)"),
        (("--engine", "ray", "--cpus-per-actor", "0"), "need --cpus-per-actor > 0"),
        (("--engine", "ray", "--gpus-per-actor", "-1"), "and --gpus-per-actor >= 0, not 1.0"),
        (("--engine", "ray", "--ray-cpus", "0"), "--ray-cpus must be at least 1, not 0"),
        (("--engine", "ray", "--ray-window", "-1"), "--ray-window must be a whole number of at"),
        (("--ray-window", "4"), "--ray-window applies to --engine ray, not --engine local"),
        (("--engine", "ray", "--ray-address", "nowhere"), "'nowhere' is not host:port"),
        (("--shard-size", "-1"), "--shard-size must be 0 (one shard) or more, not -1"),
        (("--priors-sample", "-5"), "--priors-sample must be 0 (no priors) or more, not -5"),
    ],
)
def test_bad_engine_options_are_one_line_errors(capsys, tmp_path, bitext, args, message):
    if "ray" in args and "--ray-address" in args:
        pytest.importorskip("ray")
    result = _silver(capsys, tmp_path / "out", bitext, "--tagger", "test-caps", *args)
    assert result.code == 2 and message in result.out + result.err
    assert "Traceback" not in result.out + result.err


@pytest.fixture
def no_ray_head():
    """A host:port that accepts TCP connections and then closes them or never answers, as a
    proxy or another service in front of an unreachable cluster does."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve(mode: list[str]) -> None:
        while True:
            try:
                peer, _ = server.accept()
            except OSError:
                return
            if mode[0] == "close":
                peer.close()
            else:
                held.append(peer)  # silent: open, never a word

    mode = ["close"]
    threading.Thread(target=serve, args=(mode,), daemon=True).start()
    yield f"127.0.0.1:{server.getsockname()[1]}", mode
    server.close()
    for peer in held:
        peer.close()


@pytest.mark.parametrize("peer", ["close", "silent"])
def test_a_ray_address_that_is_no_ray_head_fails_within_seconds(
    capsys, tmp_path, bitext, no_ray_head, peer
) -> None:
    pytest.importorskip("ray")
    address, mode = no_ray_head
    mode[0] = peer
    started = time.monotonic()
    args = ("--tagger", "test-caps", "--engine", "ray", "--ray-address", address)
    result = _silver(capsys, tmp_path / "out", bitext, *args)
    assert time.monotonic() - started < CONNECT_TIMEOUT + 5  # Ray itself would wait minutes
    assert result.code == 2 and f"cannot reach the Ray cluster at {address}" in result.err
    assert "Traceback" not in result.err


def test_xlner_run_takes_the_engine_options(capsys, tmp_path) -> None:
    config = tmp_path / "run.toml"
    config.write_text("[data]\ncorpus = 'conll'\nlang = 'lug'\n", encoding="utf-8")
    result = xlner_cli(capsys, "run", config, "--engine", "local", "--min-actors", "2")
    assert result.code == 2 and "--min-actors applies to --engine ray" in result.out + result.err
    result = xlner_cli(capsys, "run", config, "--engine", "nope")
    assert result.code == 2 and "unknown engine 'nope'" in result.out + result.err


# ---------------------------------------------------------------------------- on Ray


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """One local Ray of 2 CPUs for the session; engines find it started and leave it on."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    root = Path(__file__).resolve().parents[1]
    paths = [str(root / "src"), str(root / "tests"), os.environ.get("PYTHONPATH", "")]
    folder = tmp_path_factory.mktemp("ray")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        _temp_dir=str(temp_dir_for(folder)),
        object_spilling_directory=str(folder / "spill"),
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}},
    )
    yield ray
    ray.shutdown()
    shutil.rmtree(temp_dir_for(folder), ignore_errors=True)


@pytest.mark.ray
@pytest.mark.parametrize(
    ("shard_size", "window", "shards"),
    [(2, None, 4), (1, 2, 7)],  # one window of four shards; four windows, the last of one shard
    ids=["one-window", "four-windows"],
)
def test_silver_on_ray_equals_the_local_engine(
    capsys, tmp_path, bitext, ray_cluster, shard_size, window, shards
) -> None:
    local, remote = tmp_path / "local", tmp_path / "ray"
    args = ("--tagger", "test-caps", "--shard-size", str(shard_size))
    assert _silver(capsys, local, bitext, *args).code == 0
    ray_args = ("--engine", "ray", "--max-actors", "2")
    ray_args += ("--ray-window", str(window)) if window else ()
    result = _silver(capsys, remote, bitext, *args, *ray_args)
    assert result.code == 0, result.err
    assert _same_files(local, remote)
    run = _summary(remote)["run"]
    assert (run["engine"], run["max_actors"], run["shards"]) == ("ray", 2, shards)
    assert run["window"] == (window or default_window(2))
    # A resumed job reads the shards whichever engine wrote them.
    CALLS.clear()
    assert _silver(capsys, remote, bitext, *args).code == 0 and CALLS["tag"] == 0
    assert _summary(remote)["run"]["shards_reused"] == shards


@pytest.mark.ray
def test_the_ray_driver_reads_at_most_a_window_ahead(tmp_path, ray_cluster) -> None:
    class Double:  # defined here, so that it travels by value
        def setup(self) -> None:
            pass

        def process_batch(self, records):
            return [2 * r for r in records]

    handed = []

    def batches():
        for number in range(7):
            handed.append(number)
            yield number, [number, 10 + number]

    engine = RayEngine(max_actors=2, window=3, run_dir=tmp_path)
    results = {}
    for number, doubled in engine.map(Double(), batches()):
        assert len(handed) <= len(results) + 3, (handed, results)  # this window, no more
        results[number] = doubled
    assert results == dict(LocalEngine().map(Double(), ((n, [n, 10 + n]) for n in range(7))))
    assert list(engine.map(Double(), iter([]))) == []  # nothing to do: no pool at all


@pytest.mark.ray
def test_an_actor_larger_than_the_cluster_is_refused(capsys, tmp_path, bitext, ray_cluster):
    for flag, kind in (("--cpus-per-actor", "CPUs"), ("--gpus-per-actor", "GPUs")):
        args = ("--tagger", "test-caps", "--shard-size", "2", "--engine", "ray", flag, "3")
        result = _silver(capsys, tmp_path / kind, bitext, *args)
        assert result.code == 2 and "Traceback" not in result.out + result.err
        assert f"each actor asks for 3 {kind} ({flag}) but the Ray cluster has" in result.err


@pytest.mark.ray
def test_an_error_in_a_ray_worker_is_the_local_engines_error(capsys, tmp_path, bitext, ray_cluster):
    args = ("--tagger", "test-caps", "--shard-size", "2", "--labels", "LOC")
    local = _silver(capsys, tmp_path / "local", bitext, *args)
    remote = _silver(capsys, tmp_path / "ray", bitext, *args, "--engine", "ray")
    assert local.code == remote.code == 2
    assert "source tagger 'test-caps' gives PER, which the target label set (LOC)" in remote.err
    assert remote.err.strip().splitlines()[-1] == local.err.strip().splitlines()[-1]
    assert "Traceback" not in remote.out + remote.err


@pytest.mark.ray
def test_a_killed_ray_worker_costs_only_its_shard(capsys, tmp_path, bitext, ray_cluster) -> None:
    english = ENGLISH.copy()
    english[4] = "we saw KILL Omar there ."
    _lines(bitext[0], english)
    marker = tmp_path / "killed"
    args = ("--shard-size", "2", "--engine", "ray")
    option = ("--tagger", "test-kill-once", "--tagger-option", f"marker={marker}")
    output = tmp_path / "ray"
    result = _silver(capsys, output, bitext, *option, *args)
    if result.code != 0:  # Ray gave up on the batch: the finished shards are kept ...
        assert "Traceback" not in result.out + result.err
        result = _silver(capsys, output, bitext, *option, *args)  # ... and a rerun resumes
    assert result.code == 0, result.err
    assert marker.exists()  # a worker did die
    local = tmp_path / "local"
    assert _silver(capsys, local, bitext, "--tagger", "test-caps", "--shard-size", "2").code == 0
    assert _same_files(local, output)


@pytest.mark.ray
def test_the_consistency_pass_is_refused_on_ray(capsys, tmp_path, bitext, ray_cluster) -> None:
    output = tmp_path / "out"
    result = _silver(capsys, output, bitext, "--consistency", "0.8", "--engine", "ray")
    assert result.code == 2 and "Traceback" not in result.err
    assert "--consistency looks at all the silver data at once: not with" in result.err
    assert not (output / "silver.conll").exists()


@pytest.mark.ray
def test_ctrl_c_under_ray_ends_with_xlners_one_line(
    capsys, tmp_path, bitext, ray_cluster, monkeypatch
) -> None:
    import xlner.cli.silver as silver_cli

    real = silver_cli.step_updater

    def interrupting(bar):
        update = real(bar)

        def step(name: str, done: int, total: int | None) -> None:
            update(name, done, total)
            if name == "shards" and done >= 1:
                raise KeyboardInterrupt  # Ctrl-C in the driver once a shard is on disk

        return step

    monkeypatch.setattr(silver_cli, "step_updater", interrupting)
    args = ("--tagger", "test-caps", "--engine", "ray", "--shard-size", "2")
    result = _silver(capsys, tmp_path / "out", bitext, *args)
    assert result.code == 130
    assert "interrupted (Ctrl-C): finished files are kept" in result.err
    assert "Traceback" not in result.err


@pytest.mark.ray
def test_ctrl_c_on_ray_leaves_the_finished_shards_usable(tmp_path, bitext, ray_cluster) -> None:
    pairs = read_files(*bitext)
    output = tmp_path / "out"

    def interrupt(step: str, done: int, total: int | None) -> None:
        if done >= 1:  # Ctrl-C in the driver once the first shard is on disk
            raise KeyboardInterrupt

    engine = RayEngine(max_actors=1, run_dir=output)
    with pytest.raises(KeyboardInterrupt), engine:
        run_shards(pairs, _task(output, "test-caps"), engine, output, shard_size=2,
                   progress=interrupt)  # fmt: skip
    done = run_shards(pairs, _task(output, "test-caps"), LocalEngine(), output, shard_size=2)
    assert done.reused >= 1 and done.shards == 4
    fresh = tmp_path / "fresh"
    run_shards(pairs, _task(fresh, "test-caps"), LocalEngine(), fresh, shard_size=2)
    assert _same_files(output, fresh)


@pytest.mark.ray
def test_xlner_run_cli_on_ray(capsys, tmp_path, ray_cluster) -> None:
    corpus = make_config(tmp_path)["data"]["path"]
    config = tmp_path / "run.toml"
    lines = [
        "preset = 'light'",
        f"[data]\ncorpus = 'conll'\npath = '{corpus}'\nlang = 'lug'",
        "[translate]\ntranslator = 'test-echo'\nbatch_size = 3",
        "[tag]\ntagger = 'test-caps'\nbatch_size = 2",
        "[align]\naligner = 'test-diagonal'",
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    local, remote = tmp_path / "local", tmp_path / "ray"
    assert xlner_cli(capsys, "run", config, "--run-dir", local).code == 0
    result = xlner_cli(capsys, "run", config, "--run-dir", remote, "--engine", "ray")
    assert result.code == 0, result.err
    assert "F1 = 100.0" in result.out
    assert (remote / "predictions.conll").read_bytes() == (local / "predictions.conll").read_bytes()


@pytest.mark.ray
def test_xlner_run_on_ray_equals_the_local_engine(tmp_path, ray_cluster) -> None:
    config = make_config(tmp_path)
    local = run_pipeline(config, run_dir=tmp_path / "local")
    remote = run_pipeline(
        config, run_dir=tmp_path / "ray", engine=RayEngine(run_dir=tmp_path / "ray")
    )
    assert remote.records == local.records and remote.scores == local.scores
    assert remote.stages["tag"].batches == 4 and remote.stages["tag"].status == "computed"
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["engine"] == "ray"
    predictions = "predictions.conll"
    assert (tmp_path / "ray" / predictions).read_bytes() == (
        tmp_path / "local" / predictions
    ).read_bytes()
    again = run_pipeline(config, run_dir=tmp_path / "ray")  # the local engine reuses them
    assert again.stages["tag"].status == "reused"


def _run_toml(tmp_path: Path) -> Path:
    """A run of every batched stage on the fakes: align and project in several batches,
    align_back with eflomal (the default) in one."""
    corpus = make_config(tmp_path)["data"]["path"]
    lines = [
        "preset = 'light'",
        f"[data]\ncorpus = 'conll'\npath = '{corpus}'\nlang = 'lug'",
        "[translate]\ntranslator = 'test-echo'\nbatch_size = 3",
        "[tag]\ntagger = 'test-caps'\nbatch_size = 2",
        "[align]\naligner = 'test-diagonal'\nbatch_size = 2",
        "[backtranslate]\nenabled = true\ntranslator = 'test-echo'\nbatch_size = 4",
        "[project]\nmode = 'combined'\nbatch_size = 3",
    ]
    config = tmp_path / "run.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _stage_files(run_dir: Path) -> dict[str, bytes]:
    return {path.parent.name: path.read_bytes() for path in run_dir.glob("stages/*/result.jsonl")}


@pytest.mark.ray
def test_xlner_run_aligns_and_projects_on_ray_as_locally(capsys, tmp_path, ray_cluster) -> None:
    config = _run_toml(tmp_path)
    local, remote = tmp_path / "local", tmp_path / "ray"
    assert xlner_cli(capsys, "run", config, "--run-dir", local).code == 0
    CALLS.clear()
    result = xlner_cli(capsys, "run", config, "--run-dir", remote, "--engine", "ray")
    assert result.code == 0, result.err
    assert CALLS["align"] == 0  # every batch was aligned by an actor, none in this process
    manifest = json.loads((remote / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["engine"] == "ray"
    assert manifest["engine"]["window"] == 0  # its input is in memory: one pool for a stage
    batches = {name: manifest["stages"][name]["batches"] for name in BATCHED}
    assert batches == {"align": 4, "align_back": 1, "project": 3}
    assert _stage_files(remote) == _stage_files(local) and len(_stage_files(local)) == 7
    assert (remote / "predictions.conll").read_bytes() == (local / "predictions.conll").read_bytes()
    CALLS.clear()  # the local engine reuses what Ray computed
    again = xlner_cli(capsys, "run", config, "--run-dir", remote)
    assert again.code == 0 and CALLS["align"] == 0
    rows = [line.split() for line in again.out.splitlines()]
    assert {row[0]: row[1] for row in rows if row and row[0] in BATCHED} == dict.fromkeys(
        BATCHED, "reused"
    )


@pytest.mark.ray
def test_align_batches_finished_locally_are_resumed_on_ray(tmp_path, ray_cluster) -> None:
    config = _run_config(tmp_path, **SMALL_BATCHES)
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, run_dir=run_dir, progress=_stop_after_first_align_batch)
    CALLS.clear()
    resumed = run_pipeline(config, run_dir=run_dir, engine=RayEngine(run_dir=run_dir))
    assert CALLS["align"] == 0  # the other batches on the actors
    align = resumed.stages["align"]
    assert (align.status, align.batches, align.batches_reused) == ("resumed", 4, 1)
    assert resumed.stages["project"].batches == 3
    assert resumed.records == run_pipeline(config, run_dir=tmp_path / "fresh").records


def test_an_unreachable_ray_address_is_one_line_and_quick(capsys, tmp_path, bitext) -> None:
    pytest.importorskip("ray")
    started = time.perf_counter()
    args = ("--tagger", "test-caps", "--engine", "ray", "--ray-address", "127.0.0.1:9")
    result = _silver(capsys, tmp_path / "out", bitext, *args)
    assert time.perf_counter() - started < 10
    assert result.code == 2
    assert "error: cannot reach the Ray cluster at 127.0.0.1:9" in result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert not (tmp_path / "out" / "silver.jsonl").exists()
