"""The figures ``xlfact report`` (:mod:`xlfact.cli.report`) and the leaderboard show for one benchmark: pure scoring of
the per-item records, no file reading, no rendering.

The lm-eval results table can only show what each task aggregated in-process; the report recomputes everything
from the logged per-item records, so it is also right for multi-rank runs and for runs merged from several
invocations, and it adds 95% confidence intervals from a bootstrap that resamples *facts* (all languages of a fact
together), not rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from xlfact.evaluators.consistency import (
    bootstrap_intervals,
    correctness,
    item_table,
    macro_mean,
    metrics_from_table,
    slot_keys_of,
)


def benchmark_report(
    benchmark: str, records: list[dict[str, Any]], sample_metrics: list[dict[str, Any]], *, n_resamples: int, seed: int,
    language_groups: Mapping[str, tuple[str, ...]] | None = None,
    extras: Callable[[list[dict[str, Any]]], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Everything the report says about one benchmark, as JSON-able data. ``language_groups`` (the spec's high/low
    sets) add macro averages per group; ``extras`` adds the benchmark's own figures. The benchmark registry passes
    both (:func:`xlfact.tasks.registry.benchmark_report`)."""
    by_item: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for record in records:
        by_item[str(record["item"])][record["lang"]] = record
    has_scores = all("scores" in r and "gold" in r for r in records)
    if has_scores:
        scores = {i: {lang: r["scores"] for lang, r in per.items()} for i, per in by_item.items()}
        gold = {i: {lang: int(r["gold"]) for lang, r in per.items()} for i, per in by_item.items()}
        table = item_table(correctness(scores, gold), scores, slot_keys_of(by_item))
    else:
        table = item_table({i: {lang: bool(r["correct"]) for lang, r in per.items()} for i, per in by_item.items()})
    metrics = metrics_from_table(table)
    intervals = bootstrap_intervals(table, n_resamples=n_resamples, seed=seed) if n_resamples > 0 else {}

    per_metric: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in sample_metrics:
        for name, value in row.items():
            if name not in {"benchmark", "lang", "task"} and isinstance(value, float):
                per_metric[name][row["lang"]].append(value)
    per_language: dict[str, dict[str, Any]] = {}
    for lang in metrics["languages"]:
        entry: dict[str, Any] = {"n": metrics["n_items"][lang], "accuracy": metrics["accuracy"][lang]}
        entry["accuracy_ci"] = list(intervals.get(f"accuracy/{lang}", (math.nan, math.nan)))
        for name, values in per_metric.items():
            if values.get(lang) and name not in {"acc"}:
                entry[name] = sum(values[lang]) / len(values[lang])
        if lang in metrics["en_co"]:
            entry["en_co"] = metrics["en_co"][lang]
            entry["en_co_ci"] = list(intervals.get(f"en_co/{lang}", (math.nan, math.nan)))
        per_language[lang] = entry

    langs = metrics["languages"]
    macro = {"accuracy": macro_mean(metrics["accuracy"], langs)}
    for group, member in (language_groups or {}).items():
        chosen = [lang for lang in langs if lang in member]
        if chosen:
            macro[f"accuracy_{group}"] = macro_mean(metrics["accuracy"], chosen)
    cross_keys = ("total_consistency", "mean_languages_correct", "en_co_mean", "rankc", "rankc_en", "answer_agreement")
    cross = {key: metrics[key] for key in cross_keys if key in metrics}
    if metrics.get("rankc_unaligned"):  # item-pairs left out of RankC because their option slots do not align
        cross["rankc_unaligned"] = metrics["rankc_unaligned"]
    out: dict[str, Any] = {
        "benchmark": benchmark,
        "languages": langs,
        "n_items": len(table.items),
        "n_items_all_languages": metrics["n_items_all_languages"],
        "per_language": per_language,
        "macro": macro,
        "cross_lingual": cross,
        "cross_lingual_ci": {k: list(intervals[k]) for k in cross if k in intervals},
        "macro_ci": {"accuracy": list(intervals["accuracy_macro"])} if "accuracy_macro" in intervals else {},
        "scored_by": "option scores (per-token mean log-prob for PolyFact)" if has_scores else "correctness only",
        "pairs": {k: metrics[f"{k}_pairs"] for k in ("rankc", "answer_agreement") if f"{k}_pairs" in metrics},
    }
    if extras is not None:
        out["extras"] = extras(records)
    return out
