"""Matplotlib figures of the paper's types; every function writes one PNG atomically and returns its path.

Colours and markers: the project's one language palette (:mod:`xlfact.core.palette`, 24 fixed distinct
colours), so 12-17 languages stay apart and a language keeps its colour in every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlfact.core.figures import pyplot as _plt  # the one set-up: no mathtext, CJK fallback fonts
from xlfact.core.figures import save_png
from xlfact.core.palette import language_color, language_marker, legend_outside


def colour(lang: str) -> str:
    return language_color(lang)


def _save(fig, path: Path) -> Path:
    return save_png(fig, path, dpi=110)


def _knowledge_zone(ax, n_points: int) -> None:
    """The authors shade layers 12-24 of OLMo-2's 32; scaled to the model's depth."""
    ax.axvspan(0.375 * (n_points - 1), 0.75 * (n_points - 1), color="0.92", zorder=0, label="knowledge zone")


def lens_specimen(item: dict[str, Any], rule: str, path: Path, title: str = "") -> Path:
    """Fig. 3 type: log1p(rank) per point of the native answer (blue), English (grey dashed), decoy (red dotted)."""
    import math

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    x = list(range(len(item[f"answer_rank_{rule}"])))
    _knowledge_zone(ax, len(x))
    styles = {"answer": ("tab:blue", "-", f"native: {item['answer']}"),
              "answer_en": ("0.45", "--", f"English: {item['answer_en']}"),
              "decoy": ("tab:red", ":", f"decoy: {item.get('decoy', '')}")}
    for target, (c, ls, label) in styles.items():
        key = f"{target}_rank_{rule}"
        if key in item:
            token = item.get(f"{target}_text_{rule}", item.get(f"{target}_token_{rule}", ""))  # decoded text
            ax.plot(x, [math.log1p(v) for v in item[key]], color=c, ls=ls, lw=2, label=f"{label}, token “{token}”")
    ax.invert_yaxis()
    ax.set_xlabel("point (0 = embeddings)")
    ax.set_ylabel("log(1 + rank)")
    ax.set_title(title or f"{item.get('id', '')} ({rule} sub-token)", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    return _save(fig, path)


def lens_languages(aggregate: dict[str, Any], rule: str, path: Path, title: str = "",
                   other: dict[str, Any] | None = None, labels: Sequence[str] = ("", "")) -> Path:
    """Mean log1p(rank) per point and language: native solid, English dashed; ``other`` overlaid thinner (compare)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    n_points = 0
    for run, data, alpha, lw in ((labels[0], aggregate, 1.0, 2.0), (labels[1], other, 0.55, 1.2)):
        if not data:
            continue
        for lang, entry in data.items():
            curves = entry[rule]
            if not curves["answer_mean_log1p_rank"]:
                continue
            n_points = len(curves["answer_mean_log1p_rank"])
            x = range(n_points)
            ax.plot(x, curves["answer_mean_log1p_rank"], color=colour(lang), lw=lw, alpha=alpha,
                    label=f"{lang} native {run}".strip())
            ax.plot(x, curves["answer_en_mean_log1p_rank"], color=colour(lang), lw=lw, alpha=alpha, ls="--",
                    label=f"{lang} English {run}".strip())
    if n_points:
        _knowledge_zone(ax, n_points)
    ax.invert_yaxis()
    ax.set_xlabel("point (0 = embeddings)")
    ax.set_ylabel("mean log(1 + rank)")
    ax.set_title(title or f"logit lens, {rule} sub-token", fontsize=9)
    legend_outside(ax, fontsize=6)
    return _save(fig, path)


def lape_totals(totals: dict[str, dict[str, int]], path: Path, title: str = "") -> Path:
    """Fig. 5 type: selected neurons per language, bars grouped by model, log axis, ordered by the first model."""
    plt = _plt()
    models = list(totals)
    langs = sorted(totals[models[0]], key=lambda lang: -totals[models[0]][lang])
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(langs) * len(models)), 3.6))
    width = 0.8 / len(models)
    cmap = _plt().get_cmap("tab10").colors
    for m, model in enumerate(models):
        ax.bar([i + m * width for i in range(len(langs))], [max(totals[model].get(lang, 0), 0.5) for lang in langs],
               width=width, color=cmap[m % 10], label=model)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(langs))], langs)
    ax.set_yscale("log")
    ax.set_ylabel("language-specific neurons")
    ax.set_title(title or "LAPE neurons per language", fontsize=9)
    ax.legend(fontsize=7)
    return _save(fig, path)


