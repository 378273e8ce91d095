"""``xlner benchmark silver``: the whole per-language run on two fake languages, the exclusion of
the test sentences, the resumption of finished languages and stages, the page, bad options.

The data directory is built here (MAFAND-MT en-lug and fr-ewe, MasakhaNER 2.0 lug and ewe);
the source tagger is a tiny random BERT installed as the named tagger ``xlner-conll`` that
tags every word PER, and ``test-diagonal`` links word i to word i, so a whole run takes
seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import pipeline_fakes  # noqa: E402,F401 (registers test-diagonal)
from entry_point import xlner_cli  # noqa: E402
from tiny_models import save_tiny_bert, save_tiny_token_classifier  # noqa: E402

from xlner.bench import silver as bench  # noqa: E402
from xlner.bench.silver.vote import (  # noqa: E402
    VoteSetting,
    has_translation,
    vote_sentence,
    vote_settings,
)
from xlner.bench.silver_chart import render  # noqa: E402
from xlner.corpora.conll import read_conll, write_conll  # noqa: E402
from xlner.corpora.masakhaner2_parallel import MASAKHANER2_PARALLEL as TRANSLATIONS  # noqa: E402
from xlner.pipeline.cache import run_lock  # noqa: E402
from xlner.registry import ComponentError  # noqa: E402
from xlner.silver.places import cldr_place_names  # noqa: E402
from xlner.tagging.tagger import META_FILE, TokenTagger  # noqa: E402
from xlner.tagging.training import TrainConfig, fit, latest_checkpoint  # noqa: E402
from xlner.tagging.xlner import DEFAULT_NAME, taggers_dir  # noqa: E402
from xlner.types import Span, TaggedSentence  # noqa: E402

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
# The MasakhaNER 2.0 test sentence of each language; it is in the bitext too (MAFAND-MT dev).
TEST_SENTENCE = {"lug": "Musoke yagenze e Jinja .", "ewe": "Kofi yi Lome ."}
BITEXT = {
    "lug": (
        "en",
        {
            "train": [
                ("Anna visited Kampala .", "Anna yakyalira Kampala ."),
                ("Ravi met Mona .", "Ravi yasisinkana Mona ."),
                ("the rain fell .", "enkuba yatonnya ."),
                ("Omar works in Entebbe .", "Omar akolera Entebbe ."),
            ],
            "dev": [("Musoke went to Jinja .", TEST_SENTENCE["lug"])],
            "test": [("Sara wrote to Li .", "Sara yawandiikira Li .")],
        },
    ),
    "ewe": (
        "fr",
        {
            "train": [
                ("Ama est allée à Accra .", "Ama yi Accra ."),
                ("Yao a vu Esi .", "Yao kpɔ Esi ."),
                ("il pleut .", "tsi le dzadzam ."),
            ],
            "dev": [("Kofi est allé à Lomé .", TEST_SENTENCE["ewe"])],
            "test": [("Edem a écrit .", "Edem ŋlɔ nu .")],
        },
    ),
}


def _s(text: str, *spans: tuple[int, int, str]) -> TaggedSentence:
    return TaggedSentence(text.split(), [Span(*span) for span in spans])


def _lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _data(root: Path) -> Path:
    """MAFAND-MT en-lug and fr-ewe, MasakhaNER 2.0 lug and ewe: train = MAFAND-MT train."""
    for lang, (source, splits) in BITEXT.items():
        folder = root / "mafand-mt" / "text_files" / f"{source}-{lang}"
        for split, pairs in splits.items():
            _lines(folder / f"{split}.{source}", [a for a, _ in pairs])
            _lines(folder / f"{split}.{lang}", [b for _, b in pairs])
        gold = root / "masakhaner2" / lang
        first = splits["train"][0][1]
        write_conll(gold / "train.txt", [_s(first, (0, 1, "PER"), (2, 3, "LOC"))])
        write_conll(gold / "dev.txt", [_s(splits["train"][1][1], (0, 1, "PER"))])
        write_conll(gold / "test.txt", [_s(TEST_SENTENCE[lang], (0, 1, "PER"), (3, 4, "LOC"))])
    return root


@pytest.fixture(scope="module")
def saved_tagger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny English tagger that tags every word B-PER, saved as `xlner train tagger` does."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    root = tmp_path_factory.mktemp("tiny-tagger")
    classifier = save_tiny_token_classifier(root / "classifier", LABELS, favour="B-PER")
    model = AutoModelForTokenClassification.from_pretrained(classifier)
    tagger = TokenTagger(model, AutoTokenizer.from_pretrained(classifier), LABELS, device="cpu")
    tagger.languages = ("en",)
    return tagger.save(root / "tagger")


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved_tagger: Path) -> dict:
    """A user cache holding the tagger as xlner-conll, the data, a fast benchmark config."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shutil.copytree(saved_tagger, taggers_dir() / DEFAULT_NAME)
    config = tmp_path / "fast.toml"
    config.write_text(
        # The light preset: its heuristic reads the diagonal aligner's plain links.
        'preset = "light"\n[align]\naligner = "test-diagonal"\n'
        "[selection]\nrequire_all = false\nkeep_empty = 1.0\nmin_length = 1\n"
        "[train.config]\nmax_steps = 2\nbatch_size = 2\nlearning_rate = 0.01\n",
        encoding="utf-8",
    )
    return {
        "data": _data(tmp_path / "data"),
        "config": config,
        "runs": tmp_path / "runs",
        "output": tmp_path / "results" / "silver.json",
    }


def _bench(capsys, setup: dict, *args: object, languages: str = "lug,ewe"):
    return xlner_cli(
        capsys, "benchmark", "silver",
        "--data-dir", setup["data"], "--config", setup["config"], "--runs", setup["runs"],
        "--output", setup["output"], "--languages", languages, *args,
    )  # fmt: skip


def _result(setup: dict) -> dict:
    return json.loads(setup["output"].read_text(encoding="utf-8"))


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.name != ".lock"}


# ---------------------------------------------------------------------------- the whole run


