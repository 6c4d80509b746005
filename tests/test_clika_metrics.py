"""CLiKA metrics on hand-worked cases: prediction parsing, RA, Basic/Factual, en-CO, "others", XRR."""

from __future__ import annotations

import math

import pytest

from xlfact.evaluators import clika_scores, cross_retrieval_ratio, fictional_scores, rescaled_accuracy
from xlfact.evaluators.clika import (
    REFERENCE_ACCURACY,
    correct_from_generations,
    first_character,
    letter_correct,
    report_data,
)
from xlfact.tasks.clika.report import report_section


@pytest.mark.parametrize(
    ("output", "expected"),
    [("C. hospital", "C"), ("  B.", "B"), ("\n\nD", "D"), ("\n  E. six", "E"), ("", ""), ("   \n", ""), (None, ""),
     ("b.", "b"), ("答案：A", "答")],
)
def test_first_character_of_stripped_output(output, expected):
    assert first_character(output) == expected


def test_letter_correct_is_case_sensitive_and_empty_is_wrong():
    assert letter_correct("A. It's night.", "A")
    assert not letter_correct("a", "A")
    assert not letter_correct("", "A")
    with pytest.raises(ValueError, match="one character"):
        letter_correct("A", "AB")


def test_rescaled_accuracy_by_hand():
    # xCSQA: chance 1/5, reference 74.6%: (0.564 - 0.2) / (0.746 - 0.2) = 0.364 / 0.546
    assert rescaled_accuracy(0.564, "xcsqa") == pytest.approx(0.364 / 0.546)
    assert rescaled_accuracy(0.15, "xcsqa") == 0.0  # below chance clips to 0
    assert rescaled_accuracy(1.0, "xgeo") == pytest.approx(0.75 / 0.72)  # above the reference: RA > 1, as published
    assert rescaled_accuracy(0.5, "x_copa") == 0.0  # the authors' task names are accepted
    assert rescaled_accuracy(0.9, "xcopa", reference=90.0) == pytest.approx(1.0)  # overridable reference
    assert rescaled_accuracy(0.6, n_options=4, reference=80.0) == pytest.approx(0.35 / 0.55)
    assert math.isnan(rescaled_accuracy(math.nan, "xpeo"))
    with pytest.raises(ValueError, match="not above chance"):
        rescaled_accuracy(0.6, "xcopa", reference=50.0)
    with pytest.raises(KeyError, match="unknown CLiKA task"):
        rescaled_accuracy(0.6, "xnli")


def test_clika_scores_hand_case():
    # 4 parallel items per task; en, zh (focus), de, fr (others).
    t, f = True, False
    correct = {
        "xcsqa": {"en": [t, t, t, f], "zh": [t, f, f, f], "de": [t, t, f, f], "fr": [f, f, f, f]},
        "xcopa": {"en": [t, t, t, t], "zh": [t, t, f, f], "de": [t, t, t, f], "fr": [t, f, f, f]},
        "xgeo": {"en": [t, t, f, f], "zh": [t, f, t, f], "de": [f, t, f, f], "fr": [t, t, f, f]},
        "xpeo": {"en": [t, f, f, f], "zh": [f, t, f, f], "de": [t, f, f, f], "fr": [t, t, t, t]},
    }
    s = clika_scores(correct, focus="zh")
    assert set(s) == {"accuracy", "ra", "basic_ra", "factual_ra", "en_co", "factual_en_co", "others"}
    assert s["accuracy"]["xcsqa"] == {"en": 0.75, "zh": 0.25, "de": 0.5, "fr": 0.0}

    def ra(acc, n, ref):
        return max(acc - 1 / n, 0) / (ref / 100 - 1 / n)

    assert s["ra"]["xcopa"]["zh"] == pytest.approx(ra(0.5, 2, 96.4))  # exactly chance -> 0
    assert s["ra"]["xcopa"]["zh"] == 0.0
    assert s["basic_ra"]["en"] == pytest.approx((ra(0.75, 5, 74.6) + ra(1.0, 2, 96.4)) / 2)
    assert s["factual_ra"]["de"] == pytest.approx((ra(0.25, 4, 97.0) + ra(0.25, 4, 92.2)) / 2)
    # en-CO(zh, xgeo): zh correct on items 0, 2; English on 0, 1 -> 1/2. xpeo: zh correct on 1, en on 0 -> 0.
    assert s["en_co"]["xgeo"]["zh"] == 0.5
    assert s["en_co"]["xpeo"]["zh"] == 0.0
    assert s["factual_en_co"]["zh"] == 0.25
    assert s["en_co"]["xgeo"]["en"] == 1.0
    # de: xgeo correct on 1 (en yes) -> 1; xpeo on 0 (en yes) -> 1. fr: xgeo 0,1 -> 1; xpeo all 4, en only 0 -> 1/4.
    assert s["factual_en_co"]["de"] == 1.0
    assert s["factual_en_co"]["fr"] == pytest.approx(0.625)
    others = s["others"]
    assert others["factual_en_co"] == pytest.approx((1.0 + 0.625) / 2)
    assert others["basic_ra"] == pytest.approx((s["basic_ra"]["de"] + s["basic_ra"]["fr"]) / 2)
    assert others["accuracy"]["xpeo"] == pytest.approx((0.25 + 1.0) / 2)
    assert others["ra"]["xgeo"] == pytest.approx((s["ra"]["xgeo"]["de"] + s["ra"]["xgeo"]["fr"]) / 2)
    # A different focus moves zh into the others.
    s_de = clika_scores(correct, focus="de")
    assert s_de["others"]["factual_en_co"] == pytest.approx((0.25 + 0.625) / 2)


