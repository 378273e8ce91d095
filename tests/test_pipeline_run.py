"""The staged pipeline: cache keys, reuse, resumption after a crash, per-sentence faults."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from xlner.align.base import Aligner, register_aligner
from xlner.cli import app
from xlner.config import apply_overrides, parse_override
from xlner.corpora.conll import write_conll
from xlner.pipeline.cache import stage_key
from xlner.pipeline.run import load_run_config, run_pipeline
from xlner.pipeline.stages import StageError
from xlner.tagging.base import SourceTagger, register_tagger
from xlner.translate.base import Translator, register_translator
from xlner.types import Link, Span, TaggedSentence

CALLS: Counter[str] = Counter()


class Crash(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


@register_translator("test-echo")
class EchoTranslator(Translator):
    """Returns each sentence as its own translation; ``DROP`` loses a line, ``EMPTY`` is empty.

    ``crash_at`` raises :class:`Crash` on that call (counted over all instances).
    """

    name = "test-echo"
    crash_at: int | None = None

    def __init__(self, batch_size: int = 3) -> None:
        self.batch_size = batch_size

    def translate_batch(self, sentences, src_lang, tgt_lang):
        CALLS["translate"] += 1
        if EchoTranslator.crash_at is not None and CALLS["translate"] == EchoTranslator.crash_at:
            raise Crash()
        out = ["" if "EMPTY" in s else s for s in sentences]
        return out[:-1] if any("DROP" in s for s in sentences) else out


@register_tagger("test-caps")
class CapsTagger(SourceTagger):
    """Every capitalised word is a PER; a sentence containing ``BOOM`` crashes it."""

    name = "test-caps"

    def __init__(self, label: str = "PER") -> None:
        self.label = label

    def signature(self):
        return {"method": self.name, "label": self.label}

    def tag(self, sentences):
        CALLS["tag"] += 1
        if any("BOOM" in s for s in sentences):
            raise ValueError("the tagger crashed")
        return [
            [Span(i, i + 1, self.label) for i, w in enumerate(s) if w[:1].isupper() and w.isalpha()]
            for s in sentences
        ]


@register_aligner("test-diagonal")
class DiagonalAligner(Aligner):
    name = "test-diagonal"

    def align(self, pairs, *, extra_bitext=()):
        CALLS["align"] += 1
        return [[Link(i, i, 1.0) for i in range(min(len(s), len(t)))] for s, t in pairs]


SENTENCES = [
    "Anna visits Berlin today .",
    "the weather is fine .",
    "Ravi and Mona met .",
    "nobody came .",
    "Kampala is far from Lagos .",
    "we saw Omar .",
    "Li wrote to Sara .",
]


def _corpus(path, words_list):
    sentences = []
    for text in words_list:
        tokens = text.split()
        spans = [Span(i, i + 1, "PER") for i, w in enumerate(tokens) if w[:1].isupper()]
        sentences.append(TaggedSentence(tokens, spans))
    write_conll(path, sentences)
    return path


def _config(tmp_path, sentences=SENTENCES, **extra):
    corpus = _corpus(tmp_path / "gold.conll", sentences)
    config = {
        "run": {"dir": str(tmp_path / "run")},
        "data": {"corpus": "conll", "path": str(corpus), "lang": "lug", "pivot": "en"},
        "translate": {"translator": "test-echo", "batch_size": 3},
        "tag": {"tagger": "test-caps", "batch_size": 2},
        "align": {"aligner": "test-diagonal"},
        "backtranslate": {
            "translator": "test-echo",
            "batch_size": 2,
            "align": {"aligner": "test-diagonal"},
        },
    }
    return apply_overrides(config, [f"{k}={v!r}" for k, v in extra.items()])


@pytest.fixture(autouse=True)
def fresh_counters():
    CALLS.clear()
    EchoTranslator.crash_at = None
    yield
    EchoTranslator.crash_at = None


def statuses(result):
    return {name: report.status for name, report in result.stages.items()}


# ---------------------------------------------------------------------------- config


def test_overrides_are_read_as_toml_values():
    assert parse_override("project.mode=combined") == (["project", "mode"], "combined")
    assert parse_override("data.limit=20") == (["data", "limit"], 20)
    assert parse_override("align.extra=[{corpus='mafand-mt'}]")[1] == [{"corpus": "mafand-mt"}]
    assert parse_override("x.y = true") == (["x", "y"], True)
    with pytest.raises(ValueError, match="not key=value"):
        parse_override("project.mode")


def test_load_config_layers_defaults_file_and_overrides(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[data]\nlang = "lug"\n[project]\nmode = "back"\n')
    config = load_run_config(path, ["project.options.merge_distance=0"])
    assert config["project"] == {
        "method": "heuristic",
        "mode": "back",
        "options": {"merge_distance": 0},
    }
    assert config["data"]["pivot"] == "en" and config["evaluate"]["label_map"] == "none"
    with pytest.raises(ValueError, match="data.lang"):
        load_run_config(None)


def test_benchmark_row_signature_is_read_from_the_components(tmp_path):
    from xlner.bench.report import run_row

    config = _config(tmp_path, **{"project.options.merge_distance": 0})
    row = run_row(run_pipeline(config))
    fields = dict(field.split(":", 1) for field in row["signature"].split("|"))
    assert fields["corpus"] == "conll/lug/test"
    assert fields["translate.method"] == "test-echo" and fields["translate.direction"] == "lug+eng"
    assert fields["tag.method"] == "test-caps" and fields["tag.label"] == "PER"
    assert fields["align.method"] == "test-diagonal" and fields["align.extra"] == "none"
    # The projector's own signature: merge_distance is its "d"; its other settings are there.
    assert fields["project.method"] == "heuristic" and fields["project.d"] == "0"
    assert {"project.ratio", "project.k", "project.mode"} <= set(fields)
    assert row["sentences"] == len(SENTENCES) and row["f1"] == row["scores"]["f1"]
    changed = run_row(run_pipeline(_config(tmp_path, **{"tag.options.label": "LOC"})))
    assert "tag.label:LOC" in changed["signature"]


def test_stage_key_depends_on_settings_and_inputs():
    key = stage_key("tag", {"model": "a"}, ["k1"])
    assert key == stage_key("tag", {"model": "a"}, ["k1"])
    assert key != stage_key("tag", {"model": "b"}, ["k1"])
    assert key != stage_key("tag", {"model": "a"}, ["k2"])
    assert key != stage_key("align", {"model": "a"}, ["k1"])


# ---------------------------------------------------------------------------- runs


def test_first_run_computes_and_scores(tmp_path):
    result = run_pipeline(_config(tmp_path))
    assert set(statuses(result).values()) == {"computed"}
    assert result.scores["f1"] == 100.0 and result.scores["n_gold"] == 9
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["stages"]["translate"]["batches"] == 3
    assert manifest["stages"]["tag"]["count"] == len(SENTENCES)
    assert "xlner" in manifest["versions"] and manifest["failures"]["counts"] == {}
    assert (tmp_path / "run" / "predictions.conll").read_text().startswith("Anna\tB-PER")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["scores"]["f1"] == 100.0


def test_rerun_reuses_every_stage(tmp_path):
    run_pipeline(_config(tmp_path))
    CALLS.clear()
    result = run_pipeline(_config(tmp_path))
    assert {s for n, s in statuses(result).items() if n != "data"} == {"reused"}
    assert Counter() == CALLS
    assert result.scores["f1"] == 100.0


def test_changed_setting_recomputes_only_downstream(tmp_path):
    run_pipeline(_config(tmp_path))
    CALLS.clear()
    result = run_pipeline(_config(tmp_path, **{"project.options.merge_distance": 0}))
    assert statuses(result) == {
        "data": "computed",
        "translate": "reused",
        "tag": "reused",
        "align": "reused",
        "project": "computed",
        "evaluate": "computed",
    }
    CALLS.clear()
    result = run_pipeline(_config(tmp_path, **{"tag.options.label": "ORG"}))
    assert statuses(result)["translate"] == "reused"
    assert [statuses(result)[n] for n in ("tag", "align", "project", "evaluate")] == [
        "computed"
    ] * 4
    assert CALLS["translate"] == 0 and CALLS["tag"] > 0
    assert result.scores["f1"] == 0.0  # ORG predicted, PER gold


def test_changed_data_recomputes_everything(tmp_path):
    run_pipeline(_config(tmp_path))
    result = run_pipeline(_config(tmp_path, sentences=SENTENCES[:-1]))
    assert statuses(result)["translate"] == "computed"


def test_batch_size_does_not_change_the_key(tmp_path):
    run_pipeline(_config(tmp_path))
    result = run_pipeline(_config(tmp_path, **{"tag.batch_size": 5}))
    assert statuses(result)["tag"] == "reused"


def test_resume_after_a_crash_mid_stage(tmp_path):
    config = _config(tmp_path)
    EchoTranslator.crash_at = 3  # the third batch of translate: two shards are finished
    with pytest.raises(Crash):
        run_pipeline(config)
    shard_dirs = list((tmp_path / "run" / "stages").glob("translate-*/shards"))
    assert len(shard_dirs) == 1 and len(list(shard_dirs[0].iterdir())) == 2
    assert not list((tmp_path / "run" / "stages").glob("translate-*/result.jsonl"))
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["stages"]["translate"]["status"] == "interrupted"

    EchoTranslator.crash_at = None
    CALLS.clear()
    result = run_pipeline(config)
    assert CALLS["translate"] == 1  # only the unfinished batch
    report = result.stages["translate"]
    assert (report.status, report.batches, report.batches_reused) == ("resumed", 3, 2)
    assert result.scores["f1"] == 100.0
    assert not list((tmp_path / "run" / "stages").glob("translate-*/shards"))


def test_per_sentence_faults_are_recorded_and_the_run_goes_on(tmp_path):
    sentences = [
        "Anna visits Berlin .",
        "DROP Mona here .",
        "Omar is EMPTY .",
        "Sara BOOM there .",
        "Li came .",
    ]
    result = run_pipeline(_config(tmp_path, sentences=sentences))
    failures = {(f["stage"], f["index"]): f["error"] for f in result.failures}
    assert failures[("translate", 2)] == "empty translation"
    assert failures[("tag", 3)] == "ValueError: the tagger crashed"
    # "DROP" made its batch come back one line short; each sentence is then translated alone,
    # so only the DROP sentence (still one line short: none) fails, not its neighbours.
    assert ("translate", 0) not in failures
    assert (
        failures[("translate", 1)]
        == "TranslationError: test-echo returned 0 translations for 1 sentences"
    )
    assert result.failure_counts() == {"translate": 2, "tag": 1}
    predicted = [r["spans"] for r in result.records["project"]]
    assert predicted[0] and predicted[4] and not predicted[2] and not predicted[3]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["failures"]["counts"] == {"translate": 2, "tag": 1}
    assert manifest["stages"]["tag"]["failures"] == 1


def test_a_stage_that_fails_for_every_sentence_stops_the_run(tmp_path):
    with pytest.raises(StageError, match="every sentence of the first batch failed"):
        run_pipeline(_config(tmp_path, sentences=["BOOM A .", "BOOM B .", "C BOOM ."]))


def test_back_translation_modes_share_the_upstream_stages(tmp_path):
    config = _config(tmp_path, **{"backtranslate.enabled": True})
    first = run_pipeline(config)
    assert "backtranslate" in first.stages and first.scores["f1"] == 100.0
    back = first.records["backtranslate"][0]
    assert back["tokens"] == ["Anna", "visits", "Berlin", "today", "."]
    assert [row[:4] for row in back["spans"]] == [[0, 1, "PER", 0], [2, 3, "PER", 1]]
    for mode in ("back", "combined"):
        result = run_pipeline(apply_overrides(config, [f"project.mode={mode}"]))
        assert statuses(result)["backtranslate"] == "reused"
        assert statuses(result)["project"] == "computed"
        assert result.scores["f1"] == 100.0


def test_back_mode_needs_back_translation(tmp_path):
    with pytest.raises(StageError, match="backtranslate.enabled"):
        run_pipeline(_config(tmp_path, **{"project.mode": "back"}))


def test_cli_run(tmp_path):
    config = _config(tmp_path)
    path = tmp_path / "run.toml"
    lines = [
        "[data]",
        f"corpus = 'conll'\npath = '{config['data']['path']}'\nlang = 'lug'",
        "[translate]\ntranslator = 'test-echo'",
        "[tag]\ntagger = 'test-caps'",
        "[align]\naligner = 'test-diagonal'",
    ]
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    args = ["run", str(path), "evaluate.label_map=drop-misc", "--run-dir", str(tmp_path / "cli")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "F1 = 100.0" in result.output and "labels:drop-misc" in result.output
    again = runner.invoke(app, args)
    assert "reused" in again.output
    bad = runner.invoke(
        app, ["run", str(path), "project.mode=sideways", "--run-dir", str(tmp_path / "bad")]
    )
    assert bad.exit_code == 2 and "project.mode must be one of" in bad.output


def test_example_configs_load():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "configs" / "translate-test"
    configs = sorted(folder.glob("*.toml"))
    assert configs
    for path in configs:
        config = load_run_config(path, ["project.mode=combined"])
        assert config["data"]["lang"] and config["project"]["mode"] == "combined"