def test_two_languages_end_to_end(capsys, setup, tmp_path) -> None:
    translated = tmp_path / "masakhaner.json"
    translated.write_text(json.dumps({"rows": [{"lang": "lug", "f1": 61.5}]}), encoding="utf-8")
    result = _bench(capsys, setup, "--translate-test", translated)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    rows = {row["lang"]: row for row in _result(setup)["rows"]}
    assert set(rows) == {"lug", "ewe"}
    assert (rows["lug"]["pair"], rows["ewe"]["pair"]) == ("en-lug", "fr-ewe")
    for lang, row in rows.items():
        # Every MAFAND-MT pair but the excluded test sentence, every word projected as PER.
        assert row["silver"]["sentences_in"] == sum(map(len, BITEXT[lang][1].values()))
        assert row["silver"]["excluded"] == 1
        assert row["silver"]["sentences_out"] == row["silver"]["sentences_in"] - 1
        assert row["silver_quality"]["sentences"] == 2  # the gold train and dev sentences
        assert 0 < row["silver_quality"]["precision"] < 100
        assert row["train"]["sentences"] == row["silver"]["sentences_out"]
        assert row["train"]["config"]["max_steps"] == 2
        assert row["train"]["labels"][:5] == LABELS and "B-DATE" not in row["train"]["labels"]
        assert row["test"]["sentences"] == 1 and row["dev"]["sentences"] == 1
        # The source tagger tags every word PER: only the first word is right.
        words = len(TEST_SENTENCE[lang].split())
        assert row["model_transfer"]["precision"] == pytest.approx(100 / words)
        assert {s["status"] for s in row["stages"].values()} == {"computed"}
        assert all(stage["on"] and stage["seconds"] > 0 for stage in row["stages"].values())
        assert set(row["stages"]) == set(bench.STAGES) - {
            "degrade",
            "ensemble",
            "vote",
        }  # asked for
        assert row["machine"]["cores"] and row["signature"] and row["status"] == "computed"
    assert rows["lug"]["translate_test"] == 61.5 and rows["ewe"]["translate_test"] is None
    assert rows["ewe"]["anchors"]["xlmr_large_model_transfer"] == 71.4
    assert rows["lug"]["anchors"]["t_projection"] is None
    assert rows["ewe"]["components"]["tagger"]["method"] == "xlner"
    assert "average" in result.out and "en-lug" in result.out and "fr-ewe" in result.out
    page = setup["output"].with_suffix(".html").read_text(encoding="utf-8")
    assert page.count('class="point"') >= 4 and ">lug<" in page and "<script" not in page


def test_a_test_sentence_in_the_bitext_never_reaches_the_silver_file(
    capsys, setup, tmp_path
) -> None:
    result = _bench(capsys, setup, "--chart", tmp_path / "page.html", languages="lug")
    assert result.code == 0, result.err
    assert ">lug<" in (tmp_path / "page.html").read_text(encoding="utf-8")
    assert not setup["output"].with_suffix(".html").exists()
    row = _result(setup)["rows"][0]
    silver = Path(row["silver"]["conll"])
    texts = [" ".join(s.tokens) for s in read_conll(silver)]
    assert TEST_SENTENCE["lug"] not in texts and "Anna yakyalira Kampala ." in texts
    summary = json.loads((silver.parent / "summary.json").read_text(encoding="utf-8"))
    assert summary["exclusions"] == [{"name": "masakhaner2 lug test", "sentences": 1, "matched": 1}]


def test_exclude_dev_keeps_the_dev_sentences_out_of_every_training_set(capsys, setup) -> None:
    dev = BITEXT["lug"][1]["train"][1][1]  # the MasakhaNER 2.0 dev sentence, in the bitext
    assert _bench(capsys, setup, languages="lug").code == 0
    (plain,) = _result(setup)["rows"]
    assert dev in [" ".join(s.tokens) for s in read_conll(plain["silver"]["conll"])]
    result = _bench(
        capsys, setup, "exclude_dev=true", "selftrain.rounds=1", "selftrain.threshold=0.01",
        languages="lug",
    )  # fmt: skip
    assert result.code == 0, result.err
    (row,) = _result(setup)["rows"]
    assert row["stages"]["silver"]["status"] == "computed"  # other silver data, its own stage
    trained = [row["silver"]["conll"], row["selftrain"][0]["relabel"]["conll"]]
    for conll in trained:  # the tagger's training file and the self-training round's
        texts = [" ".join(s.tokens) for s in read_conll(conll, unknown=True)]
        assert dev not in texts and TEST_SENTENCE["lug"] not in texts and texts
    summary = json.loads((Path(trained[0]).parent / "summary.json").read_text(encoding="utf-8"))
    assert [(e["name"], e["matched"]) for e in summary["exclusions"]] == [
        ("masakhaner2 lug test", 1), ("masakhaner2 lug dev", 1)
    ]  # fmt: skip
    assert row["silver_quality"]["sentences"] == 1  # the train sentence alone has gold now
    # Dev is still scored, and the row without the setting is the plain one, read back.
    assert row["dev"]["sentences"] == 1
    assert _bench(capsys, setup, languages="lug").code == 0
    assert _result(setup)["rows"][0]["status"] == "reused"


def test_place_names_in_the_silver_benchmark(capsys, setup, monkeypatch) -> None:
    from xlner.bench.silver import config as bench_config

    result = _bench(capsys, setup, "selection.place_names=label", languages="ewe")
    assert result.code == 0, result.err
    (row,) = _result(setup)["rows"]
    assert row["silver"]["place_names"] == 0  # the pass ran; no CLDR name in the tiny bitext
    assert row["components"]["selection"]["place_names"] == "label"
    # Other names (babel's CLDR data changed): other silver data, computed again.
    from xlner.bench.silver import stages as bench_stages

    fewer = frozenset(sorted(cldr_place_names("ewe"))[1:])
    monkeypatch.setattr(bench_stages, "cldr_place_names", lambda lang: fewer)
    assert _bench(capsys, setup, "selection.place_names=label", languages="ewe").code == 0
    assert _result(setup)["rows"][0]["stages"]["silver"]["status"] == "computed"

    # A language without CLDR place names is refused before any work.
    def no_names(lang: str) -> None:
        raise ComponentError(f"CLDR (babel) has no place names in {lang!r}")

    monkeypatch.setattr(bench_config, "cldr_place_names", no_names)
    refused = _bench(capsys, setup, "selection.place_names=mask", languages="lug")
    assert refused.code == 2 and "Traceback" not in refused.err
    assert "selection.place_names: CLDR (babel) has no place names in 'lug'" in refused.err
    assert not (setup["runs"] / "lug").exists()


def test_silver_only_runs_the_silver_stages_and_trains_nothing(capsys, setup, tmp_path) -> None:
    result = _bench(capsys, setup, "--silver-only", languages="lug")
    assert result.code == 0, result.err
    found = _result(setup)
    assert found["benchmark"] == "masakhaner2-silver-data"
    (row,) = found["rows"]
    assert row["lang"] == "lug" and row["stages"]["silver"]["status"] == "computed"
    assert row["silver_quality_no_date"]["sentences"] == 2
    ran = {p.name.split("-")[0] for p in (setup["runs"] / "lug").iterdir() if p.is_dir()}
    assert "silver" in ran and not ran & {"train", "evaluate", "transfer"}
    f1 = f"{row['silver_quality_no_date']['f1']:.1f}"
    assert "silver F1" in result.out and "nothing trained" in result.out and f1 in result.out
    # The full run reads the silver stage back and trains on it.
    assert _bench(capsys, setup, languages="lug").code == 0
    assert _result(setup)["rows"][0]["stages"]["silver"]["status"] == "reused"
    # A config's variants, each a row; bad combinations are one-line errors.
    config = _ablation(setup, tmp_path, "base = []\nlonger = ['selection.min_length=4']\n")
    assert _bench(capsys, setup, "--config", config, "--silver-only", languages="lug").code == 0
    assert [(r["variant"], r["stages"]["silver"]["status"]) for r in _result(setup)["rows"]] == [
        ("base", "reused"), ("longer", "computed")
    ]  # fmt: skip
    refused = _bench(capsys, setup, "--silver-only", "--finished", languages="lug")
    assert refused.code == 2 and "--silver-only reports silver data alone" in refused.err


