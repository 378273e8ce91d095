"""The study's config, sweep, summary and HTML report, on a handful of hand-made sentences;
and the page in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

import xlner
from xlner.align.base import Aligner, SentencePair, register_aligner
from xlner.config import merge
from xlner.study import summary
from xlner.study.config import (
    REPLACED_TABLES,
    default_config_text,
    load_study_config,
    parse_config,
)
from xlner.study.data import LanguageData
from xlner.study.report import build_report
from xlner.study.sweep import make_manifest, sweep, write_run_dir
from xlner.types import Link, Span, TaggedSentence

# (source tokens, source entities, target tokens, gold target entities, links)
SENTENCES = [
    (
        "Mr Prodi visited Sri Lanka .",
        [(1, 2, "PER"), (3, 5, "LOC")],
        "Herr Prodi besuchte Sri Lanka .",
        [(1, 2, "PER"), (3, 5, "LOC")],
        [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)],
    ),
    (
        "The European Parliament met in Strasbourg .",
        [(1, 3, "ORG"), (5, 6, "LOC")],
        "Das Europäische Parlament tagte in Straßburg .",
        [(1, 3, "ORG"), (5, 6, "LOC")],
        [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)],
    ),
    (
        "We thank the Netherlands .",
        [(3, 4, "LOC")],
        "Wir danken den Niederlanden .",
        [(3, 4, "LOC")],
        [(0, 0), (1, 1), (2, 2), (3, 2), (3, 3), (4, 4)],
    ),
    (
        "Kumar Ponnambalam spoke about the Euro .",
        [(0, 2, "PER"), (5, 6, "MISC")],
        "Kumar Ponnambalam sprach über den Euro .",
        [(0, 2, "PER"), (5, 6, "MISC")],
        [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)],
    ),
    (
        "Nothing happened today .",
        [],
        "Heute geschah nichts .",
        [],
        [(0, 2), (1, 1), (2, 0), (3, 3)],
    ),
]


def _data() -> LanguageData:
    source = [TaggedSentence(s.split(), [Span(*x) for x in sp]) for s, sp, *_ in SENTENCES]
    target = [TaggedSentence(t.split(), [Span(*x) for x in g]) for _, _, t, g, _ in SENTENCES]
    return LanguageData("xx", "en", source, target, "gold")


@register_aligner("study-fixture")
class FixtureAligner(Aligner):
    """Returns the hand-made links of SENTENCES (by source sentence)."""

    name = "study-fixture"

    def __init__(self, drop_every: int = 0) -> None:
        self.drop_every = drop_every

    def align(
        self, pairs: Sequence[SentencePair], *, extra_bitext: Sequence[SentencePair] = ()
    ) -> list[list[Link]]:
        table = {tuple(s.split()): links for s, _, _, _, links in SENTENCES}
        out = []
        for src, _ in pairs:
            links = [Link(i, j) for i, j in table[tuple(src)]]
            if self.drop_every:
                links = links[:: self.drop_every]
            out.append(links)
        return out


FIXTURE_CONFIG = {
    "seeds": [0, 1],
    "levels": [0.0, 0.5, 1.0],
    "operators": ["drop_links", "move_links", "swap_classes"],
    "methods": {
        "heuristic": {"method": "heuristic"},
        "match/alignment/greedy": {"method": "match", "score": "alignment", "solver": "greedy"},
        "match/alignment/ilp": {"method": "match", "score": "alignment", "solver": "ilp"},
    },
    "aligners": [
        {"name": "fixed", "backend": "study-fixture"},
        {"name": "fixed-sparse", "backend": "study-fixture", "options": {"drop_every": 2}},
    ],
    "datasets": {
        "europarl": {"languages": ["xx"], "reference_lines": {"xx": 60.0}},
    },
    "examples": {
        "settings": [
            {"operator": "none", "level": 0.0},
            {"operator": "drop_links", "level": 0.5},
        ],
        "sentences": 5,
    },
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory made by the real sweep over the hand-made sentences."""
    config = parse_config(merge(load_study_config().raw, FIXTURE_CONFIG, replace=REPLACED_TABLES))
    dataset = config.datasets[0]
    results, examples = sweep(config, [(dataset, _data())])
    manifest = make_manifest(config, "2026-01-01T00:00:00+00:00", 1.0, ["test"], 0, 0)
    path = tmp_path_factory.mktemp("study") / "run"
    write_run_dir(path, results, examples, manifest)
    return path


# ----------------------------------------------------------------------------- config


