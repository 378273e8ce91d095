"""The crossover study read off the rows of a silver ablation with a known answer."""

from __future__ import annotations

import pytest

from xlner.bench.silver.crossover import crossover_study, format_crossover

# Two languages on known lines: aaa's test F1 = 20 + 0.8 * silver F1, model transfer 60
# (crossover at silver F1 50); bbb's = 40 + 0.5 * silver F1, model transfer 70 (at 60).
LINES = {"aaa": (20.0, 0.8, 60.0), "bbb": (40.0, 0.5, 70.0)}
CLEAN = {"aaa": 70.0, "bbb": 66.0}


def _row(
    lang: str, silver: float, operator: str = "none", test: float | None = None, level: float = 0.5
) -> dict:
    intercept, slope, transfer = LINES[lang]
    degrade = {"settings": {"operator": operator, "level": level}} if operator != "none" else None
    return {
        "lang": lang,
        "silver_quality_no_date": {"sentences": 500, "f1": silver},
        "test": {"f1": intercept + slope * silver if test is None else test},
        "model_transfer": {"f1": transfer},
        "degrade": degrade,
    }


def _ablation() -> list[dict]:
    variants = [{"name": "clean", "rows": [_row(lang, CLEAN[lang]) for lang in LINES]}]
    for level in (0.25, 0.5, 0.75, 1.0):
        down = {lang: CLEAN[lang] - level * (CLEAN[lang] - 30) for lang in LINES}
        rows = [_row(lang, down[lang], "mix", level=level) for lang in LINES]
        variants.append({"name": f"mix-{level}", "rows": rows})
    # Missed entities cost aaa 1.0 test F1 a silver point; boundaries only 0.25.
    missed = [_row("aaa", 50.0, "drop_entities", test=76.0 - 20.0)]
    shifted = [_row("aaa", 50.0, "shift_boundaries", test=76.0 - 5.0)]
    variants += [{"name": "missed", "rows": missed}, {"name": "boundary", "rows": shifted}]
    return variants


def test_each_language_crosses_model_transfer_where_its_line_says() -> None:
    study = crossover_study(_ablation())
    aaa, bbb = study["per_language"]["aaa"], study["per_language"]["bbb"]
    assert aaa["crossover"]["silver_f1"] == pytest.approx(50.0, abs=1e-6)
    assert bbb["crossover"]["silver_f1"] == pytest.approx(60.0, abs=1e-6)
    assert bbb["fit"]["slope"] == pytest.approx(0.5)
    assert aaa["model_transfer_f1"] == 60.0 and bbb["points"] == 5


def test_model_transfer_counts_widen_the_crossover_interval() -> None:
    # A row that kept model transfer's sentence counts (as the silver benchmark's test stage
    # writes them) resamples model transfer too: its replicates are an array.
    plain = crossover_study(_ablation())["per_language"]["aaa"]["crossover"]
    variants = _ablation()
    counts = [[1, 2, 1], [0, 1, 1], [2, 2, 2], [1, 1, 2], [0, 2, 0]] * 20
    for variant in variants:
        for row in variant["rows"]:
            row["model_transfer"]["counts"] = counts
    noisy = crossover_study(variants)["per_language"]["aaa"]["crossover"]
    assert noisy["silver_f1"] == pytest.approx(plain["silver_f1"])
    assert noisy["high"] - noisy["low"] > plain["high"] - plain["low"]


def test_damage_per_point_ranks_the_kinds_of_error() -> None:
    damage = crossover_study(_ablation())["damage_per_point"]
    assert damage["drop_entities"]["mean"] == pytest.approx(1.0)
    assert damage["shift_boundaries"]["mean"] == pytest.approx(0.25)
    assert damage["drop_entities"]["error"] == "missed"
    assert damage["mix"]["per_language"]["bbb"] == pytest.approx(0.5)


def test_damage_is_against_the_clean_rows_of_the_data_degraded() -> None:
    # Each row's signature names the silver stage of its data; the degraded rows, aaa's clean one.
    variants = _ablation()
    for variant in variants:
        for row in variant["rows"]:
            row["signature_full"] = {"silver.key": f"{row['lang']}-clean", "train.key": "t"}
    before = crossover_study(variants)["damage_per_point"]
    # Undegraded data made otherwise (partial-drop) is no clean point of the degraded data.
    up = _row("aaa", 76.0, test=90.0) | {"signature_full": {"silver.key": "aaa-drop"}}
    variants.append({"name": "partial-drop", "rows": [up]})
    after = crossover_study(variants)["damage_per_point"]
    assert after["drop_entities"]["mean"] == pytest.approx(before["drop_entities"]["mean"])
    assert after["mix"]["per_language"] == pytest.approx(before["mix"]["per_language"])


