"""The staged pipeline: cache keys, reuse, resumption after a crash, per-sentence faults."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from entry_point import full_signature
from pipeline_fakes import (
    CALLS,
    SENTENCES,
    Crash,
    EchoTranslator,
    fresh_counters,
    statuses,
    write_corpus,
)
from pipeline_fakes import make_config as _config
from typer.testing import CliRunner

import xlner
from xlner.cli import app
from xlner.config import apply_overrides, parse_override
from xlner.pipeline.cache import stage_key
from xlner.pipeline.run import DEFAULTS, load_run_config, run_pipeline
from xlner.pipeline.stages import StageError
from xlner.signature import parse_signature
from xlner.types import Span

__all__ = ["fresh_counters"]  # the autouse fixture, imported to apply here

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
    path.write_text('preset = "light"\n[data]\nlang = "lug"\n[project]\nmode = "back"\n')
    config = load_run_config(path, ["project.options.merge_distance=0"])
    assert config["project"] == {
        "method": "heuristic",
        "mode": "back",
        "batch_size": DEFAULTS["project"]["batch_size"],
        "options": {"merge_distance": 0},
    }
    assert config["data"]["pivot"] == "en" and config["evaluate"]["label_map"] == "none"
    with pytest.raises(ValueError, match="data.lang"):
        load_run_config(None)


def test_benchmark_row_signature_is_read_from_the_components(tmp_path):
    from xlner.bench.report import run_row

    result = run_pipeline(_config(tmp_path, **{"project.options.merge_distance": 0}))
    row = run_row(result)
    assert row["signature"] == result.signature.short
    assert row["signature_full"] == result.signature.full
    fields = parse_signature(row["signature"])
    assert fields["translate"] == "test-echo" and fields["tag"] == "test-caps"
    assert fields["align"] == "test-diagonal" and fields["data.corpus"] == "conll"
    # Only what differs from the heuristic's defaults: merge_distance (its "d") is 0, not 1.
    assert fields["project"] == "heuristic" and fields["project.projector.d"] == "0"
    assert not {"project.projector.ratio", "project.mode"} & set(fields)
    full = row["signature_full"]
    assert full["translate"]["direction"] == ["lug", "eng"]
    assert full["tag"]["tagger"]["label"] == "PER" and full["project"]["mode"] == "forward"
    assert {"ratio", "k"} <= set(full["project"]["projector"])
    assert row["sentences"] == len(SENTENCES) and row["f1"] == row["scores"]["f1"]
    changed = run_row(run_pipeline(_config(tmp_path, **{"tag.options.label": "LOC"})))
    assert changed["signature_full"]["tag"]["tagger"]["label"] == "LOC"
    assert parse_signature(changed["signature"])["hash"] != fields["hash"]


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
    assert len(shard_dirs) == 1 and len(list(shard_dirs[0].glob("*.jsonl"))) == 2
    assert len(list(shard_dirs[0].glob("*.meta.json"))) == 2
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
    predicted = [r.spans for r in result.records["project"]]
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
    assert back.tokens == ["Anna", "visits", "Berlin", "today", "."]
    assert [(r.span, r.entity) for r in back.spans] == [
        (Span(0, 1, "PER"), 0),
        (Span(2, 3, "PER"), 1),
    ]
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
        "preset = 'light'  # its projection: the heuristic",
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
    assert "F1 = 100.0" in result.output and "|evaluate.labels=drop-misc|" in result.output
    again = runner.invoke(app, [*args, "--signature", "full"])
    assert "reused" in again.output
    full = full_signature(again.stdout)
    assert full["evaluate"] == {"labels": "drop-misc"} and full["preset"] == "light"
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signature_full"] == full
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


# ---------------------------------------------------------------------------- bad settings


def _cli_config(tmp_path):
    """A TOML config of the fake components, as a user would write it."""
    config = _config(tmp_path)
    path = tmp_path / "run.toml"
    path.write_text(
        "\n".join(
            [
                "preset = 'light'  # its projection: the heuristic",
                f"[run]\ndir = '{config['run']['dir']}'",
                f"[data]\ncorpus = 'conll'\npath = '{config['data']['path']}'\nlang = 'lug'",
                "[translate]\ntranslator = 'test-echo'",
                "[tag]\ntagger = 'test-caps'",
                "[align]\naligner = 'test-diagonal'",
                "[backtranslate]\ntranslator = 'test-echo'",
                "align = { aligner = 'test-diagonal' }",
            ]
        )
        + "\n"
    )
    return path


BAD_SETTINGS = [
    (["translate.translator=google"], "translate.translator: unknown translator 'google'"),
    (["tag.tagger=flair"], "tag.tagger: unknown tagger 'flair'; choose from"),
    (["tag.options={colour='red'}"], "tagger 'test-caps' has no option 'colour'; its options"),
    (["align.aligner=fastalign"], "unknown aligner 'fastalign'; choose from"),
    (
        ["align.aligner=eflomal", "align.options={symmetrization='bogus'}"],
        "align.aligner: aligner 'eflomal': unknown symmetrization 'bogus'; choose one of",
    ),
    (
        ["align.aligner=eflomal", "align.options={foo=1}"],
        "align.aligner: aligner 'eflomal' has no option 'foo'",
    ),
    (["align.options=5"], "align.options must be a table, not 5"),
    (
        ["backtranslate.enabled=true", "backtranslate.align.options={foo=1}"],
        "backtranslate.align.aligner: aligner 'test-diagonal' has no option 'foo'",
    ),
    (["project.method=magic"], "project.method: unknown projection method 'magic'"),
    (["project.options={bogus=1}"], "project.method: projection method "),
    (["project.mode=sideways"], "project.mode must be one of forward, back, combined"),
    (["evaluate.label_map=nope"], "evaluate.label_map: unknown label map 'nope'"),
    (["translate.batch_size=0"], "translate.batch_size must be a whole number of at least 1"),
    (["align.batch_size=0"], "align.batch_size must be a whole number of at least 1, not 0"),
    (["align.aligner=eflomal", "align.batch_size=true"], "align.batch_size must be a whole"),
    (
        ["backtranslate.enabled=true", "backtranslate.align.batch_size='x'"],
        "backtranslate.align.batch_size must be a whole number of at least 1, not 'x'",
    ),
    (["project.batch_size=-1"], "project.batch_size must be a whole number of at least 1"),
    (["data.limit=-5"], "data.limit must be a whole number >= 0 (0: all), not -5"),
    (["data.limit=abc"], "data.limit must be a whole number >= 0 (0: all), not 'abc'"),
    (["data.corpus=nope"], "data.corpus: unknown corpus 'nope'"),
    (["data.corpus=''"], "the config needs data.corpus"),
    (["data.path=''"], "data: corpus 'conll' needs path"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_SETTINGS, ids=lambda v: str(v))
def test_bad_settings_are_one_line_errors_before_any_work(tmp_path, overrides, message):
    result = CliRunner().invoke(app, ["run", str(_cli_config(tmp_path)), *overrides])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output
    assert CALLS == {}  # nothing was translated, tagged or aligned


def test_a_corpus_without_ner_annotation_is_refused(tmp_path):
    root = tmp_path / "data" / "mafand-mt" / "text_files" / "en-lug"
    root.mkdir(parents=True)
    (root / "test.en").write_text("The man .\n")
    (root / "test.lug").write_text("Omusajja .\n")
    args = ["run", str(_cli_config(tmp_path)), "data.corpus=mafand-mt", "data.pair=en-lug"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2, result.output
    assert "error: data.corpus = 'mafand-mt' is not an annotated NER corpus" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("corpus", ["europarl-ner", "masakhaner2"])
def test_a_language_the_corpus_does_not_have_is_a_one_line_error(tmp_path, corpus):
    args = ["run", str(_cli_config(tmp_path)), f"data.corpus={corpus}", "data.lang=xx"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "error: data: " in result.output and "'xx'" in result.output
    assert "unknown lang 'xx'" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------- corpora, signature


def _data_dir(tmp_path):
    """A data directory holding a Europarl-NER look-alike: English and Spanish, parallel."""
    root = tmp_path / "data"
    write_corpus(root / "europarl-ner" / "en-europarl.test.conll02", SENTENCES)
    write_corpus(root / "europarl-ner" / "es-europarl.test.conll02", SENTENCES)
    return root


def test_any_catalogue_corpus_feeds_a_run_and_gold_reads_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("XLNER_DATA", raising=False)  # only --data-dir can find the corpus
    config = _config(tmp_path, **{"data.corpus": "europarl-ner", "data.lang": "es"})
    config = apply_overrides(
        config, ["tag.tagger='gold'", "tag.options={corpus='europarl-ner', lang='en'}"]
    )
    result = run_pipeline(config, data_dir=_data_dir(tmp_path))
    assert result.scores["f1"] == 100.0 and len(result.records["data"]) == len(SENTENCES)
    assert result.settings["data"]["corpus"] == "europarl-ner"
    assert result.settings["data"]["lang"] == "es" and "split" not in result.settings["data"]
    fields = parse_signature(result.signature.short)
    assert fields["tag"] == "gold" and fields["data.lang"] == "es"


def test_the_parallel_translator_gets_the_run_data_directory(shared_data, monkeypatch):
    from xlner.corpora import get_corpus

    MASAKHANER2_PARALLEL = get_corpus("masakhaner2-parallel")

    if not MASAKHANER2_PARALLEL.is_present(shared_data):
        pytest.skip("masakhaner2-parallel is not in the shared data")
    monkeypatch.delenv("XLNER_DATA", raising=False)
    tmp = shared_data  # read-only: the run directory goes elsewhere
    options = "{corpus='masakhaner2-parallel', lang='lug', split='test'}"
    config = {
        "preset": "light",
        "data": {"corpus": "masakhaner2-parallel", "lang": "lug", "limit": 6},
        "translate": {"translator": "parallel"},
        "tag": {"tagger": "test-caps"},
        "align": {"aligner": "test-diagonal"},
    }
    config = apply_overrides(config, [f"translate.options={options}"])
    import tempfile

    with tempfile.TemporaryDirectory() as run_dir:
        result = run_pipeline(config, run_dir=run_dir, data_dir=tmp)
    assert result.failure_counts().get("translate", 0) == 0
    assert all(t.text for t in result.records["translate"])
    translator = result.signature.full["translate"]["translator"]
    assert translator["method"] == "parallel" and translator["corpus"] == "masakhaner2-parallel"


def test_the_signature_is_built_from_the_settings_that_key_the_cache(tmp_path):
    config = apply_overrides(
        _config(tmp_path),
        [
            "align.aligner='eflomal'",
            "align.options={symmetrization='intersection', rel_iterations=0.1}",
            "tag.options.label='PER'",
        ],
    )
    result = run_pipeline(config)
    signature = result.signature
    # In full: the settings of every stage, as they keyed its cache.
    assert signature.full == {"preset": "light", **result.settings, "version": xlner.__version__}
    assert signature.hash == parse_signature(signature.short)["hash"]
    # Short: the components, and what differs from the preset (eflomal and the heuristic).
    fields = parse_signature(signature.short)
    assert fields["preset"] == "light" and fields["align"] == "eflomal"
    assert fields["align.aligner.symmetrization"] == "intersection"
    assert fields["align.aligner.rel_iterations"] == "0.1"
    assert "align.aligner.seed" not in fields and "align.aligner.eflomal_version" not in fields
    assert not any(field.startswith("project.") for field in fields)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert manifest["signature"] == report["signature"] == signature.short
    assert manifest["signature_full"] == report["signature_full"] == signature.full
    # Each stage's settings are what keyed it.
    for name, settings in result.settings.items():
        deps = [result.stages[d].key for d in ("data", "translate")[:0]]
        assert settings is not None and name in result.stages and deps == []
    changed = run_pipeline(apply_overrides(config, ["tag.options.label='ORG'"]))
    assert changed.signature.full["tag"]["tagger"]["label"] == "ORG"
    assert changed.signature.hash != signature.hash


def test_eflomal_work_files_live_in_the_run_directory(tmp_path, monkeypatch):
    import xlner.align.eflomal as eflomal_module

    parents = []
    real_work_dir = eflomal_module._work_dir

    def spy(parent):
        parents.append(parent)
        return real_work_dir(parent)

    monkeypatch.setattr(eflomal_module, "_work_dir", spy)
    run_dir = tmp_path / "run"
    config = _config(tmp_path, **{"align.aligner": "eflomal", "align.options": {}})
    result = run_pipeline(config, run_dir=run_dir)
    assert result.stages["align"].status == "computed"
    assert parents == [run_dir / "tmp"]
    assert list((run_dir / "tmp").iterdir()) == []  # removed after the run
