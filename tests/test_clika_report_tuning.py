"""CLiKA report additions (issue #11): the "(/en)" ratio columns and the change after instruction tuning (tuned minus
foundation, the paper's Tables 9-12), on hand-made records with figures computed by hand."""

from __future__ import annotations

import math

import pytest

from xlfact.evaluators.clika import change_after_tuning, ratio_to_english, report_data
from xlfact.tasks.clika.report import change_section, report_section


def records(correct: dict[str, dict[str, list[bool]]]) -> dict[str, list[dict]]:
    return {f"clika_{task}": [{"benchmark": f"clika_{task}", "item": str(i), "lang": lang, "correct": ok}
                              for lang, values in per.items() for i, ok in enumerate(values)]
            for task, per in correct.items()}


T, F = True, False
FOUNDATION = {"xgeo": {"en": [T, T, F, F], "zh": [T, F, F, F]}, "xpeo": {"en": [T, T, T, F], "zh": [T, F, F, F]}}
TUNED = {"xgeo": {"en": [T, T, T, F], "zh": [T, T, F, F]}, "xpeo": {"en": [T, T, T, F], "zh": [T, T, T, F]}}


def test_ratio_to_english_columns():
    data = report_data(records(TUNED), focus="zh")["protocols"]["option-letter log-likelihood"]
    ratio = ratio_to_english(data["factual_ra"], "zh")
    assert ratio == pytest.approx(data["factual_ra"]["zh"] / data["factual_ra"]["en"])
    assert ratio_to_english(data["factual_ra"], "en") == 1.0 and math.isnan(ratio_to_english({"zh": 0.5}, "zh"))
    text = report_section(records(TUNED), focus="zh")
    assert "Factual RA (/en)" in text and f"{ratio:.4f}" in text


def test_change_after_instruction_tuning():
    tuned = report_data(records(TUNED), focus="zh")
    base = report_data(records(FOUNDATION), focus="zh")
    change = change_after_tuning(tuned, base)["option-letter log-likelihood"]
    t, b = (d["protocols"]["option-letter log-likelihood"] for d in (tuned, base))
    for key in ("basic_ra", "factual_ra", "factual_en_co"):
        for lang in ("en", "zh"):
            expected = t[key].get(lang, math.nan) - b[key].get(lang, math.nan)
            assert (math.isnan(expected) and math.isnan(change[key][lang])) or change[key][lang] == pytest.approx(
                expected)
    assert change["factual_ra"]["zh"] > 0  # the tuned model knows more in Chinese
    text = change_section(change_after_tuning(tuned, base))
    assert "tuned minus foundation" in text and "Δ Factual RA" in text