def test_clika_scores_reference_override_and_missing_task():
    correct = {"xcsqa": {"en": [True, False]}, "x_copa": {"en": [True, True]}}
    s = clika_scores(correct, reference={"xcsqa": 60.0})
    assert s["ra"]["xcsqa"]["en"] == pytest.approx((0.5 - 0.2) / (0.6 - 0.2))
    assert s["ra"]["xcopa"]["en"] == pytest.approx(0.5 / (REFERENCE_ACCURACY["xcopa"] / 100 - 0.5))
    assert math.isnan(s["factual_ra"]["en"])  # no xGeo / xPeo: Factual is not a one-task average
    assert math.isnan(s["others"]["basic_ra"])  # English only: nothing to average


def test_clika_scores_rejects_non_parallel_lists_and_unknown_tasks():
    with pytest.raises(ValueError, match="index-parallel"):
        clika_scores({"xgeo": {"en": [True, False], "zh": [True]}})
    with pytest.raises(KeyError, match="unknown CLiKA task"):
        clika_scores({"xwinograd": {"en": [True]}})
    with pytest.raises(ValueError, match="twice"):
        clika_scores({"xpeo": {"en": [True]}, "x_name": {"en": [True]}})


def test_correct_from_generations_shapes_and_errors():
    outputs = {"x_geo": {"en": ["B.", " A", ""], "zh": ["C", "A.", "B"]}}
    labels = {"x_geo": {"en": ["B", "A", "C"], "zh": ["B", "A", "B"]}}
    assert correct_from_generations(outputs, labels) == {
        "xgeo": {"en": [True, True, False], "zh": [False, True, True]}
    }
    with pytest.raises(ValueError, match="2 outputs but 3 labels"):
        correct_from_generations({"x_geo": {"en": ["B", "A"]}}, labels)
    with pytest.raises(KeyError, match="no labels"):
        correct_from_generations({"x_copa": {"en": ["A"]}}, labels)


def test_cross_retrieval_ratio_by_hand():
    en = {"a": True, "b": True, "c": True, "d": True, "e": False}
    x = {"a": True, "b": True, "c": False, "d": False, "e": True}
    assert cross_retrieval_ratio(en, x) == pytest.approx(2 / 4 - 0.05)
    assert cross_retrieval_ratio(en, {k: False for k in x}) == 0.0  # clipped at 0
    assert cross_retrieval_ratio(en, x, margin=0.0) == 0.5
    assert math.isnan(cross_retrieval_ratio({"a": False}, {"a": True}))


def test_fictional_scores_types_and_xrr():
    types = {"0": 0, "1": 0, "2": 1, "3": 1, "4": 1}
    correct = {
        "en": {"0": True, "1": True, "2": True, "3": True, "4": False},
        "de": {"0": True, "1": False, "2": True, "3": False, "4": True},
    }
    s = fictional_scores(correct, types)
    assert s["accuracy_type0"] == {"en": 1.0, "de": 0.5}
    assert s["accuracy_type1"]["de"] == pytest.approx(2 / 3)
    assert s["n_type1_en"] == 3
    assert s["xrr"] == {"de": pytest.approx(1 / 2 - 0.05)}  # English right on 2, 3; de also on 2
    with pytest.raises(KeyError, match="no relation type"):
        fictional_scores({"de": {"9": True}}, types)


def _records(benchmark, rows):
    return [{"benchmark": benchmark, "item": str(i), "lang": lang, "correct": ok} for i, lang, ok in rows]


def test_report_from_records_matches_clika_scores():
    t, f = True, False
    correct = {
        "xgeo": {"en": [t, t, f], "zh": [t, f, t], "de": [t, t, t]},
        "xpeo": {"en": [t, f, f], "zh": [t, t, f], "de": [f, f, t]},
    }
    records = {
        f"clika_{task}": _records(f"clika_{task}", [(i, lang, ok) for lang, v in per.items() for i, ok in enumerate(v)])
        for task, per in correct.items()
    }
    records["clika_fictional"] = [
        {"benchmark": "clika_fictional", "item": "0", "lang": "en", "correct": True, "type": 1},
        {"benchmark": "clika_fictional", "item": "0", "lang": "de", "correct": True, "type": 1},
    ]
    data = report_data(records, focus="zh")
    scores = data["protocols"]["option-letter log-likelihood"]
    expected = clika_scores(correct, focus="zh")
    assert scores["factual_en_co"] == expected["factual_en_co"]
    assert scores["others"]["factual_ra"] == expected["others"]["factual_ra"]
    assert data["fictional"]["xrr"] == {"de": pytest.approx(0.95)}
    text = report_section(records, focus="zh")
    assert "Factual RA zh" in text and "Factual en-CO others" in text
    assert f"{expected['factual_en_co']['zh']:.4f}" in text
    assert f"{100 * expected['factual_ra']['en']:.2f}" in text
    assert "XRR" in text and "0.9500" in text


def test_report_uses_the_runs_ra_reference():
    rows = [(0, "en", True), (1, "en", False)]
    records = {"clika_xgeo": [{**r, "ra_reference": 80.0} for r in _records("clika_xgeo", rows)]}
    scores = report_data(records)["protocols"]["option-letter log-likelihood"]
    assert scores["ra"]["xgeo"]["en"] == pytest.approx((0.5 - 0.25) / (0.8 - 0.25))
    records["clika_xgeo"][1]["ra_reference"] = 97.0
    with pytest.raises(ValueError, match="disagree on the RA reference"):
        report_data(records)
