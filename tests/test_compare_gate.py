"""The release gate's statistics on constructed paired samples with known outcomes (no model, fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from xlfact.core.stats import holm, mcnemar_exact, paired_bootstrap
from xlfact.evaluators.consistency import item_table
from xlfact.gate.compare import PairedBenchmark, PairedTask, Pairing, gate, render_markdown

LANGS = ("en", "de", "ru")


def test_mcnemar_exact_matches_the_binomial_by_hand():
    # 10 right->wrong, 0 wrong->right: two-sided p = 2 * 0.5**10
    assert mcnemar_exact(10, 0) == pytest.approx(2 * 0.5**10)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(7, 3) == pytest.approx(min(1.0, 2 * binom.cdf(3, 10, 0.5)))
    with pytest.raises(ValueError, match="non-negative"):
        mcnemar_exact(-1, 2)


def test_holm_step_down_by_hand():
    # sorted 0.01, 0.02, 0.04 with m=3: 0.03, 0.04, 0.04 (running max), back in input order
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    adjusted = holm([0.5, math.nan, 0.9])
    assert adjusted[0] == pytest.approx(1.0) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(1.0)


def test_paired_bootstrap_p_value_is_small_for_a_clear_shift_and_large_for_none():
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    shifted = paired_bootstrap(lambda i: {"d": float(np.mean(a[i] + 0.5) - np.mean(a[i]))}, 300, n_resamples=200)
    assert shifted["d"]["p"] < 0.01
    noise = a + rng.normal(scale=0.01, size=300)
    null = paired_bootstrap(lambda i: {"d": float(np.mean(noise[i]) - np.mean(a[i]))}, 300, n_resamples=200)
    assert null["d"]["ci_low"] <= null["d"]["diff"] <= null["d"]["ci_high"]


def constructed_pairing(rng: np.random.Generator, n_facts: int, drop: float = 0.0, flip: float = 0.08) -> Pairing:
    """Baseline correctness ~ Bernoulli(0.6) per fact and language; the candidate re-draws a ``flip`` share of items
    at the same rate (noise: no true change) and additionally turns a ``drop`` share of right answers wrong."""
    base = rng.random((n_facts, len(LANGS))) < 0.6
    cand = base.copy()
    redraw = rng.random(base.shape) < flip
    cand[redraw] = rng.random(int(redraw.sum())) < 0.6
    if drop:
        right = np.argwhere(cand)
        chosen = right[rng.choice(len(right), size=int(round(drop * base.size)), replace=False)]
        cand[chosen[:, 0], chosen[:, 1]] = False
    items = [f"Q{i}" for i in range(n_facts)]
    pairing = Pairing()
    for j, lang in enumerate(LANGS):
        pairing.tasks.append(PairedTask(f"polyfact_{lang}", "polyfact", lang, "acc", base[:, j].astype(float),
                                        cand[:, j].astype(float)))
    tables = [item_table({i: {lang: bool(m[k, j]) for j, lang in enumerate(LANGS)} for k, i in enumerate(items)})
              for m in (base, cand)]
    pairing.benchmarks.append(PairedBenchmark("polyfact", *tables))
    return pairing


def test_a_planted_five_point_drop_fails_the_gate():
    result = gate(constructed_pairing(np.random.default_rng(1), 1000, drop=0.05), margin=1.0, n_resamples=200)
    assert result["verdict"] == "FAIL"
    accuracy = [t for t in result["tests"] if t["kind"] == "accuracy"]
    assert all(t["regression"] for t in accuracy), accuracy
    assert all(-t["diff_points"] > 3 for t in accuracy)
    assert all(t["right_to_wrong"] > t["wrong_to_right"] for t in accuracy)
    consistency = {t["metric"]: t for t in result["tests"] if t["kind"] == "consistency"}
    assert consistency["total_consistency"]["regression"]
    assert "REGRESSION" in render_markdown(result)


def test_pure_noise_passes_in_at_least_95_percent_of_seeded_trials():
    trials = 40
    passed = sum(
        gate(constructed_pairing(np.random.default_rng(100 + k), 300), margin=1.0, n_resamples=100, seed=k)["verdict"]
        == "PASS"
        for k in range(trials)
    )
    assert passed >= math.ceil(0.95 * trials), f"{passed}/{trials} noise trials passed"


def test_a_significant_drop_within_the_margin_is_not_a_regression():
    result = gate(constructed_pairing(np.random.default_rng(2), 3000, drop=0.02, flip=0.0), margin=5.0,
                  n_resamples=100)
    accuracy = [t for t in result["tests"] if t["kind"] == "accuracy"]
    assert any(t["significant"] for t in accuracy)
    assert result["verdict"] == "PASS" and result["regressions"] == 0