def test_a_second_run_recomputes_nothing(capsys, setup) -> None:
    assert _bench(capsys, setup).code == 0
    before = _mtimes(setup["runs"])
    again = _bench(capsys, setup)
    assert again.code == 0, again.err
    assert [row["status"] for row in _result(setup)["rows"]] == ["reused", "reused"]
    assert "read back" in again.err
    assert _mtimes(setup["runs"]) == before


def test_each_finished_stage_is_read_back(capsys, setup) -> None:
    assert _bench(capsys, setup, languages="lug").code == 0
    (row,) = _result(setup)["rows"]
    silver = _mtimes(Path(row["stages"]["silver"]["dir"]))
    # A row whose evaluation was lost: only the evaluation is computed again.
    (setup["runs"] / "lug" / bench.row_name(row["key"])).unlink()
    (Path(row["stages"]["evaluate"]["dir"]) / bench.STAGE_FILE).unlink()
    assert _bench(capsys, setup, languages="lug").code == 0
    (row,) = _result(setup)["rows"]
    statuses = {name: stage["status"] for name, stage in row["stages"].items()}
    assert statuses == {"silver": "reused", "train": "reused", "evaluate": "computed",
                        "transfer": "reused"}  # fmt: skip
    # Another step budget: the silver data is reused, a new tagger trained beside the old one.
    assert _bench(capsys, setup, "train.config.max_steps=3", languages="lug").code == 0
    (changed,) = _result(setup)["rows"]
    assert changed["stages"]["silver"]["status"] == "reused"
    assert changed["stages"]["train"]["status"] == "computed"
    assert changed["stages"]["train"]["dir"] != row["stages"]["train"]["dir"]
    assert Path(row["stages"]["train"]["dir"]).is_dir()
    assert _mtimes(Path(row["stages"]["silver"]["dir"])) == silver


def test_a_tagger_trained_fresh_from_an_encoder(capsys, setup, tmp_path) -> None:
    encoder = save_tiny_bert(tmp_path / "encoder", ["anna", "kampala", "."])
    overrides = ("train.init=encoder", f"train.encoder='{encoder}'")
    result = _bench(capsys, setup, *overrides, languages="lug")
    assert result.code == 0, result.err
    (row,) = _result(setup)["rows"]
    # Only the silver data's labels: no LOC row kept from the source tagger.
    assert row["train"]["labels"] == ["O", "B-PER", "I-PER"] and row["train"]["init"] == "encoder"


