"""Short and full signatures: the short form's fields, its bound, and the way back to the full
settings (the hash of the full form, found by ``xlner signature`` in the files that store it)."""

from __future__ import annotations

import json

import pytest
from entry_point import xlner_cli
from pipeline_fakes import fresh_counters, make_config

import xlner
from xlner.presets import build_preset
from xlner.project.corpus import signature_fields
from xlner.registry import registry
from xlner.signature import (
    SHORT_HASH,
    Signature,
    Signed,
    digest,
    full_settings,
    make_signature,
    parse_signature,
    preset_baseline,
)

__all__ = ["fresh_counters"]  # an autouse fixture of the pipeline fakes


def test_the_default_preset_signs_in_under_100_characters():
    aligner, projector = build_preset("default")
    signature = make_signature(signature_fields(aligner, projector), preset="default")
    assert len(signature.short) <= 100
    assert list(parse_signature(signature.short)) == [
        "preset",
        "align",
        "project",
        "hash",
        "version",
    ]
    # ... while the full form holds every setting of both components
    assert signature.full == {
        "preset": "default",
        "align": json.loads(json.dumps(aligner.signature())),
        "project": json.loads(json.dumps(projector.signature())),
        "version": xlner.__version__,
    }


def test_the_hash_is_the_hash_of_the_full_form():
    signature = make_signature({"metric": "aer", "index_base": 1})
    assert signature.hash == digest(signature.full)[:SHORT_HASH]
    assert parse_signature(signature.short)["hash"] == signature.hash
    assert make_signature({"metric": "aer", "index_base": 0}).hash != signature.hash


def test_the_short_form_splits_into_its_fields_whatever_they_hold():
    """Keys hold ``:`` and ``.`` (a score named by its link set), values may hold ``|``, ``=``
    and ``%``: each field still comes back whole."""
    settings = {
        "corpus": "a|b=c%7C",
        "odd|key=": "x",
        "project": {"method": "match", "coverage:union.links": "union", "path": "%25|"},
    }
    baseline = {"project": {"method": "match", "coverage:union.links": "intersection"}}
    signature = make_signature(settings, preset="p|q", baseline=baseline)
    fields = parse_signature(signature.short)
    assert fields == {
        "preset": "p|q",
        "corpus": "a|b=c%7C",
        "odd|key=": "x",
        "project": "match",
        "project.coverage:union.links": "union",  # differs from the baseline's
        "project.path": "%25|",  # the baseline has none
        "hash": signature.hash,
        "version": xlner.__version__,
    }
    assert signature.short.count("|") == len(fields) - 1
    assert Signature.from_stored(signature.stored()) == signature


@pytest.mark.parametrize("text", ["no fields", "a=1|b", "=1"])
def test_a_text_that_is_no_short_form_is_refused(text):
    with pytest.raises(ValueError, match="is not a signature field"):
        parse_signature(text)


def test_only_the_settings_that_differ_from_the_preset_are_shown():
    aligner, _ = build_preset("default")
    projector = registry.projectors.build(
        "match", score="coverage:simalign=1,coverage:intersection=0.5", max_len_ratio=1.5
    )
    signed = signature_fields(aligner, projector)
    baseline = preset_baseline("default", {"align": aligner, "project": projector})
    fields = parse_signature(make_signature(signed, preset="default", baseline=baseline).short)
    # The preset's matching has entity_punctuation on (signed only when on): this one leaves
    # it at its default, which the hash shows, not a field.
    assert not any("." in key for key in fields)
    preset = make_signature(signature_fields(*build_preset("default")), preset="default")
    assert fields["hash"] != preset.hash


def test_another_component_than_the_presets_shows_what_differs_from_its_defaults():
    aligner = registry.aligners.build("eflomal", seed=7, temp_dir="/tmp")
    projector = registry.projectors.build("heuristic", links="intersection")
    signed = signature_fields(aligner, projector)
    baseline = preset_baseline("default", {"align": aligner, "project": projector})
    fields = parse_signature(make_signature(signed, preset="default", baseline=baseline).short)
    changed = {k: v for k, v in fields.items() if "." in k}
    assert changed == {"align.seed": "7", "project.links": "intersection"}


