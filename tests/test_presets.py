"""The shipped presets: what ``xlner project``, ``xlner run`` and ``xlner demo`` run by default.

The tests that run the default preset use ``tiny_presets`` (conftest.py): the presets with a
tiny local BERT in place of e5-small, so that they take seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from entry_point import full_signature
from pipeline_fakes import make_config
from typer.testing import CliRunner

from xlner import presets
from xlner.cli import app
from xlner.pipeline.run import DEFAULTS, load_run_config, run_pipeline
from xlner.presets import build_preset, describe_preset, load_preset, preset_names
from xlner.project.corpus import signature_fields
from xlner.registry import registry
from xlner.signature import make_signature, parse_signature, preset_baseline

runner = CliRunner()


def project(sample, tmp_path, *options: str) -> tuple[str, str]:
    """``xlner project`` on the sample with ``options``: (its output, the file's signature)."""
    source, gold = sample
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    result = runner.invoke(app, [*args, "-o", str(out), "--format", "jsonl", *options])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(out.read_text(encoding="utf-8").splitlines()[0])["signature"]


def signature_of(preset: dict, name: str = "default") -> str:
    """The short signature ``xlner project --preset NAME`` writes for a preset's tables."""
    align, method = preset["align"], preset["project"]
    aligner = registry.aligners.build(align["aligner"], **align["options"])
    projector = registry.projectors.build(method["method"], **method["options"])
    signed = signature_fields(aligner, projector)
    baseline = preset_baseline(name, {"align": aligner, "project": projector})
    return make_signature(signed, preset=name, baseline=baseline).short


# ---------------------------------------------------------------------------- xlner project


def test_project_without_method_options_runs_the_default_preset(sample, tmp_path, tiny_presets):
    output, signature = project(sample, tmp_path, "--evaluate", "--signature", "full")
    assert signature == signature_of(presets.load_preset("default"))
    fields = parse_signature(signature)  # nothing differs from the preset
    assert fields.keys() == {"preset", "align", "project", "hash", "version"}
    assert fields["align"] == "combined" and fields["project"] == "match"
    full = full_signature(output)  # printed under the scores, with the label map scored with
    assert full["align"] == build_preset("default")[0].signature() and full["labels"] == "none"
    assert full["project"]["coverage:simalign.links"] == "simalign"
    assert full["project"]["coverage:intersection.links"] == "intersection"
    assert "aligning sentence pairs 1-40 with combined" in output


def test_project_with_the_light_preset(sample, tmp_path):
    _, signature = project(sample, tmp_path, "--preset", "light")
    assert signature == signature_of(load_preset("light"), "light")
    fields = parse_signature(signature)
    assert fields["preset"] == "light" and fields["align"] == "eflomal"
    assert fields["project"] == "heuristic" and "simalign" not in signature


def test_explicit_options_override_only_those_of_the_preset(sample, tmp_path, tiny_presets):
    options = ["--aligner-option", "eflomal.stem_length=0", "--aligner-option"]
    options += ["simalign.method=argmax", "--solver", "ilp"]
    _, signature = project(sample, tmp_path, *options)
    expected = presets.load_preset("default")  # with the tiny encoder
    expected["align"]["options"]["members"]["eflomal"]["stem_length"] = 0
    expected["align"]["options"]["members"]["simalign"]["method"] = "argmax"
    expected["project"]["options"]["solver"] = "ilp"
    assert signature == signature_of(expected)  # the preset's other settings kept
    changed = {k: v for k, v in parse_signature(signature).items() if "." in k}
    assert changed == {  # what the short form shows: the settings that differ from the preset
        "align.members.eflomal.source_prefix_len": "0",
        "align.members.eflomal.target_prefix_len": "0",
        "align.members.simalign.matching": "argmax",
        "project.overlap": "pairwise",  # the ILP's own settings, which greedy has not
        "project.shortcuts": "true",
        "project.solver": "ilp",
    }
    _, light = project(sample, tmp_path, "--preset", "light", "--aligner-option", "stem_length=2")
    expected = load_preset("light")
    expected["align"]["options"]["stem_length"] = 2
    assert light == signature_of(expected, "light")


def test_another_component_takes_none_of_the_presets_options(sample, tmp_path, tiny_presets):
    _, signature = project(sample, tmp_path, "--aligner", "eflomal", "--method", "heuristic")
    plain = {"align": {"aligner": "eflomal", "options": {}}}
    assert signature == signature_of(plain | {"project": {"method": "heuristic", "options": {}}})
    # a members table given lists the members: eflomal alone, no encoder
    only = ["--aligner-option", "members={eflomal={}}", "--method", "heuristic"]
    _, signature = project(sample, tmp_path, *only)
    assert parse_signature(signature)["align.members.simalign"] == "unset"


def test_an_unknown_preset_is_one_line_through_the_entry_point(tmp_path):
    args = ["project", "--source", "x.conll", "--target", "x.txt", "-o", str(tmp_path / "o")]
    result = subprocess.run(
        [sys.executable, "-m", "xlner", *args, "--preset", "fast"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr == f"error: unknown preset 'fast'; choose from {', '.join(preset_names())}\n"
    )


def test_project_help_presets_shows_every_presets_settings():
    result = runner.invoke(app, ["project", "--help-presets"], env={"COLUMNS": "2000"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for name in preset_names():
        assert f"{name}: {describe_preset(name)}" in text
    default = load_preset("default")
    assert default["project"]["options"]["score"] in describe_preset("default")
    for member in default["align"]["options"]["members"].values():
        for key, value in member.items():
            assert f"{key} = " in text and str(value).lower() in text.lower()


def test_project_help_fits_on_a_screen():
    # In a process of its own: the fakes other tests register would lengthen the lists.
    result = subprocess.run(
        [sys.executable, "-m", "xlner", "project", "--help"],
        capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) <= 70  # 241 lines before its options were grouped
    assert "--help-presets" in result.stdout and "coverage:simalign" not in result.stdout


def test_a_preset_of_the_wrong_aligner_says_which_projection_it_chose(tmp_path):
    args = ["project", "--source", "x.conll", "--target", "x.txt", "-o", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--aligner", "eflomal", "--score", "coverage:simalign"])
    assert result.exit_code == 2
    assert "which aligner 'eflomal' does not provide" in result.output
    assert "(--preset default chose match)" in result.output


# ---------------------------------------------------------------------------- xlner run


def _run_file(tmp_path, tables: str = "", top: str = "") -> str:
    path = tmp_path / "run.toml"
    path.write_text(f'{top}[data]\nlang = "lug"\n{tables}', encoding="utf-8")
    return str(path)


def test_run_config_defaults_to_the_default_preset(tmp_path):
    default = load_preset("default")
    config = load_run_config(_run_file(tmp_path))
    # What a run adds to the preset's tables: batch sizes, extra bitext, the mode.
    align = {"extra": [], "batch_size": DEFAULTS["align"]["batch_size"]}
    project = {"mode": "forward", "batch_size": DEFAULTS["project"]["batch_size"]}
    assert config["preset"] == "default"
    assert config["align"] == default["align"] | align
    assert config["project"] == default["project"] | project
    light = load_run_config(_run_file(tmp_path), ["preset=light"])
    assert light["align"] == load_preset("light")["align"] | align
    assert light["project"] == load_preset("light")["project"] | project


def test_run_config_settings_override_the_presets(tmp_path):
    default = load_preset("default")
    members = default["align"]["options"]["members"]
    config = load_run_config(_run_file(tmp_path), ["align.options.members.simalign.layer=8"])
    assert config["align"]["options"]["members"] == members | {
        "simalign": members["simalign"] | {"layer": 8}
    }
    named = load_run_config(_run_file(tmp_path, '[align]\naligner = "eflomal"\n'))
    assert named["align"]["options"] == {}  # the preset's options were the combined aligner's
    # The preset's matching, on eflomal's links: its SimAlign links become eflomal's primary.
    adapted = default["project"]["options"] | {"score": "coverage=1,coverage:intersection=0.5"}
    assert named["project"] == default["project"] | {
        "options": adapted,
        "mode": "forward",
        "batch_size": DEFAULTS["project"]["batch_size"],
    }
    one = "[align.options.members.eflomal]\nstem_length = 0\n"
    config = load_run_config(_run_file(tmp_path, one))
    assert config["align"]["options"]["members"] == {"eflomal": {"stem_length": 0}}
    with pytest.raises(ValueError, match="unknown preset 'fast'; choose from default, light"):
        load_run_config(_run_file(tmp_path, top='preset = "fast"\n'))


def test_xlner_run_runs_the_default_preset(tmp_path, tiny_presets):
    config = make_config(tmp_path)
    del config["preset"], config["align"]  # the fakes' own; here the default preset's
    result = run_pipeline(config)
    fields = parse_signature(result.signature.short)
    assert fields["align"] == "combined" and fields["project"] == "match"
    assert "coverage:simalign" in result.signature.full["project"]["projector"]["score"]
    assert result.config["align"]["options"] == presets.load_preset("default")["align"]["options"]


# ---------------------------------------------------------------------------- every aligner

# The built-in aligners and any plugin's; not the fakes other test modules register.
ALIGNERS = [name for name in registry.aligners.available() if not name.startswith("test-")]


@pytest.mark.parametrize("preset", preset_names())
@pytest.mark.parametrize("aligner", ALIGNERS)
def test_every_aligner_runs_under_every_preset(sample, tmp_path, tiny_presets, preset, aligner):
    """The preset's projection on the named aligner's links: the link sets of the preset's
    aligner that it lacks are its primary links (a combined aligner named without members
    has the preset's aligner as its member)."""
    from conftest import TINY_BERT_LAYERS

    options = []
    if aligner == "simalign":  # the tiny BERT in place of e5-small
        options = ["--aligner-option", f"model='{tiny_presets}'"]
        options += ["--aligner-option", f"layer={TINY_BERT_LAYERS}"]
    args = ("--preset", preset, "--aligner", aligner, *options)
    output, signature = project(sample, tmp_path, *args)
    fields = parse_signature(signature)
    assert fields["align"] == aligner
    assert fields["project"] == load_preset(preset)["project"]["method"]
    entities = int(re.search(r"projected (\d+) entities", output).group(1))
    assert entities > 0
