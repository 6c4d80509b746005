"""The statistics of the report and the release gate: the one cluster bootstrap (:func:`resample_items`), exact
McNemar, a paired bootstrap, and Holm's correction.

Why these: the baseline and the candidate answer the *same* items, so their results are paired. Paired accuracy is
tested with McNemar's exact test, which looks only at the items whose outcome flipped (right->wrong ``b``,
wrong->right ``c``): under "no change" each flip is equally likely either way, so ``b ~ Binomial(b + c, 1/2)``
(scipy's ``binomtest``). Cross-lingual consistency metrics are not per-item sums of independent terms, so they get a
paired bootstrap that resamples *facts* (all languages of a fact, in both runs, together). Many tests are run at once
(every task and language, every consistency metric), so p-values are adjusted with Holm's step-down method, which
controls the family-wise error rate without assuming independence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import binomtest


def mcnemar_exact(right_to_wrong: int, wrong_to_right: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts (1.0 when nothing flipped)."""
    if right_to_wrong < 0 or wrong_to_right < 0:
        raise ValueError(f"flip counts must be non-negative, got {right_to_wrong} and {wrong_to_right}")
    n = right_to_wrong + wrong_to_right
    if n == 0:
        return 1.0
    return float(binomtest(right_to_wrong, n, 0.5, alternative="two-sided").pvalue)


def paired_difference_ci(right_to_wrong: int, wrong_to_right: int, n: int, z: float = 1.959963984540054
                         ) -> tuple[float, float]:
    """Wald 95% interval of a paired difference in accuracy, candidate - baseline, from the discordant counts
    (Agresti & Min 2005's simple form): ``d = (c - b) / n``, ``se = sqrt(b + c - (c - b)^2 / n) / n``. Drawn beside
    the McNemar test's verdict in the gate's figure; the verdict itself stays the exact test."""
    if n <= 0:
        return math.nan, math.nan
    b, c = right_to_wrong, wrong_to_right
    d = (c - b) / n
    se = math.sqrt(max(0.0, b + c - (c - b) ** 2 / n)) / n
    return d - z * se, d + z * se


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (NaN stays NaN and does not count as a test).

    scipy has Benjamini-Hochberg (``false_discovery_control``) but not Holm; the step-down rule is short:
    sort ascending, multiply the k-th smallest by (m - k + 1), take running maxima, cap at 1.
    """
    indexed = [(p, i) for i, p in enumerate(pvalues) if not math.isnan(p)]
    indexed.sort()
    m = len(indexed)
    adjusted = [math.nan] * len(pvalues)
    running = 0.0
    for k, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - k) * p))
        adjusted[i] = running
    return adjusted


def resample_items(
    statistic: Callable[[np.ndarray], dict[str, float]], n_items: int, *, n_resamples: int = 1000, seed: int = 0,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The one cluster bootstrap of xlfact: ``statistic(indices)`` on all items, then on ``n_resamples`` draws of
    item (fact) indices with replacement, so the languages of a fact (and, for the gate, its two runs) stay together.

    Returns ``(observed, draws)``: ``{name: value}`` on all items and ``{name: array of the resampled values}`` (NaN
    where a resample lacks the figure). The report's intervals (:func:`xlfact.evaluators.consistency.
    bootstrap_intervals`) and the gate's paired test (:func:`paired_bootstrap`) both use it."""
    observed = statistic(np.arange(n_items))
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in observed}
    for _ in range(n_resamples):
        values = statistic(rng.integers(0, n_items, size=n_items))
        for name in draws:
            draws[name].append(values.get(name, math.nan))
    return observed, {name: np.asarray(values, dtype=float) for name, values in draws.items()}


def paired_bootstrap(
    statistic: Callable[[np.ndarray], dict[str, float]],
    n_items: int,
    *,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Bootstrap of paired differences, resampling item (fact) indices with replacement.

    ``statistic(indices)`` returns ``{name: candidate - baseline}`` computed on the items at ``indices`` of *both*
    runs, so each resample keeps a fact's languages and its two runs together. For each name returns the observed
    difference, a percentile interval, and a two-sided p-value from the bootstrap distribution shifted to the null
    (Hall & Wilson 1991): ``p = (1 + #{|d* - d| >= |d|}) / (B + 1)``.
    """
    if n_items < 2:
        observed = statistic(np.arange(n_items))
        return {name: {"diff": d, "ci_low": math.nan, "ci_high": math.nan, "p": math.nan} for name, d in
                observed.items()}
    observed, draws = resample_items(statistic, n_items, n_resamples=n_resamples, seed=seed)
    alpha = (1.0 - confidence_level) / 2.0
    out: dict[str, dict[str, float]] = {}
    for name, d in observed.items():
        arr = draws[name]
        arr = arr[~np.isnan(arr)]
        if math.isnan(d) or len(arr) == 0:
            out[name] = {"diff": d, "ci_low": math.nan, "ci_high": math.nan, "p": math.nan}
            continue
        extreme = int(np.sum(np.abs(arr - d) >= abs(d) - 1e-12)) if d != 0 else len(arr)
        out[name] = {
            "diff": float(d),
            "ci_low": float(np.quantile(arr, alpha)),
            "ci_high": float(np.quantile(arr, 1.0 - alpha)),
            "p": min(1.0, (1 + extreme) / (len(arr) + 1)),
        }
    return out