def _install(folder: Path, name: str, labels: list[str], favour: str) -> None:
    """A tiny tagger that tags every word ``favour``, as the named tagger ``name``."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    classifier = save_tiny_token_classifier(folder, labels, favour=favour)
    model = AutoModelForTokenClassification.from_pretrained(classifier)
    tagger = TokenTagger(model, AutoTokenizer.from_pretrained(classifier), labels, device="cpu")
    tagger.save(taggers_dir() / name)


def test_silver_without_any_entity_is_a_one_line_error(capsys, setup, tmp_path) -> None:
    _install(tmp_path / "o", "nothing", LABELS, favour="O")
    result = _bench(capsys, setup, "tagger.options.model='nothing'", languages="lug")
    assert result.code == 2
    assert "silver.conll: no entity in its 5 sentences" in result.err
    assert "Traceback" not in result.err


def test_tagger_classes_outside_masakhaner_are_named(capsys, setup, tmp_path) -> None:
    _install(tmp_path / "misc", "misc", [*LABELS, "B-MISC", "I-MISC"], favour="B-MISC")
    args = ("tagger.options.model='misc'", "tagger.label_map=none")
    result = _bench(capsys, setup, *args, languages="lug")
    assert result.code == 2 and "Traceback" not in result.err
    assert "gives MISC, which the target label set (PER, ORG, LOC, DATE) lacks" in result.err
    # The default label map (drop-misc) drops it: silver data without any entity is left.
    dropped = _bench(capsys, setup, args[0], languages="lug")
    assert dropped.code == 2 and "no entity in its 5 sentences" in dropped.err


# ---------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--languages", "xyz"), "unknown language 'xyz'; choose from bam, ewe"),
        (("--languages", "lug,"), "--languages must be comma-separated languages"),
        (("--config", "benchmarks/silvr"), "no built-in config 'benchmarks/silvr'"),
        (("train.confg.max_steps=3",), "did you mean 'train.config'?"),
        (("train.init=gold",), "train.init must be one of source, encoder, not 'gold'"),
        (("train.config.stop_after=3",), "stop_after pauses training; give a step budget"),
        (("train.config.epoch=1",), "train.config: got an unexpected keyword argument 'epoch'"),
        (("selection.keep_empty=2",), "keep_empty is a share between 0 and 1"),
        (("tagger.options.model='missing'",), "no tagger named 'missing'"),
        (("tagger.name=test-caps",), "xlner tagger; tagger 'test-caps' is none"),
        (("preset=heavy",), "unknown preset 'heavy'"),
        (("tagger.label_map=keep-all",), "tagger.label_map: unknown label map 'keep-all'"),
        (("label_map=drop",), "label_map: unknown label map 'drop'"),
        (("bitext='masakhaner2'",), "corpus 'masakhaner2' has no pair for"),  # not line-parallel
        # A value of another kind than its setting's (a misspelt true would read as true).
        (("ensemble.with_translate_test=ture",), "must be true or false, not 'ture'"),
        (("ensemble.with_transfer=1",), "ensemble.with_transfer must be true or false, not 1"),
        (("train.pooled='no'",), "train.pooled must be true or false, not 'no'"),
        (("languages='lug'",), "languages must be a list, not 'lug'"),
        (("dev_split=3",), "dev_split must be text, not 3"),
        (("exclude_dev='yes'",), "exclude_dev must be true or false, not 'yes'"),
        (("selection.place_names=all",), "place_names is one of off, label, mask, not 'all'"),
        (("selftrain.rounds=-1",), "selftrain: rounds is a count of rounds (0: none), not -1"),
        (("selftrain.rounds=true",), "selftrain: rounds is a count of rounds (0: none), not True"),
        (("selftrain.threshold=0",), "selftrain: threshold is a probability above 0, not 0"),
        (
            ("selftrain.threshold='high'",),
            "selftrain: threshold is a probability above 0, not 'high'",
        ),
        (("selftrain.round=1",), "selftrain: got an unexpected keyword argument 'round'"),
        (
            ("selftrain.rounds=1", "train.pooled=true"),
            "selftrain relabels one language's silver data as projection made it",
        ),
        (
            ("selftrain.rounds=1", "degrade.operator=mix", "degrade.level=0.5"),
            "leave train.pooled and degrade out",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(capsys, setup, args, message) -> None:
    result = _bench(capsys, setup, *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert not setup["runs"].exists()  # checked before any work


def test_bad_files_are_one_line_errors(capsys, setup, tmp_path) -> None:
    missing = _bench(capsys, setup, "--translate-test", tmp_path / "none.json")
    assert missing.code == 2 and "--translate-test" in missing.err and "none.json" in missing.err
    broken = tmp_path / "broken.json"
    broken.write_text('{"rows": [{"language": "lug"}]}', encoding="utf-8")
    result = _bench(capsys, setup, "--translate-test", broken)
    assert result.code == 2 and "not a results file of benchmarks/masakhaner.py" in result.err
    chart = _bench(capsys, setup, "--chart", setup["output"])
    assert chart.code == 2 and "is the --output file" in chart.err
    shutil.rmtree(setup["data"] / "masakhaner2" / "ewe")
    absent = _bench(capsys, setup)
    assert absent.code == 2 and "masakhaner2" in absent.err and "Traceback" not in absent.err
    config = tmp_path / "typo.toml"
    config.write_text("[train]\ninti = 'source'\n", encoding="utf-8")
    typo = _bench(capsys, setup, "--config", config)
    assert typo.code == 2 and "unknown setting 'train.inti'" in typo.err
    for outcome in (missing, result, chart, absent, typo):
        assert "Traceback" not in outcome.err
    assert not setup["runs"].exists()


# ---------------------------------------------------------------------------- pieces


def test_the_quick_config_names_only_its_step_budget() -> None:
    quick, full = bench.load_settings("benchmarks/silver-quick"), bench.load_settings()
    assert quick["train"]["config"] == {"max_steps": 300}
    assert full["train"]["config"] == {}  # TrainConfig's defaults
    assert full["train"]["init"] == "source"  # continue from the English tagger
    assert {k: v for k, v in quick.items() if k not in ("train", "config")} == {
        k: v for k, v in full.items() if k not in ("train", "config")
    }
    assert len(full["languages"]) == 18


def test_a_stage_read_back_from_a_moved_runs_folder_points_inside_it(tmp_path) -> None:
    def compute(out: Path) -> dict:
        (out / "silver.conll").write_text("Anna\tB-PER\n\n", encoding="utf-8")
        return {"conll": str(out / "silver.conll"), "model": str(out / "model"), "n": 1}

    first = tmp_path / "a" / "lug" / "silver-0123456789ab"
    made = bench.run_stage("silver", first, compute, {})
    moved = tmp_path / "b" / "lug" / first.name
    shutil.move(first.parent.parent, tmp_path / "b")
    stages: dict = {}
    found = bench.run_stage("silver", moved, compute, stages)
    assert stages["silver"]["status"] == "reused" and found["n"] == 1
    assert found["conll"] == str(moved / "silver.conll") != made["conll"]
    assert Path(found["conll"]).is_file() and found["model"] == str(moved / "model")
    # Read back where it was made, nothing changes.
    assert bench.rebased(made, first) == made


def test_the_train_stage_trains_on_partial_labels(saved_tagger, tmp_path) -> None:
    """Silver data with masked words (selection.dropped_class = "mask", tagged '-') trains."""
    silver = tmp_path / "silver.conll"
    silver.write_text("Anna\tB-PER\nvisited\tO\nAmerican\t-\nfriends\tO\n\n", "utf-8")
    config = TrainConfig(max_steps=1, batch_size=1)
    trained = bench.train_stage(silver, tmp_path / "out", lang="lug", config=config,
                                source=saved_tagger)  # fmt: skip
    assert trained["sentences"] == 1 and (tmp_path / "out" / "model" / META_FILE).is_file()


def test_max_steps_ends_the_schedule_and_saves_the_tagger(saved_tagger, tmp_path) -> None:
    tagger = TokenTagger.load(saved_tagger, device="cpu")
    train = [_s("john smith works in kampala .", (0, 2, "PER"), (4, 5, "LOC"))] * 8
    config = TrainConfig(epochs=3, batch_size=2, max_steps=3, bf16=False)
    history = fit(tagger, train, config=config, output_dir=tmp_path / "t")
    assert (tmp_path / "t" / META_FILE).is_file()
    assert int(latest_checkpoint(tmp_path / "t").name.removeprefix("checkpoint-")) == 3
    assert [record["epoch"] for record in history] == [1]  # the cut first epoch is recorded


def _row(lang: str, silver: float | None, ours: float, transfer: float | None) -> dict:
    return {
        "lang": lang,
        "silver_quality_no_date": {"sentences": 5 if silver is not None else 0, "f1": silver or 0},
        "test": {"f1": ours},
        "model_transfer": {"f1": transfer} if transfer is not None else None,
        "anchors": {"t_projection": 70.0 if lang == "hau" else None},
    }


def test_averages_wins_and_anchor_languages() -> None:
    rows = [_row("lug", 55.0, 60.0, 50.0), _row("hau", None, 40.0, 45.0)]
    settings = {"anchors": {"t_projection": {"hau": 70.0, "swa": 80.0}}}
    mean = bench.averages(rows, settings)
    assert mean["silver_tagger_f1"] == 50.0 and mean["silver_f1"] == 55.0
    assert mean["beats_model_transfer"] == 1 and mean["languages"] == 2
    assert mean["across_languages"] == {"languages": 1, "pearson_r": None}  # too few points
    assert mean["on_t_projection_languages"] == {
        "languages": 1, "of": 2, "silver_tagger_f1": 40.0, "anchor_f1": 70.0
    }  # fmt: skip


def test_the_footer_gives_pearson_r_over_the_languages_with_silver_f1() -> None:
    rows = [_row("lug", 70.0, 80.0, 50.0), _row("tsn", 50.0, 60.0, 40.0)]
    rows += [_row("twi", 60.0, 65.0, 40.0), _row("hau", None, 40.0, 45.0)]
    settings = {"anchors": {}}
    mean = bench.averages(rows, settings)
    assert mean["across_languages"]["languages"] == 3
    assert mean["across_languages"]["pearson_r"] == pytest.approx(0.9607689)
    for row in rows:
        row.update(pair="en-x", silver={"sentences_out": 1}, stages={}, status="reused")
    table = bench.format_results({
        "settings": settings, "rows": rows, "average": mean, "wall_seconds": 1.0,
    })  # fmt: skip
    assert "over the 3 languages with silver F1: Pearson r +0.96" in table


def test_the_page_places_only_languages_with_silver_f1_on_the_quality_chart() -> None:
    rows = [_row("lug", 55.0, 60.0, 50.0), _row("hau", None, 40.0, 45.0)]
    rows[0]["test"]["f1_interval"] = [57.5, 62.5]
    for row in rows:
        row["silver"] = {"sentences_out": 100}
    page = render({"config": "benchmarks/silver", "rows": rows})
    quality, languages = page.split('aria-label="Every language"')
    assert ">lug<" in quality and "hau silver" not in quality
    assert "hau silver-trained tagger" in languages and quality.count('class="link"') == 1
    # The rows are an HTML table with readable column names, each F1 with its interval.
    assert "<pre>" not in page and "<table>" in page
    assert "T-Projection F1 (published)" in page and "t_projection" not in page
    assert "57.5-62.5" in page


def test_the_benchmark_script_is_the_command() -> None:
    script = Path(__file__).parents[1] / "benchmarks" / "silver.py"
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "--translate-test" in done.stdout and "--runs" in done.stdout


# ---------------------------------------------------------------------------- the ablation


def _ablation(setup: dict, tmp_path: Path, variants: str) -> Path:
    config = tmp_path / "ablation.toml"
    config.write_text(
        f"extends = '{setup['config']}'\nlanguages = ['lug', 'ewe']\n[variants]\n{variants}",
        encoding="utf-8",
    )
    return config


def test_an_ablation_runs_each_variant_and_studies_quality(capsys, setup, tmp_path) -> None:
    assert _bench(capsys, setup).code == 0  # the plain run: the base variant's stages
    plain = {row["lang"]: row["key"] for row in _result(setup)["rows"]}
    config = _ablation(setup, tmp_path, "base = []\nlonger = ['selection.min_length=4']\n")
    result = _bench(capsys, setup, "--config", config)
    assert result.code == 0, result.err
    found = _result(setup)
    assert found["benchmark"] == "masakhaner2-silver-ablation"
    base, longer = found["variants"]
    assert (base["name"], longer["name"]) == ("base", "longer")
    assert longer["overrides"] == ["selection.min_length=4"]
    # The base variant is the plain run read back; the other one keeps fewer sentences.
    assert {row["lang"]: row["key"] for row in base["rows"]} == plain
    assert [row["status"] for row in base["rows"]] == ["reused", "reused"]
    for ours, theirs in zip(base["rows"], longer["rows"], strict=True):
        assert theirs["silver"]["sentences_out"] < ours["silver"]["sentences_out"]
        assert theirs["stages"]["silver"]["status"] == "computed"
    # Both variants tag each language once: tagging and alignment are shared by its stages.
    for lang in ("lug", "ewe"):
        assert len(list((setup["runs"] / lang / bench.CACHE_DIR).glob("tag-*"))) == 1
    study = found["study"]
    assert {(p["lang"], p["variant"]) for p in study["points"]} == {
        (lang, name) for lang in ("lug", "ewe") for name in ("base", "longer")
    }
    assert set(study["per_language"]) == {"lug", "ewe"}
    assert "Pearson r" in result.out and "longer" in result.out
    # Variants are chosen on dev: the table gives each tagger's dev F1, and each average's.
    dev_f1 = f"{longer['rows'][0]['dev']['f1']:.1f}"
    mean = f"{longer['average']['silver_tagger_dev_f1']:.1f}"
    assert "tagger dev F1" in result.out
    assert any(line.startswith("average") and "longer" in line and mean in line
               for line in result.out.splitlines())  # fmt: skip
    assert any(line.startswith("lug ") and "longer" in line and dev_f1 in line
               for line in result.out.splitlines())  # fmt: skip
    page = setup["output"].with_suffix(".html").read_text(encoding="utf-8")
    assert "Projection quality varied" in page and ">base<" in page
    chart = page.split("<table")[0]
    assert chart.count(">lug<") == chart.count(">ewe<") == 1  # a language named once


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ("light = 'preset=light'\n", "variants.light: a list of key=value settings"),
        ("typo = ['selection.min_lenght=4']\n", "variants.typo: selection: "),
        ("typo = ['train.inti=source']\n", "variants.typo: override 'train.inti=source'"),
        ("heavy = ['preset=heavy']\n", "variants.heavy: unknown preset 'heavy'"),
    ],
)
def test_bad_variants_are_one_line_errors(capsys, setup, tmp_path, variants, message) -> None:
    result = _bench(capsys, setup, "--config", _ablation(setup, tmp_path, variants))
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err and not setup["runs"].exists()


def test_variants_runs_only_the_variants_it_names(capsys, setup, tmp_path) -> None:
    config = _ablation(
        setup, tmp_path, "base = []\nlonger = ['selection.min_length=4']\nshort = []\n"
    )
    result = _bench(capsys, setup, "--config", config, "--variants", "short,base", languages="lug")
    assert result.code == 0, result.err
    # In the config's order, and the stages of the variant left out were never computed.
    assert [v["name"] for v in _result(setup)["variants"]] == ["base", "short"]
    assert len(list((setup["runs"] / "lug").glob("silver-*"))) == 1


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ("base,typo", "--variants: no variant 'typo' in the config (it has base, longer)"),
        ("base,", "--variants must be comma-separated variant names, not 'base,'"),
    ],
)
def test_bad_variant_names_are_one_line_errors(capsys, setup, tmp_path, variants, message) -> None:
    config = _ablation(setup, tmp_path, "base = []\nlonger = ['selection.min_length=4']\n")
    result = _bench(capsys, setup, "--config", config, "--variants", variants)
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err and not setup["runs"].exists()


def test_finished_reports_the_rows_done_beside_a_run_in_progress(capsys, setup, tmp_path) -> None:
    config = _ablation(setup, tmp_path, "base = []\nlonger = ['selection.min_length=4']\n")
    first = _bench(capsys, setup, "--config", config, "--variants", "base", languages="lug")
    assert first.code == 0, first.err
    before = _mtimes(setup["runs"])
    with run_lock(setup["runs"] / "lug"):  # another run holds the language
        busy = _bench(capsys, setup, "--config", config)
        assert busy.code == 2 and "is in use" in busy.err, busy.err
        result = _bench(capsys, setup, "--config", config, "--finished")
    assert result.code == 0, result.err
    base, longer = _result(setup)["variants"]
    assert [(row["lang"], row["status"]) for row in base["rows"]] == [("lug", "reused")]
    assert longer["rows"] == []
    assert "ewe: not finished, left out" in result.err and "lug: not finished" in result.err
    # Nothing was run or written under --runs: no stage of ewe or of the longer variant.
    assert _mtimes(setup["runs"]) == before and not (setup["runs"] / "ewe").exists()


def _count_reads(monkeypatch) -> list[str]:
    """The bitext pairs the silver benchmark reads, one entry a read."""
    from xlner.bench.silver import stages

    reads: list[str] = []

    def counted(name, pair, **kwargs):
        reads.append(pair)
        return read_corpus(name, pair, **kwargs)

    read_corpus = stages.read_corpus
    monkeypatch.setattr(stages, "read_corpus", counted)
    return reads


def test_finished_reads_back_a_pooled_tagger_rows(capsys, setup, monkeypatch) -> None:
    reads = _count_reads(monkeypatch)
    assert _bench(capsys, setup, "train.pooled=true").code == 0
    pooled = {row["lang"]: row["key"] for row in _result(setup)["rows"]}
    assert sorted(reads) == ["en-lug", "fr-ewe"]  # each language's bitext read once
    reads.clear()
    result = _bench(capsys, setup, "train.pooled=true", "--finished")
    assert result.code == 0, result.err
    assert {row["lang"]: row["key"] for row in _result(setup)["rows"]} == pooled
    assert sorted(reads) == ["en-lug", "fr-ewe"]
    alone = _bench(capsys, setup, "--finished")  # the per-language taggers were never trained
    assert alone.code == 0, alone.err
    assert _result(setup)["rows"] == [] and "lug: not finished, left out" in alone.err


def test_variants_of_a_config_without_them_is_a_one_line_error(capsys, setup) -> None:
    result = _bench(capsys, setup, "--variants", "clean")
    assert result.code == 2 and "has no [variants] table" in result.err, result.err


def test_a_config_extends_another(tmp_path) -> None:
    child = tmp_path / "child.toml"
    child.write_text("extends = 'benchmarks/silver-quick'\npreset = 'light'\n", encoding="utf-8")
    settings = bench.load_settings(str(child))
    assert settings["preset"] == "light" and settings["train"]["config"] == {"max_steps": 300}
    grandchild = tmp_path / "grandchild.toml"  # a file named beside the one that extends it
    grandchild.write_text("extends = 'child.toml'\n[selection]\nmin_score = 0.5\n", "utf-8")
    settings = bench.load_settings(str(grandchild))
    assert settings["preset"] == "light" and settings["selection"] == {"min_score": 0.5}
    loop = tmp_path / "loop.toml"
    loop.write_text("extends = 'loop.toml'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="extends itself"):
        bench.load_settings(str(loop))
    odd = tmp_path / "odd.toml"
    odd.write_text("extends = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="extends names a config, not 3"):
        bench.load_settings(str(odd))


def test_the_ablation_config_default_variant_is_the_quick_benchmark() -> None:
    variants = bench.load_variants("benchmarks/silver-ablation")
    assert list(variants) == ["default", "light", "keep-partial"]
    quick = bench.load_settings("benchmarks/silver-quick")
    differ = {k for k in quick if quick[k] != variants["default"].get(k)}
    assert differ == {"config", "languages", "variants"}
    assert variants["light"]["preset"] == "light"
    assert variants["keep-partial"]["selection"] == {"require_all": False}


def test_the_seeds_config_changes_only_the_training_seed() -> None:
    variants = bench.load_variants("benchmarks/silver-seeds")
    quick = bench.load_settings("benchmarks/silver-quick")
    assert {k for k in quick if quick[k] != variants["default"].get(k)} == {
        "config", "languages", "variants"
    }  # fmt: skip
    for name, seed in (("seed-43", 43), ("seed-44", 44)):
        assert variants[name]["train"]["config"] == {"max_steps": 300, "seed": seed}
        assert variants[name]["selection"] == variants["default"]["selection"]


def test_the_quality_study_within_and_across_languages() -> None:
    def variant(name: str, *rows: dict) -> dict:
        return {"name": name, "rows": list(rows)}

    study = bench.quality_study([
        variant("a", _row("lug", 70.0, 80.0, 50.0), _row("tsn", 50.0, 60.0, 40.0)),
        variant("b", _row("lug", 60.0, 75.0, 50.0), _row("tsn", 40.0, 55.0, 40.0)),
        variant("c", _row("lug", 65.0, 70.0, 50.0), _row("hau", None, 30.0, 45.0)),
    ])  # fmt: skip
    assert len(study["points"]) == 5  # hau has no silver F1
    assert study["per_language"]["lug"]["silver_f1_spread"] == 10.0
    assert study["per_language"]["lug"]["test_f1_spread"] == 10.0
    assert study["per_language"]["tsn"]["slope"] == pytest.approx(0.5)
    assert study["per_language"]["lug"]["slope"] == pytest.approx(0.5)
    assert 0 < study["pearson_r_within_languages"] < study["pearson_r"] < 1


# ---------------------------------------------------------------------------- self-training


def test_a_self_training_round_relabels_the_silver_data_and_trains_again(capsys, setup) -> None:
    assert _bench(capsys, setup, languages="lug").code == 0
    (plain,) = _result(setup)["rows"]
    # A threshold low enough that the tiny tagger's spans count as confident.
    result = _bench(
        capsys, setup, "selftrain.rounds=1", "selftrain.threshold=0.01", languages="lug"
    )
    assert result.code == 0, result.err
    assert "self-training round 1: relabelling" in result.err
    assert "train s  relabel-1 s  train-1 s  evaluate s" in result.out  # the rounds' times
    (row,) = _result(setup)["rows"]
    statuses = {name: stage["status"] for name, stage in row["stages"].items()}
    # Round 0 is the plain run's tagger, read back; the round and its scores are new.
    assert statuses == {
        "silver": "reused", "train": "reused", "relabel-1": "computed", "train-1": "computed",
        "evaluate": "computed", "transfer": "reused",
    }  # fmt: skip
    assert row["train"]["model"] == plain["train"]["model"]
    (round_one,) = row["selftrain"]
    relabelled, retrained = round_one["relabel"], round_one["train"]
    assert relabelled["round"] == 1 and sum(relabelled["relabel"].values()) > 0
    assert relabelled["relabel"]["silver"] == plain["silver"]["sentences_out"]
    assert retrained["model"] != plain["train"]["model"]
    assert retrained["sentences"] == relabelled["sentences_out"]
    # What the row's tagger was trained on: the relabelled data, measured against gold.
    assert row["silver_quality"] == relabelled["quality"]
    assert relabelled["quality"]["sentences"] == plain["silver_quality"]["sentences"] == 2
    texts = [" ".join(s.tokens) for s in read_conll(relabelled["conll"], unknown=True)]
    assert TEST_SENTENCE["lug"] not in texts and len(texts) == relabelled["sentences_out"]
    summary = json.loads((Path(relabelled["conll"]).parent / "summary.json").read_text("utf-8"))
    assert summary["round"] == 1 and summary["models"] == [plain["train"]["model"]]
    # Without the round the row is the plain run's, read back.
    assert _bench(capsys, setup, languages="lug").code == 0
    assert _result(setup)["rows"][0]["status"] == "reused"


def test_the_self_training_config_adds_one_round_to_the_quick_benchmark() -> None:
    quick = bench.load_settings("benchmarks/silver-quick")
    variants = bench.load_variants("benchmarks/silver-selftrain")
    assert list(variants) == ["none", "round1"]
    assert variants["none"]["selftrain"] == {} and variants["round1"]["selftrain"] == {"rounds": 1}
    assert {k for k in quick if quick[k] != variants["none"][k]} == {
        "config",
        "languages",
        "variants",
    }


# ---------------------------------------------------------------------------- the crossover study


def test_a_degrade_variant_trains_on_worse_silver_and_the_study_answers(
    capsys, setup, tmp_path
) -> None:
    assert _bench(capsys, setup, languages="lug").code == 0  # the clean rows, read back below
    variants = (
        "clean = []\nseed = ['train.config.seed=43']\n"
        "dropped = ['degrade.operator=drop_entities', 'degrade.level=1.0', 'degrade.floor=0']\n"
    )
    config = _ablation(setup, tmp_path, variants)
    result = _bench(capsys, setup, "--config", config, languages="lug")
    assert result.code == 0, result.err
    found = _result(setup)
    clean, _, dropped = (variant["rows"][0] for variant in found["variants"])
    assert clean["status"] == "reused" and clean["degrade"] is None
    # The degraded row: a degrade stage between silver and train, entities dropped until no
    # silver span of a gold sentence is right; the silver stage itself is the clean run's.
    assert dropped["stages"]["degrade"]["status"] == "computed"
    assert dropped["stages"]["silver"]["status"] == "reused"
    assert dropped["degrade"]["clean_silver_f1"] == clean["silver_quality_no_date"]["f1"] > 0
    assert dropped["silver_quality_no_date"]["f1"] == pytest.approx(0.0, abs=0.5)
    assert dropped["degrade"]["entities"]["degraded"] < dropped["degrade"]["entities"]["clean"]
    assert dropped["train"]["model"] != clean["train"]["model"]
    low, high = clean["test"]["f1_interval"]
    assert low - 1e-9 <= clean["test"]["f1"] <= high + 1e-9  # one sentence: all the same
    assert len(clean["test"]["counts"]) == 1
    study = found["crossover"]
    assert study["per_language"]["lug"]["points"] == 3
    # The curve is fitted to the clean and mixed rows only (two here, of one silver F1: no
    # line; tests/test_silver_crossover.py has curves with an answer); a single kind of
    # error is measured against the clean rows.
    assert study["per_language"]["lug"]["fit"] is None
    assert set(study["damage_per_point"]) == {"drop_entities"}
    assert "crossover silver F1" in result.out and "drop_entities" in result.out
    # A second run reads every stage back, the degraded one too.
    again = _bench(capsys, setup, "--config", config, languages="lug")
    assert again.code == 0 and {
        r["status"] for v in _result(setup)["variants"] for r in v["rows"]
    } == {"reused"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("degrade.operator=shuffle", "degrade.operator: unknown silver degradation 'shuffle'"),
        ("degrade.level=2", "degrade.level must be in [0, 1]"),
        ("degrade.lvel=0.5", "degrade: got an unexpected keyword argument 'lvel'"),
    ],
)
def test_bad_degrade_settings_are_one_line_errors(capsys, setup, override, message) -> None:
    result = _bench(capsys, setup, override)
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err


def test_the_crossover_config_spans_five_levels_and_three_seeds() -> None:
    variants = bench.load_variants("benchmarks/silver-crossover")
    levels = {
        v["degrade"].get("level", 0.0)
        for v in variants.values()
        if v["degrade"].get("operator", "mix") == "mix"
    }
    assert levels == {0.0, 0.25, 0.5, 0.75, 1.0}
    seeds: dict[float, set[int]] = {}
    for v in variants.values():
        if v["degrade"].get("operator", "mix") == "mix":
            level = v["degrade"].get("level", 0.0)
            seeds.setdefault(level, set()).add(v["train"]["config"].get("seed", 42))
    assert sum(1 for found in seeds.values() if len(found) >= 3) >= 3
    kinds = {v["degrade"].get("operator") for v in variants.values()} - {None, "mix"}
    assert kinds == {"drop_entities", "shift_boundaries", "swap_classes", "add_entities"}
    assert len(variants["clean"]["languages"]) >= 4
    # Upward from clean: the same silver data without the sentences of unmapped classes.
    up = variants["partial-drop"]
    assert up["selection"] == {"dropped_class": "drop"} and not up["degrade"]


def test_the_ensemble_with_model_transfer_weighs_on_dev(capsys, setup) -> None:
    assert _bench(capsys, setup, "ensemble.with_transfer=true", languages="lug").code == 0
    row = _result(setup)["rows"][0]
    mixed = row["ensemble"]
    assert row["stages"]["ensemble"]["status"] == "computed"
    assert len(mixed["dev_f1_by_weight"]) == 11 and mixed["silver_weight"] in bench.ENSEMBLE_WEIGHTS
    # All the weight on the silver tagger is the silver tagger itself.
    assert mixed["dev_f1_by_weight"]["1.0"] == pytest.approx(row["dev"]["f1"])
    best = max(mixed["dev_f1_by_weight"].values())
    assert mixed["dev"]["f1"] == pytest.approx(best)
    assert mixed["test"]["sentences"] == 1 and "f1_interval" in mixed["test"]
    # Without the ensemble the row is the plain run's, read back.
    assert _bench(capsys, setup, languages="lug").code == 0
    plain = _result(setup)["rows"][0]
    assert plain["ensemble"] is None and plain["stages"]["train"]["status"] == "reused"


def _translations(data: Path) -> None:
    """masakhaner2-parallel for the sentences of lug and ewe, every split, built from the
    fixture's MasakhaNER 2.0 and MAFAND-MT as `xlner data fetch` builds it."""
    for lang in BITEXT:
        for split in ("test", "dev", "train"):
            dest = TRANSLATIONS.path(lang=lang, split=split, data_dir=data, must_exist=False)
            dest.parent.mkdir(parents=True, exist_ok=True)
            TRANSLATIONS.build_file(dest, data_dir=data, lang=lang, split=split)


