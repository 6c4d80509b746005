"""What each ``xlfact analyze`` command found, in a few printed lines (the JSON and figures hold the rest).

One function per subcommand takes the result it wrote (the JSON's content) and returns the lines; every number
comes from that result, so the summary never says more than the files do.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):g}" if values else "-"


def lens_summary(result: dict[str, Any]) -> list[str]:
    """Per language: the median rank of the native and the English answer under the model's own final logits (last
    sub-token rule), and how often English ranks above the native answer."""
    items = result["items"]
    lines = [f"logit lens: {len(items)} items, {result['n_points']} points (embeddings + layers), final norm "
             f"{result['final_norm']}; rank under the model's final logits, last sub-token (0 = top)"]
    for lang in sorted({item["lang"] for item in items}):
        rows = [item for item in items if item["lang"] == lang]
        native = [item["answer_model_rank_last"] for item in rows]
        english = [item["answer_en_model_rank_last"] for item in rows]
        above = sum(e < n for n, e in zip(native, english))
        lines.append(f"  {lang} (n={len(rows)}): native median {_median(native)}, English median "
                     f"{_median(english)}; English above native in {above} of {len(rows)}")
    return lines


def lape_summary(result: dict[str, Any]) -> list[str]:
    totals = ", ".join(f"{lang} {n}" for lang, n in result["totals"].items())
    return [f"LAPE: {result['k']} language-specific neurons of {result['n_layers']} x {result['intermediate_size']} "
            f"(frac {result['frac']}); per language: {totals}"]


def lahis_summary(result: dict[str, Any]) -> list[str]:
    langs, overlap = result["languages"], result["overlap"]
    pairs = [(overlap[i][j], langs[i], langs[j]) for i in range(len(langs)) for j in range(i + 1, len(langs))]
    lines = [f"LAHIS ({result['mode']}): top {result['n_top']} of {result['n_layers']} x {result['n_heads']} heads per "
             "language (layer.head)"]
    if pairs:
        best = max(pairs)
        lines.append(f"  most shared: {best[1]}-{best[2]} {best[0]:.0f}% of top heads in common")
    for lang in langs:
        lines.append(f"  {lang}: " + " ".join(f"{layer}.{head}" for layer, head in result["top_heads"][lang]))
    return lines


def failures_summary(result: dict[str, Any]) -> list[str]:
    """Per run and language: correct of n, and the wrong answers by class; then the regressions between two runs."""
    labels = result.get("labels") or result["runs"]
    lines = []
    for label, analysis in zip(labels, result["analyses"]):
        lines.append(f"{label}: correct of n; wrong answers: English leak / empty / numeric / other")
        for lang, v in analysis["per_language"].items():
            lines.append(f"  {lang}: {v['correct']}/{v['n']} correct; {v['english_leak']} / {v['empty']} / "
                         f"{v['numeric']} / {v['other']}")
    if "regressions" in result:
        reg = result["regressions"]
        if not reg:
            lines.append(f"regressions ({labels[0]} correct, {labels[1]} wrong): none")
        else:
            lines.append(f"regressions ({labels[0]} correct, {labels[1]} wrong): "
                         + ", ".join(f"{lang} {v['n']} (leak {v['english_leak']}, incoherent {v['incoherent']}, "
                                     f"other {v['other']})" for lang, v in reg.items()))
    return lines


def compare_summary(result: dict[str, Any]) -> list[str]:
    a, b = result["labels"]
    lines = [f"compare {a} -> {b}:"]
    if "lape" in result:
        lape = result["lape"]
        changes = ", ".join(f"{lang} {v['a']}->{v['b']}" for lang, v in lape["totals"].items())
        lines.append(f"  LAPE: D_KS {lape['d_ks']:.4f}; neurons {changes}")
    if "lahis" in result:
        lahis = result["lahis"]
        moved = ", ".join(f"{lang} {v['stable']}/{v['changed']}" for lang, v in lahis["stable_changed"].items())
        lines.append(f"  LAHIS ({lahis['mode']}): top-{lahis['n_top']} heads stable/changed {moved}")
    if "lens" in result:
        langs = sorted(set(result["lens"]["a"]) & set(result["lens"]["b"]))
        lines.append(f"  logit lens: curves of {', '.join(langs) or 'no common language'} overlaid")
    return lines


SUMMARIES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "logit-lens": lens_summary, "lape": lape_summary, "lahis": lahis_summary, "failures": failures_summary,
    "compare": compare_summary,
}
