"""The one configuration system: merge, overrides checked against the defaults, built-in configs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlner.bench import europarl_mt, masakhaner
from xlner.cli import app
from xlner.config import (
    apply_overrides,
    builtin_config,
    builtin_configs,
    load_config,
    merge,
    read_builtin,
    read_toml,
)
from xlner.pipeline.run import load_run_config
from xlner.presets import load_preset

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS_TABLE = {"project": {"mode": "forward", "options": {}}, "data": {"limit": 0}}


def test_merge_is_deep_and_leaves_its_inputs_alone():
    base = {"a": {"x": 1, "y": [1]}, "m": {"keep": 1}}
    extra = {"a": {"y": [2]}, "m": {"new": 2}}
    merged = merge(base, extra)
    assert merged == {"a": {"x": 1, "y": [2]}, "m": {"keep": 1, "new": 2}}
    assert merge(base, extra, replace=("m",))["m"] == {"new": 2}
    merged["a"]["x"] = 5
    assert base == {"a": {"x": 1, "y": [1]}, "m": {"keep": 1}}


def test_load_config_layers_defaults_file_and_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[project]\nmode = "back"\n[data]\nlimit = 3\n')
    config = load_config(path, ["data.limit=5", "project.options.d=0"], DEFAULTS_TABLE)
    assert config == {"project": {"mode": "back", "options": {"d": 0}}, "data": {"limit": 5}}
    assert load_config(None, (), DEFAULTS_TABLE) == DEFAULTS_TABLE


@pytest.mark.parametrize(
    ("override", "suggestion"),
    [
        ("project.mod=back", "'project.mode'"),
        ("projet.mode=back", "'project.mode'"),
        ("projet.options.d=0", "'project.options'"),  # a free table's path is still checked
    ],
)
def test_unknown_override_suggests_the_nearest_key(override, suggestion):
    with pytest.raises(ValueError, match=f"unknown setting .*did you mean {suggestion}"):
        apply_overrides(DEFAULTS_TABLE, [override], DEFAULTS_TABLE)


def test_overrides_without_defaults_are_not_checked():
    assert apply_overrides({}, ["a.b=1"]) == {"a": {"b": 1}}


def test_bad_toml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[data]\nlang = \n")
    with pytest.raises(ValueError, match=r"bad\.toml: .*line 2"):
        read_toml(path)
    with pytest.raises(ValueError, match="cannot read"):
        read_toml(tmp_path / "missing.toml")


# ---------------------------------------------------------------------------- xlner run


def _run_toml(tmp_path: Path) -> Path:
    path = tmp_path / "run.toml"
    path.write_text('[data]\ncorpus = "europarl-ner"\nlang = "es"\n')
    return path


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("project.mod=back", "unknown setting 'project.mod'; did you mean 'project.mode'?"),
        ("projet.mode=back", "unknown setting 'projet.mode'; did you mean 'project.mode'?"),
        ("data.limt=5", "unknown setting 'data.limt'; did you mean 'data.limit'?"),
        ("data.pair=en-lug", "unknown setting 'data.pair'"),  # europarl-ner has no pairs
        ("data.limit=abc", "data.limit must be a whole number >= 0 (0: all), not 'abc'"),
        ("data.limit=-5", "data.limit must be a whole number >= 0 (0: all), not -5"),
        ("data.limit=true", "data.limit must be a whole number >= 0 (0: all), not True"),
        ("project.mode", "is not key=value"),
    ],
)
def test_run_refuses_bad_overrides_in_one_line(tmp_path, override, message):
    result = CliRunner().invoke(app, ["run", str(_run_toml(tmp_path)), override])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_run_refuses_a_bad_toml_file_in_one_line(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[data\n")
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "run.toml" in result.output and "line 1" in result.output
    assert "Traceback" not in result.output


def test_free_options_and_the_corpus_parameters_are_accepted():
    config = load_run_config(
        builtin_config("translate-test/masakhaner-lug"),
        ["align.options.n_samplers=1", "data.limit=10", "data.split=dev"],
    )
    assert config["align"]["options"]["n_samplers"] == 1
    assert config["data"]["limit"] == 10 and config["data"]["split"] == "dev"
    # Under [data], the keys of the corpus the run reads: a pair for MAFAND-MT, a path for conll.
    pair = load_run_config(None, ["data.lang=lug", "data.corpus=mafand-mt", "data.pair=en-lug"])
    assert pair["data"]["pair"] == "en-lug"
    path = load_run_config(None, ["data.lang=lug", "data.corpus=conll", "data.path=x.conll"])
    assert path["data"]["path"] == "x.conll"
    with pytest.raises(ValueError, match="unknown setting 'data.path'"):
        load_run_config(None, ["data.lang=lug", "data.corpus=mafand-mt", "data.path=x"])


# ---------------------------------------------------------------------------- built-in configs


def test_builtin_configs_are_found_by_name():
    names = builtin_configs()
    assert {"benchmarks/europarl", "study/noise", "translate-test/masakhaner-lug"} <= set(names)
    for name in names:
        assert isinstance(read_builtin(name), dict)
    assert builtin_config("study/noise.toml") == builtin_config("study/noise")
    with pytest.raises(ValueError, match="did you mean 'benchmarks/europarl'"):
        builtin_config("benchmarks/europal")


def test_configs_folder_of_the_checkout_is_the_package_data():
    link = ROOT / "configs"
    assert link.is_symlink() and not Path(link.readlink()).is_absolute()
    shipped = Path(str(builtin_config("study/noise"))).resolve()
    assert (link / "study" / "noise.toml").resolve() == shipped


def test_pyproject_ships_every_builtin_config():
    with open(ROOT / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["xlner"]
    package = ROOT / "src" / "xlner"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    assert set(package.glob("configs/**/*.toml")) <= shipped
    assert len(builtin_configs()) == len(list(package.glob("configs/**/*.toml")))


# ---------------------------------------------------------------------------- benchmark configs


def test_masakhaner_config_is_the_lug_file_with_the_language_put_in(tmp_path):
    lug = load_run_config(builtin_config("translate-test/masakhaner-lug"))
    config = masakhaner.config_for("ewe", tmp_path, ["project.mode=forward", "align.options.x=1"])
    assert config["data"]["lang"] == "ewe" and config["data"]["pivot"] == "fr"
    assert config["translate"]["options"]["lang"] == "ewe"
    assert config["tag"]["options"]["lang"] == "fr"
    assert [e["pair"] for e in config["align"]["extra"]] == ["fr-ewe"]
    assert config["run"]["dir"] == str(tmp_path / "ewe")
    assert config["align"]["options"] == lug["align"]["options"] | {"x": 1}
    assert config["evaluate"] == lug["evaluate"] and config["project"] == lug["project"]
    assert masakhaner.config_for("lug", tmp_path)["translate"] == lug["translate"]
    with pytest.raises(ValueError, match="did you mean 'project.mode'"):
        masakhaner.config_for("lug", tmp_path, ["project.mod=back"])
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        masakhaner.config_for("xx", tmp_path)


def test_europarl_mt_config_is_the_apertium_file(tmp_path):
    name = "translate-test/europarl-es-apertium"
    file = load_run_config(builtin_config(name))
    config = europarl_mt.config_for("back", "drop-misc", tmp_path, ["tag.batch_size=8"])
    assert config["project"]["mode"] == "back" and config["evaluate"]["label_map"] == "drop-misc"
    assert config["tag"]["batch_size"] == 8 and config["run"]["dir"] == str(tmp_path)
    for section in ("data", "translate", "align", "backtranslate"):
        assert config[section] == file[section]
    # the file names its aligner: none of the default preset's aligner options reach it
    assert config["align"]["options"] == read_builtin(name)["align"]["options"]


def test_eflomal_settings_are_stated_in_each_config():
    """The presets (and so the Europarl benchmark and the default translate-test config) stem;
    the study and the translate-test configs with an eflomal of their own do not."""
    light = load_preset("light")["align"]
    assert light["aligner"] == "eflomal" and light["options"]["stem_length"] > 0
    members = load_preset("default")["align"]["options"]["members"]
    assert members["eflomal"] == {"aligner": "eflomal", **light["options"]}  # the light one
    study = read_builtin("study/noise")
    aligners = study["aligners"] + study["datasets"]["masakhaner"]["aligners"]
    eflomal = [a for a in aligners if a["backend"] == "eflomal"]
    assert eflomal and all(a["options"]["stem_length"] == 0 for a in eflomal)
    for name in ("translate-test/masakhaner-lug-spacy", "translate-test/europarl-es-apertium"):
        assert read_builtin(name)["align"]["options"]["stem_length"] == 0
    default = load_run_config(builtin_config("translate-test/masakhaner-lug"))
    assert "aligner" not in read_builtin("translate-test/masakhaner-lug")["align"]
    assert default["align"]["options"]["members"] == members  # the default preset's


def test_benchmark_refuses_an_unknown_preset_in_one_line(tmp_path):
    args = ["benchmark", "europarl", "--preset", "fast", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    choices = "default, heuristic, match, all, embedding"
    assert f"unknown preset 'fast'; choose from {choices}" in result.output
    assert "Traceback" not in result.output


def test_masakhaner_benchmark_reads_french_zero_shot_with_the_xlner_tagger(tmp_path):
    default = masakhaner.config_for("wol", tmp_path)
    assert default["tag"]["tagger"] == "xlner"
    assert default["tag"]["options"] == {"lang": "fr", "zero_shot": True}
    assert masakhaner.config_for("lug", tmp_path)["tag"]["options"] == {"lang": "en"}
    spacy_config = "translate-test/masakhaner-lug-spacy"
    spacy = masakhaner.config_for("wol", tmp_path, config_name=spacy_config)
    assert spacy["tag"] == {"tagger": "spacy", "batch_size": 64, "options": {"lang": "fr"}}
    overridden = masakhaner.config_for("wol", tmp_path, ["tag.tagger=spacy"])
    assert overridden["tag"]["options"] == {"lang": "fr"}
    with pytest.raises(ValueError, match="did you mean"):
        masakhaner.config_for("wol", tmp_path, config_name="translate-test/masakhaner-lugg")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "translate-test/masakhaner-lugg"], "did you mean"),
        (["--languages", "xx"], "unknown language 'xx'"),
    ],
)
def test_masakhaner_benchmark_script_refuses_bad_settings_in_one_line(tmp_path, args, message):
    script = ROOT / "benchmarks" / "masakhaner.py"
    command = [sys.executable, str(script), "--runs", str(tmp_path / "runs"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_masakhaner_rows_count_error_types_after_the_label_map():
    from types import SimpleNamespace

    from xlner.types import Span, TaggedSentence

    gold = TaggedSentence(["Kampala", "ku", "Monday", "Museveni"], [Span(0, 1, "LOC")])
    gold.spans += [Span(2, 3, "DATE"), Span(3, 4, "PER")]
    predicted = [Span(0, 1, "ORG"), Span(1, 3, "MISC"), Span(2, 4, "PER")]
    projection = SimpleNamespace(labelled=lambda: predicted)
    result = SimpleNamespace(records={"data": [gold], "project": [projection]})
    # DATE and MISC dropped: LOC tagged ORG (class), PER given two tokens (boundary).
    counts = masakhaner.error_types(result, "drop-date-misc")
    assert counts == {"correct": 0, "class": 1, "boundary": 1, "missed": 0, "spurious": 0}
    assert masakhaner.error_types(result, "none")["spurious"] == 0


def test_masakhaner_benchmark_takes_a_preset_override(tmp_path):
    light = masakhaner.config_for("ewe", tmp_path, ["preset=light"])
    assert (light["align"]["aligner"], light["project"]["method"]) == ("eflomal", "heuristic")
    assert light["align"]["extra"][0]["pair"] == "fr-ewe"
    default = masakhaner.config_for("ewe", tmp_path)
    assert (default["align"]["aligner"], default["project"]["method"]) == ("combined", "match")


def test_check_types_names_the_setting_and_the_kind_it_needs() -> None:
    from xlner.config import check_types

    defaults = {"flag": False, "steps": 3, "rate": 0.5, "name": "", "items": [], "options": {}}
    defaults |= {"table": {"inner": True}, "unset": None}
    fine = {"flag": True, "steps": 7, "rate": 1, "name": "x", "items": [1], "options": {"a": 1}}
    check_types(fine | {"table": {"inner": False}, "unset": "anything", "other": 1}, defaults)
    for key, value, message in [
        ("flag", "true", "flag must be true or false, not 'true'"),
        ("flag", 1, "flag must be true or false, not 1"),
        ("steps", True, "steps must be a whole number, not True"),
        ("steps", 2.5, "steps must be a whole number, not 2.5"),
        ("rate", "fast", "rate must be a number, not 'fast'"),
        ("name", 3, "name must be text, not 3"),
        ("items", "a", "items must be a list, not 'a'"),
        ("table", 5, "table must be a table, not 5"),
    ]:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            check_types({key: value}, defaults)
    with pytest.raises(ValueError, match="^table.inner must be true or false, not 'no'$"):
        check_types({"table": {"inner": "no"}}, defaults)