def test_the_vote_with_translate_test_chooses_on_dev(capsys, setup) -> None:
    _translations(setup["data"])
    voting = "ensemble.with_translate_test=true"
    first = _bench(capsys, setup, voting, languages="lug")
    assert first.code == 0
    result = _result(setup)
    row, vote = result["rows"][0], result["rows"][0]["vote"]
    assert row["stages"]["vote"]["status"] == "computed"
    assert len(vote["dev_f1_by_setting"]) == len(vote_settings())
    assert vote["dev"]["f1"] == pytest.approx(max(vote["dev_f1_by_setting"].values()))
    # With no weight on the other two, the vote is its first voter, the silver tagger.
    alone = VoteSetting(0.0, 0.0, 0.5).name
    assert vote["first"] == "silver tagger"
    assert vote["dev_f1_by_setting"][alone] == pytest.approx(row["dev"]["f1"])
    # Translate-test covers the one test sentence (its translation is in MAFAND-MT dev).
    assert vote["translate_test"]["test"]["sentences"] == 1
    assert vote["test"]["sentences"] == 1 and "f1_interval" in vote["test"]
    assert result["average"]["vote_f1"] == pytest.approx(vote["test"]["f1"])
    # Its translate-test column is the vote's own run.
    tt = vote["translate_test"]["test"]["f1"]
    assert bench.cells(row)["translate_test_f1"] == pytest.approx(tt)
    # The page has its column, also where the first row has no vote.
    page = render(result | {"rows": [result["rows"][0] | {"vote": None}, *result["rows"]]})
    assert "vote with translate-test F1" in page
    printed = first.out
    assert "lug: translate-test: project done" in first.err  # progress while it runs
    assert "vote F1 (setting)" in printed and VoteSetting(**vote["setting"]).name in printed
    # Its pipeline ran in the language's cache; a second run reads the row back.
    assert (setup["runs"] / "lug" / bench.CACHE_DIR / "translate-test-test").is_dir()
    assert _bench(capsys, setup, voting, languages="lug").code == 0
    assert _result(setup)["rows"][0]["status"] == "reused"
    # Without the vote the row is the plain run's, its stages read back.
    assert _bench(capsys, setup, languages="lug").code == 0
    plain = _result(setup)["rows"][0]
    assert plain["vote"] is None and plain["stages"]["train"]["status"] == "reused"
    # With the ensemble stage, the ensemble is the first voter (a new vote stage).
    both = _bench(capsys, setup, voting, "ensemble.with_transfer=true", languages="lug")
    assert both.code == 0
    mixed = _result(setup)["rows"][0]
    assert mixed["stages"]["vote"]["status"] == "computed"
    assert mixed["vote"]["first"].startswith("ensemble with model transfer")
    alone_f1 = mixed["vote"]["dev_f1_by_setting"][alone]
    assert alone_f1 == pytest.approx(mixed["ensemble"]["dev"]["f1"])