def test_full_settings_are_found_by_the_hash_of_a_short_form():
    one, two = make_signature({"metric": "a"}), make_signature({"metric": "b"})
    stored = {"rows": [{"x": 1, **one.stored()}, {"y": [two.stored()]}]}
    assert full_settings(two.short, stored) == two.full
    assert full_settings(one.hash, stored) == one.full  # the hash alone will do
    assert full_settings(make_signature({"metric": "c"}).short, stored) is None
    # an edited full form no longer has the hash: it is not taken for the one signed
    edited = {**one.stored(), "signature_full": {**one.full, "metric": "z"}}
    assert full_settings(one.short, edited) is None


# ---------------------------------------------------------------------------- xlner signature


def test_xlner_run_short_signature_leads_back_to_its_full_settings(capsys, tmp_path):
    """The round trip a reader makes: a short signature printed (or pasted in a paper) ->
    ``xlner signature`` on the run folder -> the full settings, as the run stored them."""
    config = tmp_path / "run.toml"
    settings = make_config(tmp_path)
    config.write_text(
        f"preset = 'light'\n[run]\ndir = '{tmp_path / 'run'}'\n"
        f"[data]\ncorpus = 'conll'\npath = '{settings['data']['path']}'\nlang = 'lug'\n"
        "[translate]\ntranslator = 'test-echo'\n[tag]\ntagger = 'test-caps'\n"
        "[align]\naligner = 'test-diagonal'\n",
        encoding="utf-8",
    )
    ran = xlner_cli(capsys, "run", config)
    assert ran.code == 0, ran.err
    short = next(line for line in ran.out.splitlines() if line.startswith("preset="))
    found = xlner_cli(capsys, "signature", short, tmp_path / "run")
    assert found.code == 0, found.err
    full = json.loads(found.out)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert full == manifest["signature_full"] and digest(full)[:SHORT_HASH] in short
    assert full["tag"]["tagger"]["method"] == "test-caps"
    printed = xlner_cli(capsys, "run", config, "--signature", "full")
    assert json.loads(printed.out[printed.out.index("\n{") :]) == full


def test_xlner_signature_errors_are_one_line(capsys, tmp_path):
    signature = make_signature({"metric": "a"})
    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(signature.stored()), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    cases = [
        (("not a signature", result_file), "is not a short signature (no hash=HEX field)"),
        (("x=1|y", result_file), "'y' is not a signature field (key=value)"),
        (("x=1", result_file), "is not a short signature (no hash=HEX field) nor a hash"),
        ((signature.short, tmp_path / "missing.json"), "missing.json: no such file or folder"),
        ((signature.short, tmp_path / "broken.json"), "broken.json: not a JSON result file"),
        ((make_signature({"metric": "b"}).short, result_file), "no settings with the hash of"),
    ]
    for args, message in cases:
        result = xlner_cli(capsys, "signature", *args)
        assert result.code == 2 and message in result.err, result.err
        assert len(result.err.strip().splitlines()) == 1
    found = xlner_cli(capsys, "signature", signature.short, tmp_path / "result.json")
    assert found.code == 0 and json.loads(found.out) == signature.full


# ---------------------------------------------------------------------------- Signed


class Widget(Signed):
    """A component with every kind of option."""

    name = "widget"
    unsigned = frozenset({"batch_size"})
    signed_as = {"method": "matching"}
    signed_when_set = frozenset({"extra"})

    def __init__(self, size: int = 3, method: str = "a", batch_size: int = 8, extra=None):
        self.size, self.method, self.batch_size, self.extra = size, method, batch_size, extra

    def derived_signature(self):
        return {"area": self.size**2}


def test_a_components_signature_is_generated_from_its_options():
    assert Widget().signature() == {"method": "widget", "size": 3, "matching": "a", "area": 9}
    changed = Widget(size=4, method="b", batch_size=1, extra="x").signature()
    assert changed == {"method": "widget", "size": 4, "matching": "b", "extra": "x", "area": 16}
    assert Widget(size=4).default_signature()["size"] == 3


def test_an_option_kept_under_another_name_is_a_clear_error():
    class Forgetful(Widget):
        def __init__(self, size: int = 3, colour: str = "red"):
            super().__init__(size)

    with pytest.raises(TypeError, match="Forgetful keeps no attribute 'colour'"):
        Forgetful().signature()
