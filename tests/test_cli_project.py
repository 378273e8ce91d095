"""``xlner project`` and ``xlner run``: every bad option is a one-line error before any work.

The error cases name input files that do not exist: a message about the option (and not about
a missing file) shows the option was checked before any file was read or any alignment ran.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from entry_point import full_signature
from typer.testing import CliRunner

from xlner.cli import app
from xlner.cli import run as cli_main
from xlner.corpora.conll import write_conll
from xlner.pipeline.sample import load_sample
from xlner.signature import parse_signature
from xlner.tagging.base import SourceTagger, register_tagger
from xlner.translate.base import Translator, register_translator
from xlner.types import Span, TaggedSentence

runner = CliRunner()
MISSING = ["--source", "missing.conll", "--target", "missing.txt", "-o", "out.conll"]
COMBINED = ["--aligner", "combined", "--aligner-option"]
EFLOMAL_ONLY = [*COMBINED, "members={eflomal={}}"]
LIGHT = ["--preset", "light"]  # eflomal and the heuristic


def refused(args: list[str], message: str) -> str:
    """Run ``xlner project`` with ``args``; it must exit 2 with ``message`` and no traceback."""
    result = runner.invoke(app, ["project", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1  # one line
    return result.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # options of the other method are refused, not ignored
        ([*LIGHT, "--solver", "bogus", "--threshold", "9"], "--solver is not an option of --me"),
        ([*LIGHT, "--threshold", "99"], "--threshold is not an option of --method heuristic"),
        (["--method", "match", "-d", "-5"], "-d is not an option of --method match"),
        (["--method", "match", "--length-ratio", "0.5"], "--length-ratio is not an option"),
        (["-d", "1"], "-d is not an option of --method match"),  # the default preset's method
        # presets
        (["--preset", "fast"], "unknown preset 'fast'; choose from default, light"),
        (["--preset", "ligth"], "choose from default, light; did you mean 'light'?"),
        # bad values of the heuristic
        ([*LIGHT, "-d", "-5"], "merge_distance must be >= 0, got -5"),
        (["--method", "heuristic", "--length-ratio", "-1"], "length_ratio must be in [0, 1]"),
        ([*LIGHT, "--length-ratio", "1.5"], "length_ratio must be in [0, 1]"),
        ([*LIGHT, "-k", "0"], "max_runs must be >= 1"),
        # bad values of the matching
        (["--method", "match", "--solver", "bogus"], "unknown solver 'bogus'; choose from dp,"),
        (["--method", "match", "--score", "bleu"], "unknown score 'bleu'; choose from alignment"),
        (["--method", "match", "--score", "alignment=-1"], "weight of 'alignment' must be"),
        (["--method", "match", "--score", "alignment=nan"], "weight of 'alignment' must be"),
        (["--method", "match", "--score", "alignment=inf"], "weight of 'alignment' must be"),
        (["--method", "match", "--score", "alignment=0,string=0"], "every score weight is 0"),
        (
            ["--method", "match", "--score", "alignment=1,alignment=2"],
            "score 'alignment' is given twice",
        ),
        (["--method", "match", "--score", "string:union"], "only alignment, coverage take"),
        (["--method", "match", "--threshold", "nan"], "threshold must be a number"),
        (["--method", "match", "--threshold", "99"], "threshold 99 is above the highest value"),
        (
            ["--method", "match", "--score", "string", "--threshold", "1.5"],
            "threshold 1.5 is above the highest value the score can reach (1)",
        ),
        (["--method", "match", "--limit-n", "0"], "must be at least 1, got 0"),
        (["--method", "match", "--limit", "sometimes"], "limit must be one of at_most"),
        (["--method", "match", "--solver", "dp", "--limit", "at_most"], "dp solver has no"),
        (["--method", "nope"], "unknown projection method 'nope'; choose from heuristic, match"),
        # a link set the aligner cannot provide: refused before any alignment
        (
            [*LIGHT, "--method", "match", "--score", "coverage:simalign"],
            "'match' reads link set 'simalign', which aligner 'eflomal' does not provide",
        ),
        # the preset's scores are adapted to another aligner; a score given is not
        (
            ["--aligner", "eflomal", "--score", "coverage:simalign"],
            "'match' reads link set 'simalign', which aligner 'eflomal' does not provide",
        ),
        # --method-option: the method's declared options, once
        (["--method-option", "x=1"], "projection method 'match' has no option 'x'"),
        (["--method-option", "solver"], "--method-option 'solver' is not KEY=VALUE"),
        (
            ["--method-option", "solver=dp", "--solver", "ilp"],
            "give --solver or --method-option solver=..., not both",
        ),
        # aligners and their options
        (
            ["--aligner", "fastalign"],
            "unknown aligner 'fastalign'; choose from combined, eflomal, simalign",
        ),
        ([*LIGHT, "--symmetrization", "bogus"], "unknown symmetrization 'bogus'"),
        (["--symmetrization", "union"], "aligner 'combined' has no option 'symmetrization'"),
        (
            ["--aligner", "simalign", "--symmetrization", "intersection"],
            "aligner 'simalign' has no option 'symmetrization'; its options: model, layer",
        ),
        ([*LIGHT, "--aligner-option", "foo=1"], "aligner 'eflomal' has no option 'foo'; its"),
        (["--aligner-option", "foo=1"], "aligner 'combined' has no option 'foo'; its options:"),
        (["--aligner-option", "stem_length"], "is not KEY=VALUE (e.g. stem_length=4)"),
        (["--aligner-option", "a..b=1"], "KEY is an option name or NAME.KEY"),
        ([*LIGHT, "--aligner-option", "model=4"], "eflomal model must be 1, 2 or 3"),
        (
            [*LIGHT, "--aligner-option", "stem_length=1", "--aligner-option", "stem_length=2"],
            "--aligner-option stem_length is given twice",
        ),
        (
            [*LIGHT, "--symmetrization", "union", "--aligner-option", "symmetrization=union"],
            "give --symmetrization or --aligner-option symmetrization",
        ),
        # the default preset's members, by MEMBER.KEY
        (["--aligner-option", "simalign.layr=3"], "member 'simalign': aligner 'simalign' has no"),
        (["--aligner-option", "eflomal.model=4"], "eflomal model must be 1, 2 or 3"),
        (
            [
                "--aligner-option",
                "simalign.layer=1",
                "--aligner-option",
                "members.simalign.layer=2",
            ],
            "--aligner-option members.simalign.layer is given twice",
        ),
        (
            ["--aligner-option", "members=4", "--aligner-option", "members.simalign.layer=2"],
            "--aligner-option: override 'members.simalign.layer=2': members is not a table",
        ),
        (
            ["--aligner", "simalign", "--aligner-option", "method=argmin"],
            "unknown SimAlign method 'argmin'",
        ),
        # the combined aligner and the heuristic's named link set
        ([*COMBINED, "members={fast={}}"], "member 'fast': unknown aligner 'fast'"),
        ([*COMBINED, "members={eflomal={stem=4}}"], "member 'eflomal': aligner 'eflomal' has no"),
        ([*COMBINED, "members=eflomal"], "members must be a non-empty table"),
        ([*EFLOMAL_ONLY, "--aligner-option", "primary=gdfa"], "primary 'gdfa' is none of its"),
        (
            [*EFLOMAL_ONLY, "--method", "heuristic", "--links", "simalign"],
            "projection method 'heuristic' reads link set 'simalign', which aligner 'combined'",
        ),
        ([*EFLOMAL_ONLY, "--method", "match", "--links", "union"], "--links is not an option of"),
        # settings that need no component
        (["--evaluate"], "--evaluate needs a token-per-line target with tags (--target-conll)"),
        (["--extra-source", "x.txt"], "--extra-source and --extra-target go together"),
        (["--label-map", "bogus"], "unknown label map 'bogus'; choose from drop-date"),
    ],
)
def test_bad_options_are_refused_before_any_file_is_read(options, message):
    refused([*MISSING, *options], message)


def test_output_directory_is_refused_before_any_work(tmp_path):
    args = ["--source", "missing.conll", "--target", "missing.txt", "-o", str(tmp_path)]
    refused(args, "is a directory")


def _aligner_signature(result) -> dict:
    """The aligner's settings in the full signature ``--signature full`` printed."""
    assert result.exit_code == 0, result.output
    return full_signature(result.stdout)["align"]