def test_the_vote_reads_the_translations_of_the_dev_split_it_scores(capsys, setup) -> None:
    _translations(setup["data"])
    on_train = _bench(
        capsys, setup, "ensemble.with_translate_test=true", "dev_split='train'", languages="lug"
    )
    assert on_train.code == 0 and "translate-test on train" in on_train.err
    row = _result(setup)["rows"][0]
    # MasakhaNER train is MAFAND-MT train's first sentence, which has its translation.
    assert row["dev"]["sentences"] == 1
    assert row["vote"]["translate_test"]["dev"]["sentences"] == 1


def test_the_vote_of_a_source_tagger_that_reads_no_other_language(capsys, setup, tmp_path):
    """test-caps (no trained files, no model transfer): the silver tagger and translate-test
    vote alone."""
    _translations(setup["data"])
    encoder = save_tiny_bert(tmp_path / "encoder", ["anna", "kampala", "."])
    args = ("tagger.name=test-caps", "train.init=encoder", f"train.encoder='{encoder}'")
    voting = ("ensemble.with_translate_test=true", "ensemble.with_transfer=true")
    result = _bench(capsys, setup, *args, *voting, languages="lug")
    assert result.code == 0, result.err
    (row,) = _result(setup)["rows"]
    assert row["model_transfer"] is None and row["ensemble"] is None
    assert row["vote"]["first"] == "silver tagger"
    assert len(row["vote"]["dev_f1_by_setting"]) == len(vote_settings(with_transfer=False))


