"""The Global-MMLU-Lite figures of ../shared/reference-outputs/README.md, through the report path.

The authors' per-item option scores (OLMo-2-1124-7B, 400 parallel items x 11 languages) are written as lm-eval-style
samples files of the built-in ``global_mmlu_<lang>`` tasks, then read back by ``xlfact.evaluators.report.build_report``
via the Global-MMLU samples adapter: every figure of the README must come out.
"""

from __future__ import annotations

import json

import pytest

from xlfact.cli.report import build_report, render_text
from xlfact.tasks.global_mmlu.samples import samples_from_option_scores

ACCURACY_PCT = {"en": 66.50, "de": 50.00, "id": 43.50, "pt": 49.25, "ar": 38.50, "bn": 32.50, "sw": 30.25,
                "es": 49.75, "fr": 47.25, "ja": 40.00, "zh": 44.75}


@pytest.fixture(scope="module")
def reference_report(shared, tmp_path_factory):
    source = shared("reference-outputs", "gmmlu_lite", "OLMo-2-1124-7B_gmmlu_lite_consistency.json")
    predictions = json.loads(source.read_text(encoding="utf-8"))["predictions"]
    out = tmp_path_factory.mktemp("gmmlu_lite_run") / "OLMo-2-1124-7B"
    files = samples_from_option_scores(predictions, out)
    assert len(files) == 11
    return build_report(out.parent, n_resamples=0)


def test_report_reproduces_published_gmmlu_lite_figures(reference_report):
    (run,) = reference_report["runs"]
    assert list(run["benchmarks"]) == ["global_mmlu_lite"]
    bench = run["benchmarks"]["global_mmlu_lite"]
    assert bench["n_items"] == 400 and bench["n_items_all_languages"] == 400
    for lang, pct in ACCURACY_PCT.items():
        assert bench["per_language"][lang]["n"] == 400
        assert round(100 * bench["per_language"][lang]["accuracy"], 2) == pytest.approx(pct, abs=1e-9), lang
    cross = bench["cross_lingual"]
    assert round(cross["total_consistency"], 6) == 0.035000
    assert cross["mean_languages_correct"] == pytest.approx(4.9225, abs=1e-12)
    assert round(cross["rankc"], 6) == 0.551219
    assert round(cross["rankc_en"], 6) == 0.555985
    assert round(cross["answer_agreement"], 6) == 0.464818
    # The README's high/low split of the PolyFact languages is reported as macro averages.
    low = [ACCURACY_PCT[lang] for lang in ("id", "bn", "sw")]
    assert 100 * bench["macro"]["accuracy_low"] == pytest.approx(sum(low) / 3)
    assert "global_mmlu_lite" in render_text(reference_report)


def test_report_matches_authors_own_pairwise_aggregates(reference_report, shared):
    """Beyond the README: each language pair's RankC and agreement equal the authors' stored pairwise values."""
    source = shared("reference-outputs", "gmmlu_lite", "OLMo-2-1124-7B_gmmlu_lite_consistency.json")
    authors = json.loads(source.read_text(encoding="utf-8"))
    from xlfact.core.runs import load_run
    from xlfact.evaluators.consistency import cross_lingual_metrics
    from xlfact.tasks.registry import record_adapters

    run = load_run(reference_report["source"], adapters=record_adapters())
    scores: dict = {}
    gold: dict = {}
    for record in (r for task in run.tasks for r in run.records(task)):
        scores.setdefault(record["item"], {})[record["lang"]] = record["scores"]
        gold.setdefault(record["item"], {})[record["lang"]] = record["gold"]
    metrics = cross_lingual_metrics(scores, gold)
    for pair, value in authors["rankc"]["pairwise"].items():
        a, b = pair.split("-")
        ours = metrics["rankc_pairs"].get(f"{a}-{b}", metrics["rankc_pairs"].get(f"{b}-{a}"))
        assert ours == pytest.approx(value, abs=1e-9), pair
    for pair, value in authors["answer_agreement"]["pairwise"].items():
        a, b = pair.split("-")
        ours = metrics["answer_agreement_pairs"].get(f"{a}-{b}", metrics["answer_agreement_pairs"].get(f"{b}-{a}"))
        assert ours == pytest.approx(value, abs=1e-12), pair