def test_a_kind_measured_at_several_levels_is_also_given_at_each() -> None:
    variants = _ablation()
    # aaa's mix costs nothing down to level 0.5, then 2 test F1 a silver F1 point lost.
    for variant in variants:
        for row in variant["rows"]:
            settings = (row["degrade"] or {}).get("settings", {})
            if row["lang"] == "aaa" and settings.get("operator") == "mix":
                lost = CLEAN["aaa"] - row["silver_quality_no_date"]["f1"]
                row["test"]["f1"] = 76.0 - (0.0 if settings["level"] <= 0.5 else 2.0 * lost)
    damage = crossover_study(variants)["damage_per_point"]
    assert damage["mix at 0.5"]["per_language"]["aaa"] == pytest.approx(0.0)
    assert damage["mix at 1"]["per_language"]["aaa"] == pytest.approx(2.0)
    assert damage["mix at 0.5"]["level"] == 0.5 and damage["mix"]["level"] is None
    # Beside the mix at 0.5, the single kinds (measured at 0.5 only) have no level entry.
    assert damage["drop_entities"]["per_language"]["aaa"] == pytest.approx(1.0)
    assert not any(name.startswith("drop_entities at") for name in damage)


def test_the_printed_answer_names_languages_pooled_and_kinds() -> None:
    text = format_crossover(crossover_study(_ablation()))
    assert "aaa" in text and "pooled" in text and "50.0 [" in text
    lines = text.splitlines()
    first_kind = lines.index("test F1 lost per silver F1 point lost, by kind of error:") + 1
    assert lines[first_kind].split()[0] == "drop_entities"  # the costliest first


def _page_result() -> dict:
    """An ablation result of the study (the rows above) with its answer, as the page reads."""
    variants = _ablation()
    for variant in variants:
        for row in variant["rows"]:
            row["silver"] = {"sentences_out": 1000}
            row["stages"] = {}
            row["test"]["f1_interval"] = [row["test"]["f1"] - 2.0, row["test"]["f1"] + 2.0]
    return {
        "config": "benchmarks/silver-crossover",
        "variants": variants,
        "study": {"points": []},
        "crossover": crossover_study(variants),
    }


def test_the_crossover_page_shows_curves_transfer_and_the_answer() -> None:
    from xlner.bench.silver_chart import render

    page = render(_page_result())
    assert "How good must projected labels be to beat model transfer?" in page
    assert page.count('<svg class="chart"') == 3  # aaa, bbb, all languages
    assert "meets model transfer at silver F1 50.0" in page
    assert 'stroke-dasharray="5 4"' in page  # model transfer as a dashed line
    assert "<h2>The answer</h2>" in page and "drop_entities" in page
    assert "silver tagger F1" in page and "<pre>" not in page