def test_the_vote_needs_the_translations_before_any_work(capsys, setup) -> None:
    absent = _bench(capsys, setup, "ensemble.with_translate_test=true", languages="lug")
    assert absent.code == 2 and "masakhaner2-parallel" in absent.err
    assert "Traceback" not in absent.err and not setup["runs"].exists()


def test_a_sentence_vote_counts_only_the_systems_that_voted() -> None:
    ours, theirs, transfer = [Span(0, 1, "PER")], [Span(2, 3, "LOC")], [Span(2, 3, "LOC")]
    majority = VoteSetting(1.0, 1.0, 0.5)
    # Two of three give the LOC; only the silver tagger gives the PER.
    assert vote_sentence((ours, theirs, transfer), majority) == [Span(2, 3, "LOC")]
    # Without a translation, translate-test does not vote: one of two is half the weight.
    assert vote_sentence((ours, None, transfer), majority) == [
        Span(0, 1, "PER"), Span(2, 3, "LOC")
    ]  # fmt: skip
    # Weight 0: the silver tagger alone, whatever the others say.
    assert vote_sentence((ours, theirs, transfer), VoteSetting(0.0, 0.0, 0.5)) == ours
    # A share of 0.75 of the three: only what all three give.
    assert vote_sentence((ours, theirs, transfer), VoteSetting(1.0, 1.0, 0.75)) == []