def test_aligner_options_reach_the_aligner(sample, tmp_path):
    source, gold = sample
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    args += ["-o", str(out), "--format", "jsonl", "--symmetrization", "intersection", *LIGHT]
    args += ["--aligner-option", "stem_length=3", "--aligner-option", "rel_iterations=0.5"]
    signed = _aligner_signature(runner.invoke(app, [*args, "--signature", "full"]))
    assert signed["symmetrization"] == "intersection" and signed["rel_iterations"] == 0.5
    assert signed["source_prefix_len"] == signed["target_prefix_len"] == 3


def _table(output: str) -> list[str]:
    """The lines of the per-class table, from its header to its ``all`` row."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["class", "P"])
    end = next(i for i, line in enumerate(lines) if line.startswith("all "))
    return lines[start : end + 1]


def test_project_evaluate_prints_the_per_class_table(sample, tmp_path, tiny_presets):
    source, gold = sample
    out = tmp_path / "out.conll"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    result = runner.invoke(app, [*args, "-o", str(out), "--evaluate"])
    assert result.exit_code == 0, result.output
    table = _table(result.output)
    classes = sorted({span.label for sentence in load_sample()[1] for span in sentence.spans})
    assert [line.split()[0] for line in table[1:-1]] == classes
    # the very table ``xlner evaluate`` prints for the file written
    evaluated = runner.invoke(app, ["evaluate", str(gold), str(out)])
    assert evaluated.exit_code == 0, evaluated.output
    assert table == _table(evaluated.output)
    fields = parse_signature(result.stdout.splitlines()[-1])
    assert fields["project"] == "match" and fields["labels"] == "none"


def test_match_with_a_fused_link_set_score(sample, tmp_path):
    source, gold = sample
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    args += ["-o", str(out), "--format", "jsonl", *LIGHT, "--method", "match"]
    args += ["--score", "coverage:intersection=1,coverage:union=0.5,string=1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(len(r["entities"]) for r in records) > 50
    # The light preset projects with the heuristic: the short form shows what differs from
    # the matching's defaults.
    fields = parse_signature(records[0]["signature"])
    assert json.loads(fields["project.score"])["coverage:union"] == 0.5


def test_simalign_gets_only_its_own_options(tmp_path):
    pytest.importorskip("transformers")
    from tiny_models import save_tiny_bert

    model = save_tiny_bert(tmp_path / "bert", ["the", "house", "das", "haus", "is", "ist"])
    write_conll(tmp_path / "src.conll", [TaggedSentence(["the", "house"], [Span(1, 2, "LOC")])])
    (tmp_path / "tgt.txt").write_text("das haus ist\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(tmp_path / "src.conll"), "--target"]
    args += [str(tmp_path / "tgt.txt"), "-o", str(out), "--format", "jsonl"]
    args += [*LIGHT, "--aligner", "simalign", "--aligner-option", f"model='{model}'"]
    args += ["--aligner-option", "layer=1", "--aligner-option", "method=itermax"]
    signed = _aligner_signature(runner.invoke(app, [*args, "--signature", "full"]))
    assert signed["method"] == "simalign" and signed["layer"] == 1
    assert signed["matching"] == "itermax" and signed["model"] == str(model)


# ---------------------------------------------------------------------------- xlner run


@register_translator("test-cli-copy")
class CopyTranslator(Translator):
    name = "test-cli-copy"

    def translate_batch(self, sentences, src_lang, tgt_lang):
        return list(sentences)


@register_tagger("test-cli-caps")
class CapsTagger(SourceTagger):
    name = "test-cli-caps"

    def tag(self, sentences):
        return [
            [Span(i, i + 1, "PER") for i, w in enumerate(s) if w[:1].isupper()] for s in sentences
        ]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "align.aligner=fastalign",
            "unknown aligner 'fastalign'; choose from combined, eflomal, simalign",
        ),
        ("align.options={foo=1}", "aligner 'combined' has no option 'foo'; its options: memb"),
        ("preset=fast", "unknown preset 'fast'; choose from default, light"),
        ("align.options={members={simalign={layr=1}}}", "member 'simalign': aligner 'simal"),
        ('align.options.members.eflomal.symmetrization="bogus"', "unknown symmetrization 'bogus'"),
        ("project.method=nope", "unknown projection method 'nope'; choose from heuristic"),
    ],
)
def test_run_prints_component_errors_as_one_line(tmp_path, monkeypatch, capsys, override, message):
    corpus = tmp_path / "gold.conll"
    write_conll(corpus, [TaggedSentence(["Anna", "came", "."], [Span(0, 1, "PER")])])
    config = tmp_path / "run.toml"
    config.write_text(
        f'[run]\ndir = "{tmp_path / "run"}"\n'
        f'[data]\ncorpus = "conll"\npath = "{corpus}"\nlang = "lug"\n'
        '[translate]\ntranslator = "test-cli-copy"\n[tag]\ntagger = "test-cli-caps"\n',
        encoding="utf-8",
    )
    # Through the console entry point, which turns a ComponentError into one line.
    monkeypatch.setattr(sys, "argv", ["xlner", "run", str(config), override])
    with pytest.raises(SystemExit) as exit_info:
        cli_main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_project_shows_how_far_the_alignment_is(sample, tmp_path, monkeypatch):
    """On a terminal, the alignment and the projection each show a bar with their count."""
    import io

    from rich.console import Console

    from xlner.cli import common

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, soft_wrap=True)
    monkeypatch.setattr(common, "console", terminal)
    source, gold = sample
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "out.conll"), *LIGHT])
    assert result.exit_code == 0, result.output
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # the colours off
    assert "aligning sentence pairs 1-40" in shown
    assert re.search(r"align +━+ 0/\?", shown)  # pulsing while the chunk is aligned
    assert re.search(r"align +━+ 40/\?", shown) and re.search(r"project +━+ 40/\?", shown)


def test_method_options_reach_the_method(sample, tmp_path):
    source, gold = sample
    out = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    args += ["-o", str(out), "--format", "jsonl", *LIGHT, "--method-option", "merge_distance=0"]
    args += ["--method-option", "filter_single_run=true", "--signature", "full"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    signed = full_signature(result.stdout)
    assert signed["project"]["d"] == 0 and signed["project"]["filter_single"] is True