def test_default_config_parses_and_covers_the_issue() -> None:
    config = load_study_config()
    assert config.levels == [0.0, 0.1, 0.2, 0.3, 0.5] and config.seeds == [0]
    assert set(config.operators) == {
        "drop_links",
        "add_links",
        "move_links",
        "drop_entities",
        "shift_boundaries",
        "swap_classes",
    }
    assert [d.name for d in config.datasets] == ["europarl"]  # MasakhaNER is opt-in
    assert config.datasets[0].reference_lines == {"de": 67.5, "es": 74.1, "it": 69.6}
    assert "simalign-e5" not in [a.name for a in config.datasets[0].aligners]
    assert "[datasets.masakhaner]" in default_config_text()


def test_config_file_merges_over_the_default(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'levels = [0.2]\nreference_lines = { de = 50.0 }\n[datasets.europarl]\nlanguages = ["de"]\n'
    )
    config = load_study_config(path)
    assert config.levels == [0.0, 0.2]  # the clean level is always there
    assert config.datasets[0].languages == ["de"]
    assert config.datasets[0].reference_lines == {"de": 67.5}  # the dataset's own wins
    assert len(config.methods) == 5  # not given: the default methods


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"operators": ["blur"]}, "operators: unknown noise operator 'blur'"),
        ({"levels": [1.5]}, "levels"),
        ({"datasets": {"europarl": {"label_map": "nope"}}}, "unknown label map 'nope'"),
        ({"aligners": [{"name": "a", "extra": "nope"}]}, "extra bitext"),
        ({"examples": {"settings": [{"operator": "add_links", "level": 0.1}]}}, "not in the sweep"),
    ],
)
def test_bad_config_is_refused(override: dict, message: str) -> None:
    raw = merge(
        load_study_config().raw, {"operators": ["drop_links"]} | override, replace=REPLACED_TABLES
    )
    with pytest.raises(ValueError, match=message):
        parse_config(raw)


# ----------------------------------------------------------------------------- summary


def test_crossing_and_retention() -> None:
    assert summary.crossing([0, 0.5, 1], [80, 70, 40], 60) == pytest.approx(2 / 3)
    assert summary.crossing([0, 1], [50, 40], 60) == 0.0
    assert summary.crossing([0, 1], [80, 70], 60) is None
    assert summary.retention([0, 1], [80, 80]) == 1.0
    assert summary.retention([0, 1], [80, 40]) == pytest.approx(0.75)


# ----------------------------------------------------------------------------- the run


def test_run_dir_holds_every_cell_with_a_signature(run_dir: Path) -> None:
    results = json.loads((run_dir / "results.json").read_text())
    noise = [c for c in results["cells"] if c["axis"] == "noise"]
    # 3 operators x 3 levels x 2 seeds x 3 methods, plus 2 aligners x 3 methods
    assert len(noise) == 54
    assert len([c for c in results["cells"] if c["axis"] == "aligner"]) == 6
    assert all("|noise.operator=" in c["signature"] for c in noise)
    assert all(c["signature_full"]["version"] == xlner.__version__ for c in noise)
    clean = [c for c in noise if c["level"] == 0.0 and c["method"] == "heuristic"]
    # One clean projection stands at level 0 of every curve; "den Niederlanden" is too long.
    assert len(clean) == 6 and [c["f1"] for c in clean] == [pytest.approx(600 / 7)] * 6
    assert len({c["signature"] for c in clean}) == 6  # each filed under its operator and seed
    assert any(
        "|noise.operator=move_links|noise.level=0|noise.seed=1|" in c["signature"] for c in clean
    )
    dropped = [c for c in noise if c["operator"] == "drop_links" and c["level"] == 1.0]
    assert all(c["f1"] == 0.0 for c in dropped)
    sparse = next(r for r in results["aligners"] if r["aligner"] == "fixed-sparse")
    assert sparse["proxy"] is None  # no intersection from a non-eflomal first aligner
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["levels"] == [0.0, 0.5, 1.0]


def test_examples_hold_what_the_browser_draws(run_dir: Path) -> None:
    lines = (run_dir / "examples.jsonl").read_text().splitlines()
    examples = [json.loads(line) for line in lines]
    assert {(e["operator"], e["level"]) for e in examples} == {("none", 0.0), ("drop_links", 0.5)}
    assert len(examples) == 2 * 4  # the four sentences with entities, in two settings
    first = examples[0]
    for key in ("source_tokens", "target_tokens", "gold_spans", "links", "projected", "errors"):
        assert key in first
    assert set(first["projected"]) == set(FIXTURE_CONFIG["methods"])