def test_a_pooled_tagger_is_trained_once_on_every_language(capsys, setup) -> None:
    result = _bench(capsys, setup, "train.pooled=true")
    assert result.code == 0, result.err
    rows = {row["lang"]: row for row in _result(setup)["rows"]}
    lug, ewe = rows["lug"], rows["ewe"]
    # One tagger, in the pooled folder, trained on both languages' silver sentences.
    assert lug["train"]["model"] == ewe["train"]["model"]
    assert "/pooled/train-" in lug["train"]["model"]
    both = lug["silver"]["sentences_out"] + ewe["silver"]["sentences_out"]
    assert lug["train"]["sentences"] == both
    meta = json.loads((Path(lug["train"]["model"]) / META_FILE).read_text(encoding="utf-8"))
    assert set(meta["languages"]) == {"lug", "ewe"}
    assert ewe["stages"]["train"]["status"] == "reused"  # trained with the first language
    # The per-language run beside it trains one tagger a language, the silver stages shared.
    assert _bench(capsys, setup).code == 0
    alone = {row["lang"]: row for row in _result(setup)["rows"]}
    assert alone["lug"]["train"]["model"] != alone["ewe"]["train"]["model"]
    assert alone["lug"]["stages"]["silver"]["status"] == "reused"


def test_a_pooled_tagger_is_not_trained_on_degraded_silver(capsys, setup) -> None:
    result = _bench(capsys, setup, "train.pooled=true", "degrade.operator=mix", "degrade.level=0.5")
    assert result.code == 2 and "train.pooled trains on the silver data as it is" in result.err


def test_the_method_configs_change_only_what_they_name() -> None:
    quick = bench.load_settings("benchmarks/silver-quick")
    pooled = bench.load_settings("benchmarks/silver-multilingual")
    assert pooled["train"]["pooled"] and pooled["languages"] == quick["languages"]
    assert {k for k in quick if quick[k] != pooled[k]} == {"config", "train"}
    partial = bench.load_variants("benchmarks/silver-partial")
    assert [v["selection"] for v in partial.values()] == [
        {}, {"dropped_class": "drop"}, {"dropped_class": "mask"}
    ]  # fmt: skip
    ensemble = bench.load_settings("benchmarks/silver-ensemble")
    assert ensemble["ensemble"] == {"with_transfer": True, "with_translate_test": False}
    assert {k for k in quick if quick[k] != ensemble[k]} == {"config", "ensemble"}
    places = bench.load_variants("benchmarks/silver-places")
    assert [v["selection"] for v in places.values()] == [
        {}, {"place_names": "label"}, {"place_names": "mask"}
    ]  # fmt: skip
    heldout = bench.load_settings("benchmarks/silver-heldout-dev")
    assert heldout["exclude_dev"] and not quick["exclude_dev"]
    assert {k for k in quick if quick[k] != heldout[k]} == {"config", "exclude_dev"}
    vote = bench.load_settings("benchmarks/silver-vote")
    assert vote["ensemble"] == {"with_transfer": True, "with_translate_test": True}
    assert {k for k in quick if quick[k] != vote[k]} == {"config", "ensemble", "languages"}
    # Its languages: every one whose sentences have a translation, and only those.
    assert set(vote["languages"]) == set(TRANSLATIONS.choices("lang") or ())
    assert all(has_translation(lang, vote["evaluation"]) for lang in vote["languages"])