def test_the_crossover_page_in_headless_chromium(tmp_path, browser) -> None:
    from selenium.webdriver.common.by import By

    from xlner.bench.silver_chart import write_chart

    page = write_chart(_page_result(), tmp_path / "crossover.html")
    browser.get(page.resolve().as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 3
    # Side by side at one height, each with its fitted line and model transfer drawn.
    assert len({chart.size["height"] for chart in charts}) == 1
    assert all(chart.size["width"] > 0 for chart in charts)
    for chart in charts:
        lengths = browser.execute_script(
            "return [...arguments[0].querySelectorAll('line.segment')]"
            ".map(l => l.getTotalLength())",
            chart,
        )
        assert len(lengths) >= 2 and all(length > 0 for length in lengths)
    # Nothing wider than the window: the tables fit the page.
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= browser.execute_script("return window.innerWidth")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table")) == 3


def test_the_measured_curve_answers_where_a_collapse_bends_the_line() -> None:
    # aaa's tagger holds its F1 down to silver F1 50, then collapses: 70 -> 76, 50 -> 60,
    # 30 -> 0. The curve meets model transfer (60) at 50; a line through the three does not.
    points = {70.0: 76.0, 50.0: 60.0, 30.0: 0.0}
    rows = [_row("aaa", silver, "none" if silver == 70.0 else "mix", test=test)
            for silver, test in points.items()]  # fmt: skip
    counts = [[1, 1, 1], [1, 2, 1], [0, 1, 1], [2, 2, 2]] * 25
    for row in rows:
        row["test"]["counts"] = counts
        row["model_transfer"]["counts"] = counts
    study = crossover_study([{"name": f"v{i}", "rows": [row]} for i, row in enumerate(rows)])
    aaa = study["per_language"]["aaa"]
    assert aaa["curve_crossover"]["silver_f1"] == pytest.approx(50.0)
    assert aaa["curve_crossover"]["beyond"] is None
    assert abs(aaa["crossover"]["silver_f1"] - 50.0) > 5.0
    assert "; 50.0" in format_crossover(study)


def test_the_crossover_page_draws_the_measured_curve() -> None:
    from xlner.bench.silver_chart import render

    page = render(_page_result())
    assert "measured curve" in page and "on the measured curve" in page


def test_a_curve_above_model_transfer_everywhere_says_so() -> None:
    rows = [_row("aaa", silver, "none" if silver == 70.0 else "mix", test=90.0 - silver / 10)
            for silver in (70.0, 50.0, 30.0)]  # fmt: skip
    study = crossover_study([{"name": f"v{i}", "rows": [row]} for i, row in enumerate(rows)])
    assert study["per_language"]["aaa"]["curve_crossover"]["beyond"] == "below"
    assert "below every point (the silver tagger stays above model transfer)" in (
        format_crossover(study)
    )


def _seeded(row: dict, seed: int, test: float) -> dict:
    row["train"] = {"config": {"seed": seed}}
    row["test"]["f1"] = test
    return row


def test_training_noise_is_the_spread_over_seeds_of_the_same_silver_data() -> None:
    variants = _ablation()
    # aaa's clean data trained with three seeds (76, 78, 80: sd 2), its mix at 0.5 with two
    # (60, 64: sd 2.83); bbb has one seed per point, so no spread.
    clean = [_seeded(_row("aaa", CLEAN["aaa"]), seed, f1) for seed, f1 in ((42, 76), (43, 78))]
    clean.append(_seeded(_row("aaa", CLEAN["aaa"]), 44, 80.0))
    mixed = [_seeded(_row("aaa", 50.0, "mix"), seed, f1) for seed, f1 in ((42, 60), (43, 64))]
    variants[0]["rows"] = [*clean, variants[0]["rows"][1]]
    variants.append({"name": "mix-seeds", "rows": mixed})
    # Undegraded data made otherwise (partial-drop: fewer sentences, a higher silver F1) is
    # other data, not one more seed of the clean data.
    other = _seeded(_row("aaa", 75.0), 42, 50.0)
    variants.append({"name": "partial-drop", "rows": [other]})
    noise = crossover_study(variants)["training_noise"]
    assert [(p["lang"], p["operator"], p["level"]) for p in noise["points"]] == [
        ("aaa", "none", None),
        ("aaa", "mix", 0.5),
    ]
    assert noise["points"][0]["seeds"] == {42: 76.0, 43: 78.0, 44: 80.0}
    assert noise["points"][0]["silver_f1"] == CLEAN["aaa"]
    assert noise["points"][0]["sd"] == pytest.approx(2.0)
    assert noise["points"][1]["range"] == pytest.approx(4.0)
    # Pooled over the points by degrees of freedom: (2 * 4 + 1 * 8) / 3.
    assert noise["pooled_sd"] == pytest.approx((16 / 3) ** 0.5)
    text = format_crossover(crossover_study(variants))
    assert "training noise: test F1 over seeds (pooled sd 2.3)" in text
    assert "aaa    mix at 0.5   silver F1 50.0  test F1 mean 62.0  sd 2.8" in text


def test_no_training_noise_without_several_seeds() -> None:
    study = crossover_study(_ablation())
    assert study["training_noise"] == {"points": [], "pooled_sd": None}
    assert "training noise" not in format_crossover(study)


def test_the_crossover_page_shows_the_training_noise() -> None:
    from xlner.bench.silver_chart import render

    result = _page_result()
    plain = render(result)
    assert "Training noise" not in plain
    extra = _seeded(_row("aaa", CLEAN["aaa"]), 43, 74.0)
    extra.update(silver={"sentences_out": 1000}, stages={})
    extra["test"]["f1_interval"] = [72.0, 76.0]
    result["variants"][0]["rows"][0]["train"] = {"config": {"seed": 42}}
    result["variants"].append({"name": "clean-seed43", "rows": [extra]})
    result["crossover"] = crossover_study(result["variants"])
    page = render(result)
    assert "<h2>Training noise: test F1 over seeds (pooled sd 1.4)</h2>" in page
    assert "42: 76.0, 43: 74.0" in page


def test_a_crossover_bound_past_any_silver_f1_is_given_as_that_end() -> None:
    # A flat line's resamples meet model transfer at impossible silver F1s (tsn's line,
    # 27.8 [-410.6, 40.2]): the answer says the data do not bound it there.
    from xlner.bench.silver.crossover import answer_cells

    meets = {"silver_f1": 27.8, "low": -410.6, "high": 40.2, "extrapolated": True}
    _, where, _ = answer_cells({"fit": None, "crossover": meets})
    assert where == "27.8 [< 0, 40.2] (extrapolated)"
    beyond = {"silver_f1": 130.0, "low": 90.0, "high": 250.0, "extrapolated": True}
    assert (
        answer_cells({"fit": None, "crossover": beyond})[1] == "> 100 [90.0, > 100] (extrapolated)"
    )