def test_report_is_self_contained(run_dir: Path, tmp_path: Path) -> None:
    path = build_report(run_dir, tmp_path / "report.html")
    html = path.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count('<svg class="chart"') >= 3
    assert '<path class="series"' in html
    # Nothing loaded from elsewhere: no src/href to a URL, no external stylesheet or script.
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "<script src" not in html and 'rel="stylesheet"' not in html
    assert "published figures" in html and "proxy" in html
    assert not list(tmp_path.glob(".report.html.*"))  # the temporary file was renamed


def test_report_cli(run_dir: Path) -> None:
    from typer.testing import CliRunner

    from xlner.cli import app

    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.html").is_file()
    missing = CliRunner().invoke(app, ["report", str(run_dir / "nope")])
    assert missing.exit_code == 2


# ----------------------------------------------------------------------------- in a browser


def test_report_in_headless_chromium(run_dir: Path, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = build_report(run_dir)
    browser.get(page.resolve().as_uri())
    # No console errors, and nothing fetched: the page is self-contained.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    # The charts render: each has a drawn line with a real size.
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 3
    assert all(chart.size["width"] > 0 and chart.size["height"] > 0 for chart in charts)
    lengths = browser.execute_script(
        "return [...document.querySelectorAll('svg.chart path.series')]"
        ".map(p => p.getTotalLength())"
    )
    assert lengths and all(length > 0 for length in lengths)

    # Clicking an example draws its alignment.
    assert browser.find_elements(By.CSS_SELECTOR, "#alignment") == []
    buttons = browser.find_elements(By.CSS_SELECTOR, "#ex-list button")
    assert len(buttons) == 4
    buttons[1].click()
    index = int(buttons[1].get_attribute("data-example"))
    example = json.loads((run_dir / "examples.jsonl").read_text().splitlines()[index])
    links = browser.find_elements(By.CSS_SELECTOR, "#alignment line.link")
    assert len(links) == len(example["links"]) > 0
    assert all(line.size["height"] > 0 for line in links)
    words = browser.find_elements(By.CSS_SELECTOR, "#alignment rect.word")
    assert len(words) == len(example["source_tokens"]) + len(example["target_tokens"])

    # The error-type filter narrows the list to sentences with that error.
    Select(browser.find_element(By.ID, "ex-setting")).select_by_value("drop_links@0.5")
    Select(browser.find_element(By.ID, "ex-error")).select_by_value("missed")
    shown = browser.find_elements(By.CSS_SELECTOR, "#ex-list button")
    assert shown and all(b.find_elements(By.CSS_SELECTOR, ".k-missed") for b in shown)
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_an_error_kind_from_someone_elses_run_is_shown_as_text(
    run_dir: Path, tmp_path: Path, browser
) -> None:
    """A run folder is data: markup planted in an error's kind never runs when clicked."""
    from selenium.webdriver.common.by import By

    planted = tmp_path / "planted"
    shutil.copytree(run_dir, planted)
    kind = "<img src=x onerror=\"document.title='pwned'\">"
    examples = [json.loads(line) for line in (planted / "examples.jsonl").read_text().splitlines()]
    for example in examples:
        for errors in example["errors"].values():
            for error in errors:
                error["kind"] = kind
    lines = "".join(json.dumps(example) + "\n" for example in examples)
    (planted / "examples.jsonl").write_text(lines, encoding="utf-8")
    browser.get(build_report(planted).resolve().as_uri())
    for button in browser.find_elements(By.CSS_SELECTOR, "#ex-list button"):
        button.click()
    assert browser.title != "pwned"
    assert browser.find_elements(By.CSS_SELECTOR, "#ex-errors img") == []
    shown = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#ex-errors .badge")]
    assert shown and set(shown) == {kind}


def test_aligner_only_sweep_renders(tmp_path: Path) -> None:
    """No operators: only the natural axis (e.g. an opt-in embedding aligner)."""
    override = {"operators": [], "examples": {"settings": [{"operator": "none", "level": 0.0}]}}
    config = parse_config(
        merge(
            merge(load_study_config().raw, FIXTURE_CONFIG, replace=REPLACED_TABLES),
            override,
            replace=REPLACED_TABLES,
        )
    )
    results, examples = sweep(config, [(config.datasets[0], _data())])
    assert {c["axis"] for c in results["cells"]} == {"aligner"}
    manifest = make_manifest(config, "2026-01-01T00:00:00+00:00", 1.0, ["test"], 0, 0)
    write_run_dir(tmp_path / "run", results, examples, manifest)
    html = build_report(tmp_path / "run").read_text()
    assert "fixed-sparse" in html and "F1 per class" in html