def lape_per_layer(per_layer: dict[str, Sequence[int]], path: Path, title: str = "") -> Path:
    """Fig. 14 type: per language, selected neurons in each layer (stacked bars)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    n_layers = len(next(iter(per_layer.values())))
    bottom = [0] * n_layers
    for lang, counts in per_layer.items():
        ax.bar(range(n_layers), counts, bottom=bottom, color=colour(lang), label=lang)
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_xlabel("layer (0-based)")
    ax.set_ylabel("selected neurons")
    ax.set_title(title or "LAPE neurons per layer", fontsize=9)
    legend_outside(ax, fontsize=7)
    return _save(fig, path)


def lape_ecdf(per_layer: dict[str, dict[str, Sequence[int]]], path: Path, d_ks: dict[str, float]) -> Path:
    """Fig. 15 type: cumulative share of selected neurons over layers per model, D_KS vs the first in the legend."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for model, counts in per_layer.items():
        n_layers = len(next(iter(counts.values())))
        totals = [sum(v[i] for v in counts.values()) for i in range(n_layers)]
        run, cum = 0, []
        for t in totals:
            run += t
            cum.append(run)
        reference = next((m for m in per_layer if m not in d_ks), "")
        label = f"{model} (D_KS {d_ks[model]:.4f} vs {reference})" if model in d_ks else f"{model} (reference)"
        ax.step(range(n_layers), [c / run if run else 0 for c in cum], where="post", label=label)
    ax.set_xlabel("layer (0-based)")
    ax.set_ylabel("cumulative share")
    ax.legend(fontsize=7)
    return _save(fig, path)


def heatmap(matrix: Sequence[Sequence[float]], rows: Sequence[str], cols: Sequence[str], path: Path, title: str,
            cmap: str = "viridis", symmetric: bool = False, annotate: bool = True, xlabel: str = "",
            ylabel: str = "") -> Path:
    """Overlap matrices (Fig. 7/13) and delta maps (Figs. 16/17, RdBu_r with a symmetric scale)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * len(cols) + 2), max(3, 0.35 * len(rows) + 1.5)))
    kwargs: dict[str, Any] = {"cmap": cmap, "aspect": "auto"}
    if symmetric:
        bound = max((abs(v) for row in matrix for v in row), default=1.0) or 1.0
        kwargs.update(vmin=-bound, vmax=bound)
    image = ax.imshow(matrix, **kwargs)
    fig.colorbar(image, ax=ax)
    if len(cols) <= 40:
        ax.set_xticks(range(len(cols)), cols, fontsize=7)
    if len(rows) <= 40:
        ax.set_yticks(range(len(rows)), rows, fontsize=7)
    if annotate and len(rows) * len(cols) <= 400:
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6, color="w")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def layer_profiles(profiles: dict[str, Sequence[float]], path: Path, title: str) -> Path:
    """Fig. 8/11 type: % of each language's top heads per layer."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for lang, values in profiles.items():
        ax.plot(range(len(values)), values, marker=language_marker(lang), ms=3, color=colour(lang), label=lang)
    ax.set_xlabel("layer (0-based)")
    ax.set_ylabel("% of top heads")
    ax.set_title(title, fontsize=9)
    legend_outside(ax, fontsize=7)
    return _save(fig, path)


def grouped_bars(values: dict[str, dict[str, float]], path: Path, title: str, ylabel: str,
                 stacked: bool = False, empty_text: str = "") -> Path:
    """Bars per language: ``values[series][lang]`` (failure classes, stable/changed heads, neuron count changes).
    With ``empty_text``, a figure with nothing to draw (no language, or every bar 0) says that sentence instead of
    drawing an empty scale."""
    plt = _plt()
    if empty_text and not any(v for s in values.values() for v in s.values()):
        fig, ax = plt.subplots(figsize=(5, 2.4))
        ax.text(0.5, 0.5, empty_text, ha="center", va="center", fontsize=11, wrap=True, transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(title, fontsize=9)
        return _save(fig, path)
    series = list(values)
    langs = sorted({lang for s in values.values() for lang in s})
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(langs) + 2), 3.6))
    cmap = plt.get_cmap("tab10").colors
    width = 0.8 if stacked else 0.8 / max(1, len(series))
    bottom = [0.0] * len(langs)
    for k, name in enumerate(series):
        heights = [values[name].get(lang, 0.0) for lang in langs]
        xs = list(range(len(langs))) if stacked else [i + k * width for i in range(len(langs))]
        ax.bar(xs, heights, width=width, bottom=bottom if stacked else None, color=cmap[k % 10], label=name)
        if stacked:
            bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks([i + (0 if stacked else 0.4 - width / 2) for i in range(len(langs))], langs)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return _save(fig, path)
